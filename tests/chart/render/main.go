// render: renders a Helm chart offline with Helm's own template engine libraries (Go
// text/template + Masterminds sprig), giving include, tpl, required, toYaml, fromYaml, toJson,
// .Files, .Capabilities, .Release and .Chart the meaning Helm gives them. Dependencies that are
// not vendored under charts/ are not rendered (their values still pass through).
//
// Values are coalesced and dependencies enabled or disabled as Helm does it (see mergeMaps,
// coalesceValues, processDependencyEnabled below); --dependencies prints that decision, one
// "<name> <alias or -> enabled|disabled" line per Chart.yaml dependency, instead of rendering.
//
// Usage: render CHART_DIR [-f values.yaml]... [--set k.k=v[,...]]... [--release NAME] [--namespace NS]
// [--notes | --values-json | --dependencies]
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }

type versionSet []string

func (v versionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "render: "+format+"\n", args...)
	os.Exit(1)
}

func readYAML(p string) map[string]interface{} {
	data, err := os.ReadFile(p)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		fail("%s: %v", p, err)
	}
	return normalize(out).(map[string]interface{})
}

// normalize turns yaml.v3's map[string]interface{} trees into JSON-like values (as Helm's
// sigs.k8s.io/yaml does: numbers stay numbers, keys are strings).
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case []interface{}:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	}
	return v
}

// Values are put together the way Helm 3 does it (helm/helm v3.21.4, commit 813176c5):
//
//  1. the user's sources into one map, pkg/cli/values/options.go (*Options).MergeValues: every
//     -f file in order merged by mergeMaps (a map merges into a map, anything else replaces,
//     null included), then every --set by strvals.ParseInto (see setValue);
//  2. that map over the chart's values.yaml, pkg/chartutil/coalesce.go CoalesceValues ->
//     coalesceValues (top level) and coalesceTablesFullKey (below it), merge=false: the user's
//     value wins; a user's map merges with a default map; a user's scalar or list where the
//     default is a map replaces the whole map (and a user's map replaces a default scalar);
//     a user's null deletes the key, default included.
//
// The chart's sub-charts are not vendored here (no charts/), so coalesceDeps has nothing to add.

// mergeMaps is pkg/cli/values/options.go mergeMaps.
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]interface{}); ok {
			if bv, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(bv, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func istable(v interface{}) bool {
	_, ok := v.(map[string]interface{})
	return ok
}

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// coalesceValues is pkg/chartutil/coalesce.go coalesceValues (merge=false): v (the user's
// values) over the chart's defaults, at the top level.
func coalesceValues(defaults, v map[string]interface{}) map[string]interface{} {
	vc := deepCopy(defaults).(map[string]interface{})
	for key, val := range vc {
		if value, ok := v[key]; ok {
			if value == nil {
				delete(v, key)
			} else if dest, ok := value.(map[string]interface{}); ok {
				if src, ok := val.(map[string]interface{}); ok {
					coalesceTablesFullKey(dest, src)
				} // else Helm warns "skipped value for ...: Not a table." and keeps the user's map
			} // else the user's scalar or list stays, even over a default map
		} else {
			v[key] = val
		}
	}
	return v
}

// coalesceTablesFullKey is pkg/chartutil/coalesce.go coalesceTablesFullKey (merge=false):
// dst (the user's) is authoritative.
func coalesceTablesFullKey(dst, src map[string]interface{}) map[string]interface{} {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	srcOriginalNonNil := map[string]bool{}
	for key, val := range src {
		if val != nil {
			srcOriginalNonNil[key] = true
		}
	}
	for key, val := range dst {
		if val == nil {
			src[key] = nil
		}
	}
	for key, val := range src {
		dv, ok := dst[key]
		switch {
		case ok && dv == nil && srcOriginalNonNil[key]:
			delete(dst, key) // the user nullifies a chart default
		case !ok:
			dst[key] = val
		case istable(val):
			if istable(dv) {
				coalesceTablesFullKey(dv.(map[string]interface{}), val.(map[string]interface{}))
			} // else "cannot overwrite table with non table": the user's value stays
		}
		// else: the user's value stays (over a scalar, or a map over a default scalar)
	}
	return dst
}

// typedVal is pkg/strvals/parser.go typedVal (--set, not --set-string).
func typedVal(val string) interface{} {
	switch {
	case strings.EqualFold(val, "true"):
		return true
	case strings.EqualFold(val, "false"):
		return false
	case strings.EqualFold(val, "null"):
		return nil
	case val == "0":
		return int64(0)
	}
	if len(val) != 0 && val[0] != '0' {
		if iv, err := strconv.ParseInt(val, 10, 64); err == nil {
			return iv
		}
	}
	return val
}

// setValue applies one --set argument as pkg/strvals/parser.go ParseInto does for the plain
// form name.path=value[,name.path=value]: intermediate maps are created, an intermediate that is
// not a map is an error (Helm: "unable to parse key: interface conversion"), the value is typed
// by typedVal. Lists (a[0]=, {a,b}) and backslash escapes are refused here.
func setValue(arg string, dest map[string]interface{}) error {
	if strings.ContainsAny(arg, "[]{}\\") {
		return fmt.Errorf("--set %q: only name.path=value[,...] is supported by this renderer", arg)
	}
	for _, pair := range strings.Split(arg, ",") {
		eq := strings.Index(pair, "=")
		if eq <= 0 {
			return fmt.Errorf("--set %q: key %q has no value", arg, pair)
		}
		keys := strings.Split(pair[:eq], ".")
		m := dest
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k]
			if !ok {
				nm := map[string]interface{}{}
				m[k] = nm
				m = nm
				continue
			}
			nm, ok := next.(map[string]interface{})
			if !ok {
				return fmt.Errorf("--set %q: unable to parse key: %q is not a map", arg, k)
			}
			m = nm
		}
		m[keys[len(keys)-1]] = typedVal(pair[eq+1:])
	}
	return nil
}

// dependency is one entry of Chart.yaml dependencies (helm pkg/chart/dependency.go).
type dependency struct {
	Name, Alias, Condition string
	Tags                   []string
	Enabled                bool
}

func readDependencies(meta map[string]interface{}) []*dependency {
	var out []*dependency
	list, _ := meta["dependencies"].([]interface{})
	for _, x := range list {
		m, _ := x.(map[string]interface{})
		d := &dependency{}
		d.Name, _ = m["name"].(string)
		d.Alias, _ = m["alias"].(string)
		d.Condition, _ = m["condition"].(string)
		tags, _ := m["tags"].([]interface{})
		for _, t := range tags {
			d.Tags = append(d.Tags, fmt.Sprint(t))
		}
		out = append(out, d)
	}
	return out
}

// table is pkg/chartutil/values.go (Values).Table / tableLookup: each step must be a map.
func table(v map[string]interface{}, name string) (map[string]interface{}, bool) {
	t := v
	for _, n := range strings.Split(name, ".") {
		next, ok := t[n].(map[string]interface{})
		if !ok {
			return nil, false
		}
		t = next
	}
	return t, true
}

// pathValue is pkg/chartutil/values.go (Values).PathValue: the value at a dotted path, which
// must not itself be a map; ok=false is Helm's ErrNoValue (a missing key, or a step on the way
// that is not a map, e.g. "image.x" when image is a string).
func pathValue(v map[string]interface{}, path string) (interface{}, bool) {
	keys := strings.Split(path, ".")
	if len(keys) == 1 {
		x, ok := v[keys[0]]
		if ok && !istable(x) {
			return x, true
		}
		return nil, false
	}
	t, ok := table(v, strings.Join(keys[:len(keys)-1], "."))
	if !ok {
		return nil, false
	}
	x, ok := t[keys[len(keys)-1]]
	if ok && !istable(x) {
		return x, true
	}
	return nil, false
}

// processDependencyEnabled decides which dependencies are installed, as helm v3.21.4
// pkg/chartutil/dependencies.go processDependencyEnabled does for the top chart (cpath ""):
// an alias renames the dependency; all start enabled; then processDependencyTags, then
// processDependencyConditions, both on the coalesced values (CoalesceValues, as here).
func processDependencyEnabled(deps []*dependency, cvals map[string]interface{}) {
	for _, d := range deps {
		d.Enabled = true
	}
	processDependencyTags(deps, cvals)
	processDependencyConditions(deps, cvals)
}

// processDependencyTags is pkg/chartutil/dependencies.go processDependencyTags: without a tags
// map nothing changes; else a dependency none of whose tags is true and one false is disabled,
// every other one enabled. A non-bool tag is ignored with a warning.
func processDependencyTags(deps []*dependency, cvals map[string]interface{}) {
	vt, ok := table(cvals, "tags")
	if !ok {
		return
	}
	for _, d := range deps {
		var hasTrue, hasFalse bool
		for _, k := range d.Tags {
			if b, ok := vt[k]; ok {
				if bv, ok := b.(bool); ok {
					if bv {
						hasTrue = true
					} else {
						hasFalse = true
					}
				} else {
					fmt.Fprintf(os.Stderr, "Warning: Tag '%s' for chart %s returned non-bool value\n", k, d.Name)
				}
			}
		}
		if !hasTrue && hasFalse {
			d.Enabled = false
		} else if hasTrue || !hasTrue && !hasFalse {
			d.Enabled = true
		}
	}
}

// processDependencyConditions is pkg/chartutil/dependencies.go processDependencyConditions:
// the condition is split on "," after trimming the whole string (each path itself is NOT
// trimmed: "a, b" looks up " b"); the first path whose value is a bool decides; a missing path
// is skipped silently, a non-bool one with a warning; when none decides, the tags' answer stays.
func processDependencyConditions(deps []*dependency, cvals map[string]interface{}) {
	for _, d := range deps {
		for _, c := range strings.Split(strings.TrimSpace(d.Condition), ",") {
			if len(c) == 0 {
				continue
			}
			vv, ok := pathValue(cvals, c)
			if !ok {
				continue
			}
			if bv, isBool := vv.(bool); isBool {
				d.Enabled = bv
				break
			}
			fmt.Fprintf(os.Stderr, "Warning: Condition path '%s' for chart %s returned non-bool value\n", c, d.Name)
		}
	}
}

func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: render CHART_DIR [-f values.yaml]... [--set k.k=v[,...]]... [--release NAME] [--namespace NS] [--notes | --values-json | --dependencies]")
	}
	chartDir := os.Args[1]
	release, namespace, notes, dumpValues, dumpDeps := "release-name", "default", false, false, false
	var valueFiles, sets []string
	for i := 2; i < len(os.Args); i++ {
		switch os.Args[i] {
		case "-f":
			i++
			valueFiles = append(valueFiles, os.Args[i])
		case "--release":
			i++
			release = os.Args[i]
		case "--namespace":
			i++
			namespace = os.Args[i]
		case "--notes":
			notes = true
		case "--set":
			i++
			if i < len(os.Args) {
				sets = append(sets, os.Args[i])
			}
		case "--values-json":
			dumpValues = true
		case "--dependencies":
			dumpDeps = true
		default:
			fail("unknown argument %q", os.Args[i])
		}
	}

	chartMeta := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		user = mergeMaps(user, readYAML(f))
	}
	for _, s := range sets {
		if err := setValue(s, user); err != nil {
			fail("%v", err)
		}
	}
	values := coalesceValues(readYAML(filepath.Join(chartDir, "values.yaml")), user)
	if dumpDeps {
		deps := readDependencies(chartMeta)
		processDependencyEnabled(deps, values)
		for _, d := range deps {
			alias, state := d.Alias, "enabled"
			if alias == "" {
				alias = "-"
			}
			if !d.Enabled {
				state = "disabled"
			}
			fmt.Printf("%s %s %s\n", d.Name, alias, state)
		}
		return
	}
	if dumpValues {
		b, _ := json.MarshalIndent(values, "", "  ")
		os.Stdout.Write(append(b, '\n'))
		return
	}
	chartFiles := files{}
	filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(chartDir, p)
			data, _ := os.ReadFile(p)
			chartFiles[filepath.ToSlash(rel)] = data
		}
		return nil
	})
	name := fmt.Sprint(chartMeta["name"])
	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true,
			"IsUpgrade": false, "Revision": 1,
		},
		"Chart": map[string]interface{}{
			"Name": chartMeta["name"], "Version": chartMeta["version"],
			"AppVersion": chartMeta["appVersion"], "Description": chartMeta["description"],
		},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30",
				"GitVersion": "v1.30.0"},
			"APIVersions": versionSet{"v1", "apps/v1", "batch/v1", "networking.k8s.io/v1",
				"monitoring.coreos.com/v1"},
		},
		"Files": chartFiles,
	}

	root := template.New(name).Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includeDepth := 0
	funcs["include"] = func(n string, data interface{}) (string, error) {
		includeDepth++
		defer func() { includeDepth-- }()
		if includeDepth > 100 {
			return "", fmt.Errorf("include %q: recursion too deep", n)
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, n, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, fmt.Errorf(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, fmt.Errorf(msg)
		}
		return v, nil
	}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return normalize(m).(map[string]interface{})
	}
	funcs["toJson"] = func(v interface{}) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	root.Funcs(funcs)

	var names []string
	for f := range chartFiles {
		if strings.HasPrefix(f, "templates/") {
			names = append(names, f)
		}
	}
	sort.Strings(names)
	for _, f := range names {
		if _, err := root.New(path.Join(name, f)).Parse(string(chartFiles[f])); err != nil {
			fail("%v", err)
		}
	}
	var out bytes.Buffer
	for _, f := range names {
		base := path.Base(f)
		isNotes := base == "NOTES.txt"
		if strings.HasPrefix(base, "_") || isNotes != notes || (!isNotes && !strings.HasSuffix(base, ".yaml") && !strings.HasSuffix(base, ".yml")) {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": path.Join(name, f), "BasePath": path.Join(name, "templates")}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, path.Join(name, f), top); err != nil {
			fail("%v", err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if notes {
			out.WriteString(text)
			continue
		}
		for _, doc := range strings.Split(text, "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", path.Join(name, f), strings.Trim(doc, "\n"))
		}
	}
	os.Stdout.Write(out.Bytes())
}

func stripComments(doc string) string {
	var keep []string
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
