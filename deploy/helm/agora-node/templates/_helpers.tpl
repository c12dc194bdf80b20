{{- define "agora-node.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "agora-node.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.node.role }}
{{- end -}}

{{- define "agora-node.hasKeys" -}}
{{- if or (eq .Values.node.role "validator") .Values.node.customNodeKey -}}true{{- end -}}
{{- end -}}
