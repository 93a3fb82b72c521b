{{/*
Name prefix of every object: the release name (Services are <release>-gateway, …).
*/}}
{{- define "ft.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "ft.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; call with (dict "ctx" $ "component" "gateway"). */}}
{{- define "ft.labels" -}}
helm.sh/chart: {{ include "ft.chart" .ctx }}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/version: {{ include "ft.tag" .ctx | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: football-tracker
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* Selector labels; call with (dict "ctx" $ "component" "gateway"). */}}
{{- define "ft.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ft.tag" -}}
{{- default .Chart.AppVersion .Values.images.tag -}}
{{- end -}}

{{/* Image of a service: its imageRef, or <images.repository>/<image>:<images.tag>; call with (dict "ctx" $ "svc" .Values.gateway). */}}
{{- define "ft.image" -}}
{{- if .svc.imageRef -}}
{{- .svc.imageRef -}}
{{- else -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .ctx.Values.images.repository) .svc.image (include "ft.tag" .ctx) -}}
{{- end -}}
{{- end -}}

{{- define "ft.serviceAccountName" -}}
{{- printf "%s-%s" (include "ft.fullname" .ctx) .component -}}
{{- end -}}

{{/* Names of the objects the controller renders and the gateway mounts. */}}
{{- define "ft.rateLimitsName" -}}
{{- printf "%s-rate-limits" (include "ft.fullname" .) -}}
{{- end -}}
{{- define "ft.clientCredentialsName" -}}
{{- printf "%s-client-credentials" (include "ft.fullname" .) -}}
{{- end -}}

{{/* Secret with JWT_SECRET, ADMIN_USER, ADMIN_PASS. */}}
{{- define "ft.authSecretName" -}}
{{- if .Values.auth.existingSecret -}}
{{- .Values.auth.existingSecret -}}
{{- else if .Values.auth.generate -}}
{{- printf "%s-auth" (include "ft.fullname" .) -}}
{{- else -}}
{{- fail "auth: set auth.existingSecret to a Secret with JWT_SECRET, ADMIN_USER and ADMIN_PASS, or auth.generate=true" -}}
{{- end -}}
{{- end -}}

{{/* true when an external Redis is configured. */}}
{{- define "ft.redisExternal" -}}
{{- if or .Values.redis.external.url .Values.redis.external.addrs -}}true{{- end -}}
{{- end -}}

{{- define "ft.redisBundled" -}}
{{- if and (not (include "ft.redisExternal" .)) .Values.redis.bundled.enabled -}}true{{- end -}}
{{- end -}}

{{- define "ft.redisName" -}}
{{- printf "%s-redis" (include "ft.fullname" .) -}}
{{- end -}}

{{/*
A random secret value that survives upgrades: the value already stored in the Secret
when there is one (lookup), a new random one on install. Returns base64.
Call with (dict "ctx" $ "name" "<secret>" "key" "<key>" "length" 48).
*/}}
{{- define "ft.persistentRandom" -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .name -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- randAlphaNum (int .length) | b64enc -}}
{{- end -}}
{{- end -}}

{{/* Env shared by the HTTP services; call with (dict "ctx" $ "service" "gateway"). */}}
{{- define "ft.serverEnv" -}}
- name: PORT
  value: "8080"
- name: LOG_LEVEL
  value: {{ .ctx.Values.logLevel | quote }}
- name: SERVICE_VERSION
  value: {{ include "ft.tag" .ctx | quote }}
- name: SHUTDOWN_TIMEOUT
  value: "10s"
- name: OTEL_SERVICE_NAME
  value: {{ .service | quote }}
{{- with .ctx.Values.otel }}
{{- if .endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .protocol | quote }}
{{- end }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .tracesSampler | quote }}
{{- if .tracesSamplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .tracesSamplerArg | quote }}
{{- end }}
{{- end }}
{{- $attrs := list (printf "service.namespace=%s" (include "ft.fullname" .ctx)) (printf "k8s.namespace.name=%s" .ctx.Release.Namespace) "k8s.pod.name=$(POD_NAME)" }}
{{- with .ctx.Values.otel.resourceAttributes }}{{ $attrs = append $attrs . }}{{ end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- end -}}

{{/* POD_NAME must come before the variables that reference it. */}}
{{- define "ft.podNameEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end -}}

{{/* Redis env of gateway and cache. */}}
{{- define "ft.redisEnv" -}}
{{- $r := .Values.redis -}}
{{- if include "ft.redisExternal" . }}
{{- if and $r.external.url $r.external.addrs }}
{{- fail "redis.external: set either url (one server) or addrs (Redis Cluster), not both" }}
{{- end }}
{{- if $r.external.url }}
- name: REDIS_URL
  value: {{ $r.external.url | quote }}
{{- else }}
- name: REDIS_ADDRS
  value: {{ join "," $r.external.addrs | quote }}
{{- end }}
{{- with $r.external.existingSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $r.external.existingSecretKey }}
{{- end }}
{{- else if include "ft.redisBundled" . }}
- name: REDIS_URL
  value: {{ printf "redis://%s:6379/0" (include "ft.redisName" .) | quote }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "ft.redisName" . }}
      key: REDIS_PASSWORD
{{- else }}
{{- fail "redis: enable redis.bundled or set redis.external.url / redis.external.addrs" }}
{{- end }}
- name: REDIS_KEY_PREFIX
  value: {{ $r.keyPrefix | quote }}
{{- end -}}

{{/* Pod-level scheduling and security; call with (dict "ctx" $ "svc" .Values.gateway "component" "gateway"). */}}
{{- define "ft.podCommon" -}}
serviceAccountName: {{ include "ft.serviceAccountName" . }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .svc.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .svc.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .svc.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "ft.selectorLabels" . | nindent 8 }}
{{- end -}}

{{/* The HTTP probes every service answers. */}}
{{- define "ft.httpProbes" -}}
startupProbe:
  httpGet: {path: /healthz, port: {{ .port | default "http" }}}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: {path: /healthz, port: {{ .port | default "http" }}}
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: {{ .port | default "http" }}}
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
{{- end -}}
