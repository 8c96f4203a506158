{{/* Name of the exporter's objects; the Service name is what scrape jobs select on. */}}
{{- define "kci.name" -}}
{{- .Values.allocationExporter.name | default "kubecost-allocation-exporter" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
"true" when the values are those of the AWS kubecost_s3_exporter chart (its Terraform writes
cronJob, image as one string, serviceAccount.role and env as a list of {name, value}): the
chart then renders that chart's two objects, the s3-export CronJob and its ServiceAccount
(templates/aws-s3-exporter.yaml), and nothing else of its own. Our values have no cronJob key.
*/}}
{{- define "kci.awsValues" -}}
{{- if kindIs "map" .Values.cronJob -}}true{{- end -}}
{{- end -}}

{{/*
"true" when Helm installs the bundled Kubecost (the cost-analyzer dependency, alias kubecost):
the same decision, on the same coalesced values, as Helm's processDependencyConditions for
Chart.yaml's `condition: kubecost.enabled,image.bundleKubecost,awsS3Exporter.bundleKubecost`
(helm/helm v3.21.4 813176c5 pkg/chartutil/dependencies.go; PathValue in values.go): the paths in
that order, the first that holds a bool decides; a path that is missing, runs through a non-map
(image.bundleKubecost when image is AWS's image string) or ends on a map or a non-bool is
skipped; none deciding leaves it on. So the default Kubecost URL follows what is installed.
*/}}
{{- define "kci.bundledKubecost" -}}
{{- $decided := false -}}
{{- $on := true -}}
{{- range $path := list "kubecost.enabled" "image.bundleKubecost" "awsS3Exporter.bundleKubecost" -}}
{{- if not $decided -}}
{{- $keys := splitList "." $path -}}
{{- $t := $.Values -}}
{{- $found := true -}}
{{- range $k := initial $keys -}}
{{- if $found -}}
{{- if hasKey $t $k -}}
{{- $next := index $t $k -}}
{{- if kindIs "map" $next -}}{{- $t = $next -}}{{- else -}}{{- $found = false -}}{{- end -}}
{{- else -}}
{{- $found = false -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $found (hasKey $t (last $keys)) -}}
{{- $v := index $t (last $keys) -}}
{{- if kindIs "bool" $v -}}
{{- $decided = true -}}
{{- $on = $v -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $on -}}true{{- end -}}
{{- end -}}

{{/* "true" when the serve-mode exporter (Deployment, Service, ...) is rendered. */}}
{{- define "kci.exporterEnabled" -}}
{{- if and .Values.allocationExporter.enabled (not (include "kci.awsValues" .)) -}}true{{- end -}}
{{- end -}}

{{- define "kci.labels" -}}
app.kubernetes.io/name: {{ include "kci.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubecost-integration
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kci.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kci.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The exporter's image. The tag is allocationExporter.image.tag, else the chart's appVersion; never
global.imageTag, which CloudTuner's values files set (v1.4.0, ...) for CloudTuner's own images, a
tag this project does not publish (issue 22 item 3, docs/migration.md).
*/}}
{{- define "kci.image" -}}
{{- $img := .Values.allocationExporter.image -}}
{{- $tag := $img.tag | default .Chart.AppVersion -}}
{{- if .Values.global.imageRegistry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .Values.global.imageRegistry) $img.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $img.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "kci.pullPolicy" -}}
{{- .Values.allocationExporter.image.pullPolicy | default .Values.global.imagePullPolicy | default "IfNotPresent" -}}
{{- end -}}

{{- define "kci.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "kci.name" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "kci.s3ServiceAccountName" -}}
{{- $sa := .Values.s3Export.serviceAccount -}}
{{- if $sa.create -}}
{{- $sa.name | default "kubecost-s3-exporter" -}}
{{- else -}}
{{- $sa.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/*
The Kubecost URL: an explicit allocationExporter.config.kubecostUrl; else the bundled
cost-analyzer's frontend Service, named the way Kubecost's own chart names it
(kubecost/cost-analyzer-helm-chart cost-analyzer/templates/_helpers.tpl "cost-analyzer.serviceName"
and "frontend.serviceName", frontend-service-template.yaml; chart 2.3.3 at b01e76c9, the same
helpers in the 2.x line CloudTuner pins):
- kubecostFrontend.deployMethod haMode: the frontend Deployment's own Service <release>-frontend;
- else kubecost.fullnameOverride;
- else <release>-<name> with name = kubecost.nameOverride or the chart's name, or just <release> when
  the release name already contains that name. The chart's name there is the ALIAS, "kubecost", not
  "cost-analyzer": Helm renames an aliased dependency to its alias before rendering it (helm/helm
  v3.21.4 pkg/chartutil/dependencies.go:123-124 getAliasDependency, `md.Name = dep.Alias`), so
  Kubecost's .Chart.Name is "kubecost" and its Service <release>-kubecost (seen with real Helm and
  tests/chart/cost-analyzer-standin; issue 22);
each cut to 63 characters, on kubecost.service.port (Kubecost's default 9090). Without the
bundled Kubecost: the exporter's default.
*/}}
{{- define "kci.kubecostUrl" -}}
{{- if .Values.allocationExporter.config.kubecostUrl -}}
{{- .Values.allocationExporter.config.kubecostUrl -}}
{{- else if include "kci.bundledKubecost" . -}}
{{- $kc := .Values.kubecost -}}
{{- $svc := "" -}}
{{- if eq (($kc.kubecostFrontend).deployMethod | default "") "haMode" -}}
{{- $svc = printf "%s-frontend" .Release.Name -}}
{{- else if $kc.fullnameOverride -}}
{{- $svc = $kc.fullnameOverride -}}
{{- else -}}
{{- $name := $kc.nameOverride | default "kubecost" -}}
{{- if contains $name .Release.Name -}}
{{- $svc = .Release.Name -}}
{{- else -}}
{{- $svc = printf "%s-%s" .Release.Name $name -}}
{{- end -}}
{{- end -}}
{{- $port := (($kc.service).port) | default 9090 -}}
{{- printf "http://%s.%s.svc.cluster.local:%v" ($svc | trunc 63 | trimSuffix "-") .Release.Namespace $port -}}
{{- else -}}
http://kubecost-cost-analyzer.kubecost.svc.cluster.local:9090
{{- end -}}
{{- end -}}

{{/*
Kubecost behind an ingress (allocationExporter.kubecostAuth): the env entries, volume mounts and
volumes that give the exporter (and the s3-export CronJob) the headers file and the basic-auth
password from Secrets. Whole-Secret volumes, never subPath: the kubelet updates them in place
when the Secret rotates, and the exporter re-reads the files before every request.
*/}}
{{- define "kci.kubecostAuthEnv" -}}
{{- $a := .Values.allocationExporter.kubecostAuth | default dict -}}
{{- if $a.headersSecret }}
- {name: KUBECOST_HEADERS_FILE, value: {{ printf "/etc/kubecost-auth/headers/%s" ($a.headersSecretKey | default "headers") | quote }}}
{{- end }}
{{- if $a.basicAuthSecret }}
- name: KUBECOST_BASIC_AUTH_USERNAME
  valueFrom: {secretKeyRef: {name: {{ $a.basicAuthSecret | quote }}, key: username}}
- {name: KUBECOST_BASIC_AUTH_PASSWORD_FILE, value: /etc/kubecost-auth/basic/password}
{{- end }}
{{- end -}}

{{- define "kci.kubecostAuthMounts" -}}
{{- $a := .Values.allocationExporter.kubecostAuth | default dict -}}
{{- if $a.headersSecret }}
- {name: kubecost-headers, mountPath: /etc/kubecost-auth/headers, readOnly: true}
{{- end }}
{{- if $a.basicAuthSecret }}
- {name: kubecost-basic-auth, mountPath: /etc/kubecost-auth/basic, readOnly: true}
{{- end }}
{{- end -}}

{{- define "kci.kubecostAuthVolumes" -}}
{{- $a := .Values.allocationExporter.kubecostAuth | default dict -}}
{{- if $a.headersSecret }}
- name: kubecost-headers
  secret: {secretName: {{ $a.headersSecret | quote }}, items: [{key: {{ $a.headersSecretKey | default "headers" | quote }}, path: {{ $a.headersSecretKey | default "headers" | quote }}}]}
{{- end }}
{{- if $a.basicAuthSecret }}
- name: kubecost-basic-auth
  secret: {secretName: {{ $a.basicAuthSecret | quote }}, items: [{key: password, path: password}]}
{{- end }}
{{- end -}}

{{/*
The tenant id is one value: allocationExporter.config.tenantId, or the Cloud-Account-Id header of
Kubecost's remote_write. Both set and different is refused: the guide's most common failure.
*/}}
{{- define "kci.tenantId" -}}
{{- $tenant := .Values.allocationExporter.config.tenantId | default "" | toString -}}
{{- $header := "" -}}
{{- range (((.Values.kubecost).prometheus).server).remoteWrite | default list -}}
{{- $h := index (.headers | default dict) "Cloud-Account-Id" | default "" | toString -}}
{{- if $h -}}
{{- if and $header (ne $h $header) -}}
{{- fail (printf "kubecost.prometheus.server.remoteWrite: two different Cloud-Account-Id headers (%q, %q)" $header $h) -}}
{{- end -}}
{{- $header = $h -}}
{{- end -}}
{{- end -}}
{{- if and $tenant $header (ne $tenant $header) -}}
{{- fail (printf "allocationExporter.config.tenantId %q differs from the remote_write Cloud-Account-Id header %q: they must be the same value (set one of them)" $tenant $header) -}}
{{- end -}}
{{- $tenant | default $header -}}
{{- end -}}

{{/* remote_write passwords: never inline when existingSecret is used. */}}
{{- define "kci.checkRemoteWriteSecrets" -}}
{{- if .Values.existingSecret.name -}}
{{- range (((.Values.kubecost).prometheus).server).remoteWrite | default list -}}
{{- if (.basic_auth | default dict).password -}}
{{- fail "kubecost.prometheus.server.remoteWrite: basic_auth.password is inline although existingSecret is set; use basic_auth.password_file" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Checksum of everything that configures the exporter pod: a change rolls it. */}}
{{- define "kci.configChecksum" -}}
{{- dict "config" .Values.allocationExporter.config "tenant" (include "kci.tenantId" .) "url" (include "kci.kubecostUrl" .) "env" .Values.allocationExporter.extraEnv "auth" .Values.allocationExporter.kubecostAuth | toJson | sha256sum -}}
{{- end -}}

{{/* "true" when leader election is on: more than one replica, or asked for explicitly. */}}
{{- define "kci.leaderElection" -}}
{{- $e := .Values.allocationExporter -}}
{{- if or (gt (int $e.replicaCount) 1) (($e.leaderElection | default dict).enabled) -}}true{{- end -}}
{{- end -}}

{{/* The Lease the replicas elect their leader on (the Role names it). */}}
{{- define "kci.leaseName" -}}
{{- (.Values.allocationExporter.leaderElection | default dict).leaseName | default (include "kci.name" .) -}}
{{- end -}}
