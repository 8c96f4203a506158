{{/* Name of the exporter's objects; the Service name is what scrape jobs select on. */}}
{{- define "kci.name" -}}
{{- .Values.allocationExporter.name | default "kubecost-allocation-exporter" | trunc 63 | trimSuffix "-" -}}
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

{{- define "kci.image" -}}
{{- $img := .Values.allocationExporter.image -}}
{{- $tag := .Values.global.imageTag | default $img.tag | default .Chart.AppVersion -}}
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
cost-analyzer's Service (its fullname is <release>-cost-analyzer unless the release name already
contains "cost-analyzer", or kubecost.fullnameOverride is set); else the exporter's default.
*/}}
{{- define "kci.kubecostUrl" -}}
{{- if .Values.allocationExporter.config.kubecostUrl -}}
{{- .Values.allocationExporter.config.kubecostUrl -}}
{{- else if .Values.kubecost.enabled -}}
{{- $svc := "" -}}
{{- if .Values.kubecost.fullnameOverride -}}
{{- $svc = .Values.kubecost.fullnameOverride -}}
{{- else if contains "cost-analyzer" .Release.Name -}}
{{- $svc = .Release.Name -}}
{{- else -}}
{{- $svc = printf "%s-cost-analyzer" .Release.Name -}}
{{- end -}}
{{- printf "http://%s.%s.svc.cluster.local:9090" ($svc | trunc 63 | trimSuffix "-") .Release.Namespace -}}
{{- else -}}
http://kubecost-cost-analyzer.kubecost.svc.cluster.local:9090
{{- end -}}
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
{{- dict "config" .Values.allocationExporter.config "tenant" (include "kci.tenantId" .) "url" (include "kci.kubecostUrl" .) "env" .Values.allocationExporter.extraEnv | toJson | sha256sum -}}
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
