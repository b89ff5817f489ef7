{{/* Name of the chart (or nameOverride), cut to the 63 characters a label value allows. */}}
{{- define "hostport-guard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified name of the release's objects: fullnameOverride, else release and chart name. */}}
{{- define "hostport-guard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Namespace of every namespaced object: namespaceOverride, else the release's. */}}
{{- define "hostport-guard.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "hostport-guard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "hostport-guard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels the Service and the PodDisruptionBudget select on. */}}
{{- define "hostport-guard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hostport-guard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* ServiceAccount name. */}}
{{- define "hostport-guard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hostport-guard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret holding the serving certificate. */}}
{{- define "hostport-guard.tlsSecretName" -}}
{{- if eq .Values.tls.mode "secret" -}}
{{- required "tls.secret.name is required when tls.mode is secret" .Values.tls.secret.name -}}
{{- else -}}
{{- printf "%s-tls" (include "hostport-guard.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* DNS name the API server uses to reach the Service. */}}
{{- define "hostport-guard.serviceHost" -}}
{{- printf "%s.%s.svc" (include "hostport-guard.fullname" .) (include "hostport-guard.namespace" .) -}}
{{- end -}}

{{/*
The serving certificate for tls.mode=helm, generated once and then reused: `lookup`
returns the Secret already in the cluster on upgrades, so the CA (and the caBundle of
the webhook configuration) stays stable. Where lookup returns nothing (helm template,
--dry-run, GitOps renderers) a new CA is generated on every render.
Returns a dict with ca, crt and key (base64 PEM).
*/}}
{{- define "hostport-guard.helmCert" -}}
{{- $secretName := include "hostport-guard.tlsSecretName" . -}}
{{- $existing := lookup "v1" "Secret" (include "hostport-guard.namespace" .) $secretName -}}
{{- if and $existing $existing.data (index $existing.data "ca.crt") -}}
{{- dict "ca" (index $existing.data "ca.crt") "crt" (index $existing.data "tls.crt") "key" (index $existing.data "tls.key") | toJson -}}
{{- else -}}
{{- $host := include "hostport-guard.serviceHost" . -}}
{{- $days := int .Values.tls.helm.validityDays -}}
{{- $ca := genCA (printf "%s-ca" (include "hostport-guard.fullname" .)) $days -}}
{{- $alt := list (include "hostport-guard.fullname" .) (printf "%s.%s" (include "hostport-guard.fullname" .) (include "hostport-guard.namespace" .)) $host (printf "%s.cluster.local" $host) -}}
{{- $cert := genSignedCert $host nil $alt $days $ca -}}
{{- dict "ca" ($ca.Cert | b64enc) "crt" ($cert.Cert | b64enc) "key" ($cert.Key | b64enc) | toJson -}}
{{- end -}}
{{- end -}}

{{/* Namespaces the webhook never sees: its own, kube-system, and the user's. */}}
{{- define "hostport-guard.excludedNamespaces" -}}
{{- $list := list (include "hostport-guard.namespace" .) "kube-system" -}}
{{- range .Values.config.exemptNamespaces -}}{{- $list = append $list . -}}{{- end -}}
{{- $list | uniq | toJson -}}
{{- end -}}

{{/*
PromQL label matchers for this release's series (alerts and dashboard): the job label a
ServiceMonitor gives them (the Service's name) and the release namespace, unless
prometheusRule.metricsSelector says otherwise.
*/}}
{{- define "hostport-guard.metricsSelector" -}}
{{- if .Values.prometheusRule.metricsSelector -}}
{{- .Values.prometheusRule.metricsSelector -}}
{{- else -}}
{{- printf "job=\"%s\", namespace=\"%s\"" (include "hostport-guard.fullname" .) (include "hostport-guard.namespace" .) -}}
{{- end -}}
{{- end -}}
