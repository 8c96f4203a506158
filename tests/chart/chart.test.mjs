// Offline proof of the Helm chart with real Helm (the helm .ci/setup builds, HELM): every
// ci/*-values.yaml scenario is rendered by `helm template` with Kubecost's chart replaced by the
// stand-in tests/chart/cost-analyzer-standin (vendored into charts/ of a temporary copy), linted
// by `helm lint --strict`, every object is validated against the Kubernetes schemas
// (kubernetes-models), the merged values against values.schema.json (ajv), and the things that
// matter are asserted. Run by tests/chart/run.sh.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, mkdirSync, rmSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import YAML from "yaml";
import Ajv from "ajv";

const HELM = process.env.HELM;
const SOURCE_CHART = path.resolve(process.env.CHART_DIR);
const STANDIN = path.resolve(process.env.STANDIN_DIR);
const PROMTOOL = process.env.PROMTOOL || "promtool";
const RELEASE = "cloudtuner-k8s";
const NAMESPACE = "cloudtuner-system";
assert.ok(HELM && SOURCE_CHART && STANDIN, "HELM, CHART_DIR and STANDIN_DIR must be set");

// Two copies of the chart, each with the stand-in as its cost-analyzer dependency: CHART as it
// is (rendered and linted), and PROBE, whose templates are only _helpers.tpl and one template
// that renders the merged values and NOTES.txt into a ConfigMap (helm template prints neither;
// helm install --dry-run needs a cluster), so that it renders even for values our other
// templates refuse.
const WORK = mkdtempSync(path.join(tmpdir(), "kci-chart-helm-"));
after(() => rmSync(WORK, { recursive: true, force: true }));
function vendor(dir) {
  const dest = path.join(WORK, dir, "kubecost-integration");
  cpSync(SOURCE_CHART, dest, { recursive: true, filter: (src) => {
    const rel = path.relative(SOURCE_CHART, src);
    return !(rel === "charts" || rel.startsWith("charts/") || rel.endsWith(".tgz"));
  } });
  mkdirSync(path.join(dest, "charts"), { recursive: true });
  cpSync(STANDIN, path.join(dest, "charts", "cost-analyzer"), { recursive: true });
  return dest;
}
const CHART = vendor("plain");
const PROBE = vendor("probe");
for (const f of readdirSync(path.join(PROBE, "templates")))
  if (f !== "_helpers.tpl") rmSync(path.join(PROBE, "templates", f), { recursive: true });
writeFileSync(path.join(PROBE, "templates", "_kci_test_notes.tpl"),
  '{{- define "kci.test.notes" -}}\n' + readFileSync(path.join(SOURCE_CHART, "templates", "NOTES.txt"), "utf8") + "\n{{- end -}}\n");
writeFileSync(path.join(PROBE, "templates", "zz-kci-test-probe.yaml"),
  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kci-test-probe}\ndata:\n" +
  '  values: {{ toJson .Values | quote }}\n  notes: {{ include "kci.test.notes" . | quote }}\n');

function helm(chart, args) {
  return spawnSync(HELM, ["template", RELEASE, chart, "-n", NAMESPACE, ...args], { encoding: "utf8" });
}
// Same call shape as before: values files and flags, against the plain copy.
function run(args) {
  return helm(CHART, args);
}

function render(valuesFiles, extra = []) {
  const r = run([...valuesFiles.flatMap((f) => ["-f", f]), ...extra]);
  assert.equal(r.status, 0, `helm template failed: ${r.stderr}`);
  return YAML.parseAllDocuments(r.stdout).map((d) => d.toJSON()).filter(Boolean);
}

// Without Helm's values.schema.json check (ajv checks the merged values against it below), so
// that values the schema refuses can still be looked at.
function probe(valuesFiles, extra = []) {
  const r = helm(PROBE, [...valuesFiles.flatMap((f) => ["-f", f]), ...extra, "--skip-schema-validation",
                         "--show-only", "templates/zz-kci-test-probe.yaml"]);
  assert.equal(r.status, 0, r.stderr);
  return YAML.parse(r.stdout).data;
}

function mergedValues(valuesFiles, extra = []) {
  return JSON.parse(probe(valuesFiles, extra).values);
}

// Helm's own decision on the Kubecost dependency for these values: "enabled" when Helm rendered
// the vendored sub-chart (alias kubecost), else "disabled".
function kubecostDependency(valuesFiles, extra = []) {
  const r = helm(PROBE, [...valuesFiles.flatMap((f) => ["-f", f]), ...extra, "--skip-schema-validation"]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.includes("# Source: kubecost-integration/charts/kubecost/") ? "enabled" : "disabled";
}

function withValuesFile(values, fn) {
  const dir = mkdtempSync(path.join(tmpdir(), "kci-chart-"));
  try {
    const f = path.join(dir, "v.yaml");
    writeFileSync(f, YAML.stringify(values));
    return fn(f);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateValues = ajv.compile(JSON.parse(readFileSync(path.join(CHART, "values.schema.json"))));

async function validateObject(obj) {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  const mod =
    group === "monitoring.coreos.com"
      ? await import(`@kubernetes-models/prometheus-operator/${group}/${version}/${obj.kind}`)
      : await import(group ? `kubernetes-models/${group}/${version}/${obj.kind}` : `kubernetes-models/${version}/${obj.kind}`);
  new mod[obj.kind](obj).validate();
}

const find = (docs, kind, name) => docs.find((d) => d.kind === kind && (!name || d.metadata.name === name));
const envOf = (container) => Object.fromEntries(container.env.map((e) => [e.name, e.value]));

test("the Kubernetes schema check can fail", async () => {
  const bad = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" },
                spec: { replicas: "two", selector: {}, template: {} } };
  await assert.rejects(async () => validateObject(bad));
});

const scenarios = readdirSync(path.join(CHART, "ci")).filter((f) => f.endsWith("-values.yaml")).sort();
const counts = {};

test("eight scenarios are kept under ci/", () => {
  assert.ok(scenarios.length >= 8, scenarios.join(","));
});

// Each scenario's answer before kubecost.enabled lost its values.yaml default (it was true).
const SCENARIO_KUBECOST = {
  "development-values.yaml": "enabled",
  "quick-start-values.yaml": "enabled",
  "exporter-only-values.yaml": "disabled",
  "high-scale-values.yaml": "enabled",
  "leader-election-values.yaml": "enabled",
  "s3-export-irsa-values.yaml": "enabled",
  "seed-guide-production-values.yaml": "enabled",
  "servicemonitor-rules-values.yaml": "disabled",
};

test("every ci/ scenario keeps its bundled-Kubecost answer", () => {
  for (const s of scenarios) {
    assert.ok(s in SCENARIO_KUBECOST, `add ${s} to SCENARIO_KUBECOST`);
    assert.equal(kubecostDependency([path.join(CHART, "ci", s)]), SCENARIO_KUBECOST[s], s);
  }
});

for (const scenario of scenarios) {
  const file = path.join(CHART, "ci", scenario);
  test(`scenario ${scenario}`, async (t) => {
    const values = mergedValues([file]);
    assert.ok(validateValues(values), JSON.stringify(validateValues.errors));
    const docs = render([file]);
    counts[scenario] = docs.length;
    for (const obj of docs) await validateObject(obj);

    const exp = values.allocationExporter;
    const dep = find(docs, "Deployment", "kubecost-allocation-exporter");
    assert.ok(dep, "exporter Deployment");
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    const env = envOf(c);
    const election = exp.replicaCount > 1 || exp.leaderElection?.enabled === true;

    await t.test("tenant id is the same in the exporter and the remote_write header", () => {
      assert.equal(env.TENANT_ID, exp.config.tenantId);
      for (const rw of values.kubecost?.prometheus?.server?.remoteWrite ?? [])
        if (rw.headers?.["Cloud-Account-Id"]) assert.equal(rw.headers["Cloud-Account-Id"], env.TENANT_ID);
    });
    await t.test("probes, port and security defaults", () => {
      assert.deepEqual(c.livenessProbe.httpGet, { path: "/healthz", port: "metrics" });
      assert.deepEqual(c.readinessProbe.httpGet, { path: "/readyz", port: "metrics" });
      assert.deepEqual(c.ports[0], { name: "metrics", containerPort: exp.port, protocol: "TCP" });
      assert.equal(env.EXPORTER_PORT, String(exp.port));
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
      assert.equal(pod.automountServiceAccountToken, election);
      assert.match(dep.spec.template.metadata.annotations["checksum/config"], /^[0-9a-f]{64}$/);
    });
    await t.test("exporter environment mirrors the values", () => {
      const cfg = exp.config;
      assert.equal(env.SCRAPE_INTERVAL, String(cfg.scrapeInterval));
      assert.equal(env.WINDOW, cfg.window);
      assert.equal(env.AGGREGATION_LEVEL, cfg.aggregationLevel);
      assert.equal(env.ENABLE_POD_METRICS, String(cfg.enablePodMetrics));
      assert.equal(env.TOP_N_PODS, String(cfg.topNPods));
      assert.equal(env.MAX_SERIES, String(cfg.maxSeries ?? 200000));
      assert.equal(env.CLUSTER_NAME, cfg.clusterName);
      assert.equal(env.LABEL_KEYS, (cfg.labelKeys ?? []).join(","));
      assert.equal(env.KUBECOST_CLUSTER_ID, cfg.kubecostClusterId ?? "");
      assert.equal(env.MULTI_CLUSTER, String(cfg.multiCluster ?? false));
      const url = cfg.kubecostUrl
        ? cfg.kubecostUrl
        : kubecostDependency([file]) === "enabled"
          ? `http://${RELEASE}-kubecost.${NAMESPACE}.svc.cluster.local:9090`
          : "http://kubecost-cost-analyzer.kubecost.svc.cluster.local:9090";
      assert.equal(env.KUBECOST_URL, url);
      // global.imageTag (CloudTuner's v1.4.0, ...) never retags our image (issue 22 item 3).
      const appVersion = YAML.parse(readFileSync(path.join(CHART, "Chart.yaml"), "utf8")).appVersion;
      assert.equal(c.image, `${exp.image.repository}:${exp.image.tag || appVersion}`);
    });
    await t.test("Service keeps the names the guide's scrape job selects on", () => {
      const svc = find(docs, "Service", "kubecost-allocation-exporter");
      assert.equal(svc.metadata.labels["app.kubernetes.io/name"], "kubecost-allocation-exporter");
      assert.deepEqual(svc.spec.ports[0], { name: "metrics", port: 9103, targetPort: "metrics", protocol: "TCP" });
      assert.equal(svc.metadata.annotations["prometheus.io/scrape"], "true");
      assert.equal(svc.metadata.annotations["prometheus.io/port"], "9103");
    });
    if (!election) {
      await t.test("least privilege: one replica has no RBAC objects, no token, no PDB, no election", () => {
        assert.ok(!docs.some((d) => /Role/.test(d.kind)), "no Role/ClusterRole/bindings");
        assert.ok(!find(docs, "PodDisruptionBudget"), "no PDB");
        assert.equal(env.LEADER_ELECTION, undefined);
        assert.ok(!c.env.some((e) => e.name === "POD_NAME"), "no downward API env");
        assert.equal(pod.affinity?.podAntiAffinity, undefined);
      });
    } else {
      await t.test("leader election: env, Role, RoleBinding, PDB, token, anti-affinity", () => {
        const le = exp.leaderElection ?? {};
        const lease = le.leaseName || "kubecost-allocation-exporter";
        assert.equal(env.LEADER_ELECTION, "true");
        assert.equal(env.LEADER_ELECTION_LEASE_NAME, lease);
        assert.equal(env.LEADER_ELECTION_LEASE_DURATION, le.leaseDuration ?? "15s");
        assert.equal(env.LEADER_ELECTION_RENEW_DEADLINE, le.renewDeadline ?? "10s");
        assert.equal(env.LEADER_ELECTION_RETRY_PERIOD, le.retryPeriod ?? "2s");
        const fieldOf = (n) => c.env.find((e) => e.name === n)?.valueFrom?.fieldRef?.fieldPath;
        assert.equal(fieldOf("POD_NAME"), "metadata.name");
        assert.equal(fieldOf("POD_NAMESPACE"), "metadata.namespace");
        assert.ok(!docs.some((d) => /^Cluster/.test(d.kind)), "nothing cluster-wide");
        const role = find(docs, "Role");
        assert.equal(role.metadata.namespace, NAMESPACE);
        // get/update on the named Lease only; create cannot be restricted by name.
        assert.deepEqual(role.rules, [
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [lease], verbs: ["get", "update"] },
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        ]);
        const rb = find(docs, "RoleBinding");
        assert.equal(rb.metadata.namespace, NAMESPACE);
        assert.deepEqual(rb.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
        assert.deepEqual(rb.subjects, [{ kind: "ServiceAccount", name: pod.serviceAccountName, namespace: NAMESPACE }]);
        const pdb = find(docs, "PodDisruptionBudget");
        assert.equal(pdb.spec.minAvailable, 1);
        assert.deepEqual(pdb.spec.selector.matchLabels, dep.spec.selector.matchLabels);
        if (Object.keys(exp.affinity ?? {}).length === 0) {
          const term = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
          assert.equal(term.podAffinityTerm.topologyKey, "kubernetes.io/hostname");
          assert.deepEqual(term.podAffinityTerm.labelSelector.matchLabels, dep.spec.selector.matchLabels);
        } else {
          assert.deepEqual(pod.affinity, exp.affinity, "the user's affinity replaces the default");
        }
        if (values.networkPolicy.enabled) {
          const np = find(docs, "NetworkPolicy");
          assert.ok(np.spec.egress.some((r) => r.ports.some((p) => p.port === 443)), "API server egress");
        }
      });
    }
    if (values.s3Export.enabled) {
      await t.test("s3-export CronJob", () => {
        const cj = find(docs, "CronJob", "kubecost-s3-exporter");
        assert.equal(cj.spec.concurrencyPolicy, "Forbid");
        assert.equal(cj.spec.schedule, values.s3Export.schedule);
        const job = cj.spec.jobTemplate.spec.template.spec;
        const cenv = envOf(job.containers[0]);
        assert.deepEqual(job.containers[0].args, ["s3-export"]);
        for (const [k, v] of Object.entries(values.s3Export.env))
          if (v !== "" && k !== "KUBECOST_API_ENDPOINT") assert.equal(cenv[k], String(v), k);
        assert.equal(cenv.KUBECOST_API_ENDPOINT, env.KUBECOST_URL);
        const sa = find(docs, "ServiceAccount", job.serviceAccountName);
        assert.equal(sa.metadata.annotations["eks.amazonaws.com/role-arn"], values.s3Export.serviceAccount.irsaRoleArn);
      });
    }
    if (values.serviceMonitor.enabled) {
      await t.test("ServiceMonitor honours our labels", () => {
        const sm = find(docs, "ServiceMonitor");
        assert.equal(sm.spec.endpoints[0].honorLabels, true);
        assert.equal(sm.spec.endpoints[0].port, "metrics");
      });
    }
    if (values.prometheusRule.enabled) {
      await t.test("alert rules pass promtool check rules and match deploy/prometheus/alerts.yml", () => {
        const rule = find(docs, "PrometheusRule");
        const names = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert));
        for (const a of ["KubecostAllocationExporterDown", "KubecostAllocationDataStale", "KubecostUnreachable", "KubecostS3ExportMissing"])
          assert.ok(names.includes(a), a);
        const dir = mkdtempSync(path.join(tmpdir(), "kci-rules-"));
        try {
          const f = path.join(dir, "rules.yml");
          writeFileSync(f, YAML.stringify(rule.spec));
          const r = spawnSync(PROMTOOL, ["check", "rules", f], { encoding: "utf8" });
          assert.equal(r.status, 0, r.stdout + r.stderr);
        } finally {
          rmSync(dir, { recursive: true });
        }
        const deployed = YAML.parse(readFileSync(path.join(SOURCE_CHART, "../../deploy/prometheus/alerts.yml"), "utf8"));
        assert.deepEqual(deployed, rule.spec);
      });
    }
    if (values.networkPolicy.enabled) {
      await t.test("NetworkPolicy admits the scraper on the metrics port", () => {
        const np = find(docs, "NetworkPolicy");
        assert.deepEqual(np.spec.ingress[0].ports, [{ port: "metrics", protocol: "TCP" }]);
      });
    }
  });
}

test("a tenant id that differs from the Cloud-Account-Id header is refused", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kci-chart-"));
  try {
    const f = path.join(dir, "v.yaml");
    writeFileSync(f, YAML.stringify({
      kubecost: { prometheus: { server: { remoteWrite: [{ url: "https://x/write", headers: { "Cloud-Account-Id": "A" } }] } } },
      allocationExporter: { config: { tenantId: "B" } },
    }));
    const r = run(["-f", f]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /tenantId "B" differs from the remote_write Cloud-Account-Id header "A"/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("an inline remote_write password is refused when existingSecret is set", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kci-chart-"));
  try {
    const f = path.join(dir, "v.yaml");
    writeFileSync(f, YAML.stringify({
      existingSecret: { name: "s" },
      kubecost: { prometheus: { server: { remoteWrite: [{ url: "https://x/write", basic_auth: { username: "u", password: "p" } }] } } },
      allocationExporter: { config: { tenantId: "T" } },
    }));
    const r = run(["-f", f]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /password is inline although existingSecret is set/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("values.schema.json rejects a missing tenant id and wrong types", () => {
  // Helm itself refuses to render without a tenant id (it checks values.schema.json).
  const refused = run([]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /tenantId': minLength/);
  const base = mergedValues([]);
  assert.equal(validateValues(base), false, "default values have no tenant id");
  assert.ok(validateValues.errors.some((e) => e.instancePath.includes("config") || e.params?.missingProperty === "tenantId"));
  const good = structuredClone(base);
  good.allocationExporter.config.tenantId = "t";
  assert.ok(validateValues(good), JSON.stringify(validateValues.errors));
  const off = structuredClone(base);
  off.allocationExporter.enabled = false;
  assert.ok(validateValues(off), "no tenant needed when the exporter is off");
  for (const [pathTo, bad] of [
    [["image"], 5],
    [["image"], { bundleKubecost: "yes" }],
    [["image"], { repository: "x" }],
    [["awsS3Exporter", "bundleKubecost"], "no"],
    [["kubecost", "enabled"], "false"],
    [["allocationExporter", "config", "topNPods"], "fifty"],
    [["allocationExporter", "config", "maxSeries"], 0],
    [["allocationExporter", "config", "maxSeries"], "200k"],
    [["allocationExporter", "config", "metricMode"], "hourly"],
    [["allocationExporter", "replicaCount"], "2"],
    [["s3Export", "serviceAccount", "irsaRoleArn"], "not-an-arn"],
  ]) {
    const v = structuredClone(good);
    let o = v;
    for (const k of pathTo.slice(0, -1)) o = o[k];
    o[pathTo.at(-1)] = bad;
    assert.equal(validateValues(v), false, pathTo.join("."));
  }
});

test("a config change rolls the pod (checksum annotation changes)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kci-chart-"));
  try {
    const a = path.join(dir, "a.yaml"), b = path.join(dir, "b.yaml");
    writeFileSync(a, YAML.stringify({ allocationExporter: { config: { tenantId: "T", scrapeInterval: 120 } } }));
    writeFileSync(b, YAML.stringify({ allocationExporter: { config: { tenantId: "T", scrapeInterval: 300 } } }));
    const sum = (f) => find(render([f]), "Deployment").spec.template.metadata.annotations["checksum/config"];
    assert.notEqual(sum(a), sum(b));
    assert.equal(sum(a), sum(a));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

function renderWith(values) {
  const dir = mkdtempSync(path.join(tmpdir(), "kci-chart-"));
  try {
    const f = path.join(dir, "v.yaml");
    writeFileSync(f, YAML.stringify(values));
    return render([f]);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

// Kubecost's own service naming (kubecost/cost-analyzer-helm-chart cost-analyzer/templates/
// _helpers.tpl "cost-analyzer.serviceName", "frontend.serviceName"; frontend-service-template.yaml),
// under the alias: Helm renames the dependency "kubecost" (helm v3.21.4
// pkg/chartutil/dependencies.go:123-124), so its Service is <release>-kubecost.
test("the default Kubecost URL follows Kubecost's service naming", () => {
  const url = (kubecost) => {
    const docs = renderWith({ kubecost, allocationExporter: { config: { tenantId: "T" } } });
    const u = envOf(find(docs, "Deployment", "kubecost-allocation-exporter").spec.template.spec.containers[0]).KUBECOST_URL;
    // Except in haMode (the stand-in has no frontend Deployment), the Service the URL names is
    // one the Kubecost stand-in rendered, on one of its ports.
    if (kubecost.kubecostFrontend?.deployMethod !== "haMode") {
      const { hostname, port } = new URL(u);
      const svc = find(docs, "Service", hostname.split(".")[0]);
      assert.ok(svc, `${u}: no such Service rendered`);
      assert.ok(svc.spec.ports.some((p) => String(p.port) === port), `${u}: port not on ${svc.metadata.name}`);
    }
    return u;
  };
  const ns = `${NAMESPACE}.svc.cluster.local`;
  assert.equal(url({}), `http://${RELEASE}-kubecost.${ns}:9090`);
  assert.equal(url({ nameOverride: "kc" }), `http://${RELEASE}-kc.${ns}:9090`);
  // A release name that already holds the name is used alone.
  assert.equal(url({ nameOverride: "k8s" }), `http://${RELEASE}.${ns}:9090`);
  assert.equal(url({ fullnameOverride: "my-kubecost", nameOverride: "kc" }), `http://my-kubecost.${ns}:9090`);
  // haMode: the frontend Deployment's own Service wins over the overrides.
  assert.equal(url({ kubecostFrontend: { deployMethod: "haMode" }, fullnameOverride: "x" }),
               `http://${RELEASE}-frontend.${ns}:9090`);
  assert.equal(url({ kubecostFrontend: { deployMethod: "singlepod" } }), `http://${RELEASE}-kubecost.${ns}:9090`);
  assert.equal(url({ service: { port: 9091 } }), `http://${RELEASE}-kubecost.${ns}:9091`);
  assert.equal(url({ fullnameOverride: "a".repeat(70) }), `http://${"a".repeat(63)}.${ns}:9090`);
});

test("kubecostAuth mounts the headers and basic-auth Secrets into the exporter and the CronJob", async () => {
  const docs = renderWith({
    allocationExporter: {
      config: { tenantId: "T" },
      kubecostAuth: { headersSecret: "kc-ingress", headersSecretKey: "cookie", basicAuthSecret: "kc-basic" },
    },
    s3Export: { enabled: true, serviceAccount: { irsaRoleArn: "arn:aws:iam::111122223333:role/child" },
                env: { S3_BUCKET_NAME: "bucket", CLUSTER_ID: "arn:aws:eks:eu-west-1:111122223333:cluster/c" } },
  });
  for (const obj of docs) await validateObject(obj);
  const dep = find(docs, "Deployment", "kubecost-allocation-exporter").spec.template.spec;
  const job = find(docs, "CronJob", "kubecost-s3-exporter").spec.jobTemplate.spec.template.spec;
  for (const pod of [dep, job]) {
    const c = pod.containers[0];
    const env = Object.fromEntries(c.env.map((e) => [e.name, e]));
    assert.equal(env.KUBECOST_HEADERS_FILE.value, "/etc/kubecost-auth/headers/cookie");
    assert.deepEqual(env.KUBECOST_BASIC_AUTH_USERNAME.valueFrom, { secretKeyRef: { name: "kc-basic", key: "username" } });
    assert.equal(env.KUBECOST_BASIC_AUTH_PASSWORD_FILE.value, "/etc/kubecost-auth/basic/password");
    const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.name, m]));
    assert.deepEqual(mounts["kubecost-headers"], { name: "kubecost-headers", mountPath: "/etc/kubecost-auth/headers", readOnly: true });
    assert.deepEqual(mounts["kubecost-basic-auth"], { name: "kubecost-basic-auth", mountPath: "/etc/kubecost-auth/basic", readOnly: true });
    assert.ok(c.volumeMounts.every((m) => !m.subPath), "subPath mounts would not see a rotated Secret");
    const vols = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
    assert.deepEqual(vols["kubecost-headers"].secret, { secretName: "kc-ingress", items: [{ key: "cookie", path: "cookie" }] });
    assert.deepEqual(vols["kubecost-basic-auth"].secret, { secretName: "kc-basic", items: [{ key: "password", path: "password" }] });
  }
  // Nothing of it without kubecostAuth.
  const plain = find(renderWith({ allocationExporter: { config: { tenantId: "T" } } }), "Deployment").spec.template.spec;
  assert.equal(plain.volumes, undefined);
  assert.ok(!plain.containers[0].env.some((e) => e.name.startsWith("KUBECOST_BASIC_AUTH") || e.name === "KUBECOST_HEADERS_FILE"));
});

test("NOTES.txt prints the verification commands", () => {
  const notes = probe([path.join(CHART, "ci", "exporter-only-values.yaml")]).notes;
  assert.match(notes, /port-forward svc\/kubecost-allocation-exporter 9103:9103/);
  assert.match(notes, /curl -s http:\/\/localhost:9103\/metrics \| grep cloudtuner_kubecost_namespace_total_cost/);
  assert.match(notes, /exec deploy\/kubecost-allocation-exporter -- allocation-exporter doctor --prometheus.url/);
});

test("AWS kubecost-s3-exporter values install the s3-export CronJob and its ServiceAccount only", async () => {
  // examples/aws-kubecost-s3-exporter-values.yaml is a values file as the AWS solution's
  // Terraform writes it for its kubecost_s3_exporter chart (issue 13 item 9).
  const file = path.join(CHART, "examples", "aws-kubecost-s3-exporter-values.yaml");
  const aws = YAML.parse(readFileSync(file, "utf8"));
  const values = mergedValues([file]);
  assert.ok(validateValues(values), JSON.stringify(validateValues.errors));
  assert.equal(values.image, aws.image, "AWS's image string replaces the chart's image map");
  assert.equal(kubecostDependency([file]), "disabled", "no Kubecost sub-chart with AWS's values");
  const docs = render([file]);
  for (const obj of docs) await validateObject(obj);
  assert.deepEqual(docs.map((d) => d.kind).sort(), ["CronJob", "ServiceAccount"]);
  const cj = find(docs, "CronJob", aws.cronJob.name);
  assert.ok(cj, "CronJob named cronJob.name");
  assert.equal(cj.metadata.namespace, NAMESPACE);
  assert.equal(cj.spec.schedule, aws.cronJob.schedule);
  const pod = cj.spec.jobTemplate.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(c.image, aws.image);
  assert.equal(c.imagePullPolicy, aws.imagePullPolicy);
  assert.deepEqual(c.args, ["s3-export"]);
  // The same env as the AWS chart's `value: "{{ .value }}"`: every entry, in order, as strings.
  assert.deepEqual(c.env, aws.env.map((e) => ({ name: e.name, value: String(e.value) })));
  assert.equal(envOf(c).BACKFILL_PERIOD_DAYS, "15");
  assert.equal(envOf(c).CONNECTION_TIMEOUT, "10");
  assert.equal(envOf(c).KUBECOST_CA_CERTIFICATE_SECRET_NAME, "");
  assert.equal(pod.volumes[0].emptyDir.sizeLimit, aws.ephemeralVolumeSize);
  assert.equal(c.volumeMounts[0].mountPath, "/tmp");
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(pod.serviceAccountName, aws.serviceAccount.name);
  const sa = find(docs, "ServiceAccount", aws.serviceAccount.name);
  assert.equal(sa.metadata.annotations["eks.amazonaws.com/role-arn"], aws.serviceAccount.role);
  assert.equal(sa.automountServiceAccountToken, false);
  // serviceAccount.create false: the CronJob alone, on the existing account.
  const dir = mkdtempSync(path.join(tmpdir(), "kci-chart-"));
  try {
    const noSa = path.join(dir, "no-sa.yaml");
    writeFileSync(noSa, YAML.stringify({ ...aws, serviceAccount: { ...aws.serviceAccount, create: false } }));
    assert.deepEqual(render([noSa]).map((d) => d.kind), ["CronJob"]);
    const noImage = path.join(dir, "no-image.yaml");
    writeFileSync(noImage, YAML.stringify({ ...aws, image: "" }));
    const r = run(["-f", noImage]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /image \(the s3-export image, <registry>\/<repo>:<tag>\) is required/);
    // No image at all: the chart's own image map is left, and the same message is given.
    const { image: _image, ...noImageKey } = aws;
    const absent = path.join(dir, "absent-image.yaml");
    writeFileSync(absent, YAML.stringify(noImageKey));
    const r2 = run(["-f", absent]);
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /image \(the s3-export image, <registry>\/<repo>:<tag>\) is required/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

// Chart.yaml `condition: kubecost.enabled,image.bundleKubecost,awsS3Exporter.bundleKubecost`
// (issue 13 item 9): the explicit choice first, then a default AWS's layout removes, then one
// only AWS's layout reaches.
test("the Kubecost sub-chart is installed by default and with CloudTuner's layout, not with AWS's values", () => {
  const awsFile = path.join(CHART, "examples", "aws-kubecost-s3-exporter-values.yaml");
  const aws = YAML.parse(readFileSync(awsFile, "utf8"));
  assert.equal(kubecostDependency([]), "enabled", "no values file");
  assert.equal(kubecostDependency([awsFile]), "disabled", "AWS's values unchanged");
  // The explicit choice wins over the layout, from --set or from a second values file.
  assert.equal(kubecostDependency([awsFile], ["--set", "kubecost.enabled=true"]), "enabled");
  assert.equal(kubecostDependency([awsFile], ["--set", "kubecost.enabled=false"]), "disabled");
  withValuesFile({ kubecost: { enabled: true } }, (f) => assert.equal(kubecostDependency([awsFile, f]), "enabled"));
  // AWS's file with the Kubecost sub-chart asked for: Kubecost's objects, and of ours still only
  // the two objects.
  const withKc = run(["-f", awsFile, "--set", "kubecost.enabled=true"]);
  assert.equal(withKc.status, 0, withKc.stderr);
  const ours = withKc.stdout.split(/^---$/m).filter((d) => d.includes("# Source: kubecost-integration/templates/"));
  assert.deepEqual(ours.map((d) => YAML.parse(d).kind).sort(), ["CronJob", "ServiceAccount"]);
  // CloudTuner's layout (a customer's cloudtuner-values.yaml).
  const cloudtuner = (enabled) => ({
    kubecost: { ...(enabled === undefined ? {} : { enabled }), cloudtuner: { enabled: true, endpoint: "https://dashboard.cloudtuner.ai" },
                prometheus: { server: { remoteWrite: [{ url: "https://dashboard.cloudtuner.ai/write", headers: { "Cloud-Account-Id": "T" } }] } } },
    allocationExporter: { config: { tenantId: "T" } },
  });
  for (const [enabled, want] of [[false, "disabled"], [true, "enabled"], [undefined, "enabled"]])
    withValuesFile(cloudtuner(enabled), (f) => {
      assert.equal(kubecostDependency([f]), want, `kubecost.enabled ${enabled}`);
      assert.ok(validateValues(mergedValues([f])), JSON.stringify(validateValues.errors));
    });
  // AWS's layout in any of its scalar spellings of image drops the default map.
  withValuesFile({ ...aws, image: "" }, (f) => assert.equal(kubecostDependency([f]), "disabled"));
  assert.deepEqual(mergedValues([]).image, { bundleKubecost: true });
  assert.deepEqual(mergedValues([]).awsS3Exporter, { bundleKubecost: false });
  assert.equal(mergedValues([]).kubecost.enabled, undefined, "kubecost.enabled has no default value");
});

test("the templates' bundled-Kubecost answer (kci.bundledKubecost) is Helm's dependency decision", () => {
  const base = { allocationExporter: { config: { tenantId: "T" } } };
  const bundled = `http://${RELEASE}-kubecost.${NAMESPACE}.svc.cluster.local:9090`;
  const external = "http://kubecost-cost-analyzer.kubecost.svc.cluster.local:9090";
  const cases = [
    [{}, "enabled"],
    [{ kubecost: { enabled: false } }, "disabled"],
    [{ kubecost: { enabled: true } }, "enabled"],
    [{ image: "registry.example.com/x:1" }, "disabled"],             // image a string: path 2 gone
    [{ image: "x", kubecost: { enabled: true } }, "enabled"],
    [{ image: "x", awsS3Exporter: { bundleKubecost: true } }, "enabled"],
    [{ image: { bundleKubecost: false } }, "disabled"],
    [{ image: null }, "disabled"],                                    // null deletes the default map
    // non-bool: skipped, as Helm does ("maybe": an unquoted `no` would be YAML 1.1 false to Helm)
    [{ kubecost: { enabled: "maybe" } }, "enabled"],
    [{ kubecost: { enabled: { x: 1 } } }, "enabled"],                 // a map: no value, skipped
    [{ image: "x", awsS3Exporter: null }, "enabled"],                 // no path decides: stays enabled
  ];
  // Some cases are values values.schema.json refuses: Helm's schema check is skipped for them.
  for (const [extra, want] of cases)
    withValuesFile({ ...base, ...extra }, (f) => {
      assert.equal(kubecostDependency([f]), want, JSON.stringify(extra));
      const dep = find(render([f], ["--skip-schema-validation"]), "Deployment", "kubecost-allocation-exporter");
      const url = envOf(dep.spec.template.spec.containers[0]).KUBECOST_URL;
      assert.equal(url, want === "enabled" ? bundled : external, JSON.stringify(extra));
    });
  const cond = YAML.parse(readFileSync(path.join(CHART, "Chart.yaml"), "utf8")).dependencies[0].condition;
  assert.equal(cond, "kubecost.enabled,image.bundleKubecost,awsS3Exporter.bundleKubecost",
               "kci.bundledKubecost walks these paths: change both together (no spaces: Helm does not trim them)");
});

test("rendered object count per scenario", () => {
  for (const s of scenarios) assert.ok(counts[s] > 0, s);
  console.log("rendered objects: " + Object.entries(counts).map(([s, n]) => `${s}=${n}`).join(", "));
});

test("helm lint --strict passes on every scenario and on AWS's values", () => {
  const files = [...scenarios.map((s) => path.join(CHART, "ci", s)),
                 path.join(CHART, "examples", "aws-kubecost-s3-exporter-values.yaml")];
  for (const f of files) {
    const r = spawnSync(HELM, ["lint", "--strict", CHART, "-f", f], { encoding: "utf8" });
    assert.equal(r.status, 0, `${path.basename(f)}: ${r.stdout}${r.stderr}`);
  }
});

// issue 22 item 1: Kubecost's Prometheus scrapes the exporter, and still scrapes Kubecost.
const promConfig = (docs) =>
  YAML.parse(find(docs, "ConfigMap", `${RELEASE}-prometheus-server`).data["prometheus.yml"]);
const jobsOf = (cfg) => Object.fromEntries(cfg.scrape_configs.map((j) => [j.job_name, j]));

test("the default extraScrapeConfigs keeps Kubecost's jobs and adds the exporter's", () => {
  // Kubecost's own default, the stand-in rendered alone under the alias name.
  const alone = spawnSync(HELM, ["template", RELEASE, STANDIN, "-n", NAMESPACE, "--set", "nameOverride=kubecost"],
                          { encoding: "utf8" });
  assert.equal(alone.status, 0, alone.stderr);
  const kubecost = jobsOf(promConfig(YAML.parseAllDocuments(alone.stdout).map((d) => d.toJSON()).filter(Boolean)));
  const ours = jobsOf(promConfig(render([path.join(CHART, "ci", "quick-start-values.yaml")])));
  for (const name of ["kubecost", "kubecost-networking", "kubecost-aggregator", "kubecost-dcgm-exporter"])
    assert.deepEqual(ours[name], kubecost[name], name);
  assert.deepEqual(ours.kubecost.dns_sd_configs[0].names, [`${RELEASE}-kubecost`], "the cost-model Service");
  const job = ours["kubecost-allocation-exporter"];
  assert.deepEqual(job.kubernetes_sd_configs, [{ role: "endpoints", namespaces: { names: [NAMESPACE] } }]);
  assert.deepEqual(job.relabel_configs, [
    { source_labels: ["__meta_kubernetes_service_label_app_kubernetes_io_name"], action: "keep", regex: "kubecost-allocation-exporter" },
    { source_labels: ["__meta_kubernetes_endpoint_port_name"], action: "keep", regex: "metrics" },
  ]);
  assert.equal(ours["kube-state-metrics"], undefined, "kube-state-metrics job is opt-in");
  // What the job selects is what the chart renders: the Service's label and port name.
  const svc = find(render([path.join(CHART, "ci", "quick-start-values.yaml")]), "Service", "kubecost-allocation-exporter");
  assert.equal(svc.metadata.labels["app.kubernetes.io/name"], "kubecost-allocation-exporter");
  assert.equal(svc.spec.ports[0].name, "metrics");
});

test("kubecost.cloudtuner.scrape: the kube-state-metrics job and the exporter name", () => {
  const docs = renderWith({
    kubecost: { cloudtuner: { scrape: { exporterName: "cost-exporter", kubeStateMetrics: { enabled: true } } } },
    allocationExporter: { name: "cost-exporter", config: { tenantId: "T" } },
  });
  const jobs = jobsOf(promConfig(docs));
  assert.equal(jobs["kubecost-allocation-exporter"].relabel_configs[0].regex, "cost-exporter");
  assert.deepEqual(jobs["kube-state-metrics"].relabel_configs, [
    { source_labels: ["__meta_kubernetes_service_label_app_kubernetes_io_name"], action: "keep", regex: "kube-state-metrics" },
    { source_labels: ["__meta_kubernetes_endpoint_port_name"], action: "keep", regex: "http" },
  ]);
  assert.equal(find(docs, "Service", "cost-exporter").metadata.labels["app.kubernetes.io/name"], "cost-exporter");
});

test("NOTES warn when extraScrapeConfigs has no job for the exporter", () => {
  const quick = path.join(CHART, "ci", "quick-start-values.yaml");
  assert.doesNotMatch(probe([quick]).notes, /WARNING/);
  withValuesFile({ kubecost: { prometheus: { extraScrapeConfigs: "- job_name: mine\n  static_configs: [{targets: ['x:1']}]\n" } } },
    (f) => assert.match(probe([quick, f]).notes, /WARNING: kubecost.prometheus.extraScrapeConfigs has no job selecting the exporter/));
  withValuesFile({ allocationExporter: { name: "renamed" } },
    (f) => assert.match(probe([quick, f]).notes, /WARNING: kubecost.prometheus.extraScrapeConfigs has no job selecting the exporter/));
});
