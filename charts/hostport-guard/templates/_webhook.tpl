{{/* Fields shared by every webhook of the configuration. */}}
{{- define "hostport-guard.webhookCommon" -}}
{{- $root := .root -}}
admissionReviewVersions: ["v1"]
sideEffects: None
matchPolicy: Equivalent
failurePolicy: {{ $root.Values.webhook.failurePolicy }}
timeoutSeconds: {{ $root.Values.webhook.timeoutSeconds }}
clientConfig:
  {{- if $root.Values.webhook.url }}
  url: {{ $root.Values.webhook.url | quote }}
  {{- else }}
  service:
    name: {{ include "hostport-guard.fullname" $root }}
    namespace: {{ include "hostport-guard.namespace" $root }}
    path: /validate
    port: {{ $root.Values.service.port }}
  {{- end }}
  {{- if .caBundle }}
  caBundle: {{ .caBundle }}
  {{- end }}
namespaceSelector:
  matchExpressions:
    # kubernetes.io/metadata.name is set by the API server and cannot be changed, so
    # these exclusions cannot be undone by relabelling a namespace.
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ include "hostport-guard.excludedNamespaces" $root }}
    {{- with $root.Values.namespaceSelectorExpressions }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/*
A CEL expression, true when the pod spec at the given path holds a host port: it is
hostNetwork, or a container or init container declares hostPort > 0. matchConditions
run in the API server before it calls the webhook, so other pods never leave it.
*/}}
{{- define "hostport-guard.celHoldsHostPorts" -}}
{{- $s := . -}}
{{- printf "((has(%s.hostNetwork) && %s.hostNetwork) || %s.containers.exists(c, has(c.ports) && c.ports.exists(p, has(p.hostPort) && p.hostPort > 0)) || (has(%s.initContainers) && %s.initContainers.exists(c, has(c.ports) && c.ports.exists(p, has(p.hostPort) && p.hostPort > 0))))" $s $s $s $s $s -}}
{{- end -}}
