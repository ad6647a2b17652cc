{{/* The chart name, or nameOverride. */}}
{{- define "falco-talon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name when it already contains the chart name. */}}
{{- define "falco-talon.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "falco-talon.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "falco-talon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "falco-talon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "falco-talon.labels" -}}
helm.sh/chart: {{ include "falco-talon.chart" . }}
{{ include "falco-talon.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: falco-talon
{{- end }}

{{- define "falco-talon.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "falco-talon.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "falco-talon.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where the pod mounts its files. */}}
{{- define "falco-talon.configDir" -}}/etc/falco-talon{{- end }}
{{- define "falco-talon.rulesDir" -}}/etc/falco-talon/rules.d{{- end }}
{{- define "falco-talon.authDir" -}}/etc/falco-talon/auth{{- end }}
{{- define "falco-talon.tlsDir" -}}/etc/falco-talon/tls{{- end }}

{{- define "falco-talon.authSecretName" -}}
{{- default (printf "%s-auth" (include "falco-talon.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{- define "falco-talon.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "falco-talon.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{/* Fails the render on values that cannot work, with a message saying which. */}}
{{- define "falco-talon.validate" -}}
{{- if not .Values.rules }}
{{- fail "rules: at least one rules file is needed" }}
{{- end }}
{{- range $name, $_ := .Values.rules }}
{{- if not (regexMatch "^[-_a-zA-Z0-9][-._a-zA-Z0-9]*\\.ya?ml$" $name) }}
{{- fail (printf "rules: '%s' is not a valid rules file name (letters, digits, '-', '_', '.', ending in .yaml or .yml)" $name) }}
{{- end }}
{{- end }}
{{- if .Values.auth.enabled }}
{{- if and (not .Values.auth.existingSecret) (not .Values.auth.token) }}
{{- fail "auth.enabled needs auth.token or auth.existingSecret" }}
{{- end }}
{{- if has "health" .Values.auth.protect }}
{{- fail "auth.protect cannot hold 'health': the liveness and readiness probes call /healthz without a token" }}
{{- end }}
{{- end }}
{{- if and .Values.tls.enabled (not .Values.tls.existingSecret) }}
{{- if or (not .Values.tls.cert) (not .Values.tls.key) }}
{{- fail "tls.enabled needs tls.existingSecret, or tls.cert and tls.key" }}
{{- end }}
{{- if and .Values.tls.requireClientCert (not .Values.tls.ca) }}
{{- fail "tls.requireClientCert needs tls.ca (or tls.existingSecret with ca.crt)" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
config.yaml: .Values.config with the keys the chart owns set over it (listen address and
port, rules_files, queue.nats, auth, tls).
*/}}
{{- define "falco-talon.config" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config "listen_address" "0.0.0.0" }}
{{- $_ := set $config "listen_port" 2803 }}
{{- /* The folder itself: its files load in name order, and added or removed ones hot-reload too. */}}
{{- $_ := set $config "rules_files" (list (include "falco-talon.rulesDir" .)) }}
{{- if .Values.nats.url }}
{{- $queue := get $config "queue" | default dict }}
{{- $nats := dict "url" .Values.nats.url "stream" .Values.nats.stream "partitions" .Values.nats.partitions "replicas" .Values.nats.replicas "ack_wait_seconds" .Values.nats.ackWaitSeconds "idempotency_ttl_seconds" .Values.nats.idempotencyTtlSeconds }}
{{- $_ := set $queue "nats" (merge $nats (get $queue "nats" | default dict)) }}
{{- $_ := set $config "queue" $queue }}
{{- end }}
{{- if .Values.auth.enabled }}
{{- $auth := get $config "auth" | default dict }}
{{- $_ := set $auth "token_file" (printf "%s/token" (include "falco-talon.authDir" .)) }}
{{- with .Values.auth.protect }}
{{- $_ := set $auth "protect" . }}
{{- end }}
{{- $_ := set $config "auth" $auth }}
{{- end }}
{{- if .Values.tls.enabled }}
{{- $tls := get $config "tls" | default dict }}
{{- $_ := set $tls "cert_file" (printf "%s/tls.crt" (include "falco-talon.tlsDir" .)) }}
{{- $_ := set $tls "key_file" (printf "%s/tls.key" (include "falco-talon.tlsDir" .)) }}
{{- if .Values.tls.requireClientCert }}
{{- $_ := set $tls "client_ca_file" (printf "%s/ca.crt" (include "falco-talon.tlsDir" .)) }}
{{- $_ := set $tls "require_client_cert" true }}
{{- end }}
{{- $_ := set $config "tls" $tls }}
{{- end }}
{{- toYaml $config }}
{{- end }}
