// render: renders a Helm chart offline with Helm's own template engine libraries (Go
// text/template + Masterminds sprig), giving include, tpl, required, toYaml, fromYaml, toJson,
// .Files, .Capabilities, .Release and .Chart the meaning Helm gives them. Dependencies that are
// not vendored under charts/ are not rendered (their values still pass through).
//
// Usage: render CHART_DIR [-f values.yaml]... [--release NAME] [--namespace NS] [--notes]
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type files map[string][]byte

func (f files) Get(name string) string { return string(f[name]) }
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

// coalesce merges src over dst as Helm merges values files: maps merge, anything else
// replaces, and null deletes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = coalesce(dm, sm)
		} else {
			dst[k] = v
		}
	}
	return dst
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
		fail("usage: render CHART_DIR [-f values.yaml]... [--release NAME] [--namespace NS] [--notes]")
	}
	chartDir := os.Args[1]
	release, namespace, notes, dumpValues := "release-name", "default", false, false
	var valueFiles []string
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
		case "--values-json":
			dumpValues = true
		default:
			fail("unknown argument %q", os.Args[i])
		}
	}

	chartMeta := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	values := readYAML(filepath.Join(chartDir, "values.yaml"))
	for _, f := range valueFiles {
		values = coalesce(values, readYAML(f))
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
