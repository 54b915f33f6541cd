{{/* Chart name, cut to 63 characters (a DNS label). */}}
{{- define "etm-terrain.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects; the release name alone when it already holds the chart's
name (`helm install etm-terrain ./chart` → etm-terrain).
*/}}
{{- define "etm-terrain.fullname" -}}
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

{{- define "etm-terrain.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "etm-terrain.labels" -}}
helm.sh/chart: {{ include "etm-terrain.chart" . }}
{{ include "etm-terrain.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "etm-terrain.selectorLabels" -}}
app.kubernetes.io/name: {{ include "etm-terrain.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "etm-terrain.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "etm-terrain.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the service's secrets are read from: yours, or the one the chart creates. */}}
{{- define "etm-terrain.secretName" -}}
{{- default (include "etm-terrain.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{/*
BOT_<SLUG>_: the slug upper-cased, `-` → `_` (the gateway's convention, src/config.ts
botEnvPrefix). Called with the slug.
*/}}
{{- define "etm-terrain.botEnvPrefix" -}}
{{- printf "BOT_%s_" (. | upper | replace "-" "_") }}
{{- end }}

{{/* A bot's token key in the Secret. Called with one entry of .Values.bots. */}}
{{- define "etm-terrain.botTokenKey" -}}
{{- .tokenKey | default (printf "%sTOKEN" (include "etm-terrain.botEnvPrefix" .slug)) }}
{{- end }}

{{/*
A Telegram id as digits. Helm reads unquoted YAML numbers as floats, which would print as
-1.001111111111e+12; ids are below 2^53, so int64 keeps every digit.
*/}}
{{- define "etm-terrain.telegramId" -}}
{{- if kindIs "string" . }}{{ . }}{{ else }}{{ int64 . }}{{ end }}
{{- end }}

{{/* True (non-empty) when the database is the embedded SQLite file on the chart's volume. */}}
{{- define "etm-terrain.sqlite" -}}
{{- if eq .Values.database.engine "sqlite" }}true{{ end }}
{{- end }}

{{/*
Refuses what would break the service: several replicas on one SQLite file; with the
NetworkPolicy on, a remote the service needs (Ollama, Nextcloud, PostgreSQL) that it has no way
out to; and, when the chart makes the Secret, a bot without its token, protected metrics without
the admin token, a PostgreSQL engine without a postgres:// URL.
*/}}
{{- define "etm-terrain.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (include "etm-terrain.sqlite" .) }}
{{- fail (printf "replicaCount %d needs PostgreSQL: SQLite is one file that one pod opens. Set database.engine=postgres with a postgres:// DATABASE_URL in the Secret, or keep replicaCount=1." (int .Values.replicaCount)) }}
{{- end }}
{{- $ollama := .Values.networkPolicy.egress.ollama }}
{{- if and .Values.config.ollama.assistantEnabled .Values.networkPolicy.enabled (not (or $ollama.cidrs $ollama.peers)) }}
{{- fail "config.ollama.assistantEnabled needs a way out to Ollama: set networkPolicy.egress.ollama.peers (Ollama in the cluster) or .cidrs (outside), or turn the assistant off" }}
{{- end }}
{{- $nextcloud := .Values.networkPolicy.egress.nextcloud }}
{{- if and .Values.config.nextcloud.url .Values.networkPolicy.enabled (not (or $nextcloud.cidrs $nextcloud.peers)) }}
{{- fail "config.nextcloud.url needs a way out to Nextcloud: set networkPolicy.egress.nextcloud.cidrs (its address) or .peers (Nextcloud in the cluster)" }}
{{- end }}
{{- $database := .Values.networkPolicy.egress.database }}
{{- if and (not (include "etm-terrain.sqlite" .)) .Values.networkPolicy.enabled (not (or $database.cidrs $database.peers)) }}
{{- fail "database.engine postgres needs a way out to PostgreSQL: set networkPolicy.egress.database.peers (PostgreSQL in the cluster) or .cidrs (outside)" }}
{{- end }}
{{- if not .Values.secret.existingSecret }}
{{- range .Values.bots }}
{{- $key := include "etm-terrain.botTokenKey" . }}
{{- if not (hasKey $.Values.secret.data $key) }}
{{- fail (printf "bot %s: its token is missing; set secret.data.%s (or use secret.existingSecret)" .slug $key) }}
{{- end }}
{{- end }}
{{- if and .Values.config.metricsRequireToken (not (hasKey .Values.secret.data .Values.secret.keys.adminToken)) }}
{{- fail (printf "config.metricsRequireToken needs the admin token: set secret.data.%s" .Values.secret.keys.adminToken) }}
{{- end }}
{{- if not (include "etm-terrain.sqlite" .) }}
{{- $url := index .Values.secret.data .Values.secret.keys.databaseUrl | default "" }}
{{- if not (regexMatch "^postgres(ql)?://" $url) }}
{{- fail (printf "database.engine=postgres needs secret.data.%s = postgres://…" .Values.secret.keys.databaseUrl) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
