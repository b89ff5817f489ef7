import type { V1Pod } from '@kubernetes/client-node';

/**
 * A pod to create through the API (a Deployment-style app pod, ~1.5 KB), bound to `node`
 * by nodeName so the scheduler has nothing to do; `hostPort` makes it hold that port.
 */
export function apiPod(name: string, node: string, hostPort?: number): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { app: 'bench-app', 'app.kubernetes.io/name': 'bench-app', 'app.kubernetes.io/part-of': 'hostport-guard-bench', 'pod-template-hash': '6d5f9c7b8' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' },
    },
    spec: {
      nodeName: node,
      // No default ServiceAccount token: one volume less to mount, nothing else changes.
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'app',
          image: 'registry.example/bench/app:1.0.0',
          args: ['--listen=:8080', '--log-format=json'],
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP', ...(hostPort === undefined ? {} : { hostPort }) }],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'LOG_LEVEL', value: 'info' },
          ],
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 10001 },
        },
      ],
      terminationGracePeriodSeconds: 30,
    },
  };
}
