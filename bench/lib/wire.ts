/**
 * Objects as they travel on the wire: the ~10 KB hostNetwork DaemonSet pod that the API
 * server embeds in an AdmissionReview (with the fields it defaults and the managedFields
 * it records before validating admission runs), the review around it, and OPA's input
 * for the same request.
 */

/** A JSON object. */
export type Json = Record<string, unknown>;

/** One host port of a subject pod. */
export interface SubjectPort {
  readonly port: number;
  readonly protocol: string;
  readonly hostIP?: string;
}

/** The pod being admitted: a DaemonSet pod pinned to `node` by the controller's affinity. */
export interface SubjectSpec {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly node: string;
  readonly ports: readonly SubjectPort[];
  /** Ports of a sidecar (an init container with restartPolicy Always). */
  readonly sidecarPorts?: readonly SubjectPort[];
}

function containerPorts(ports: readonly SubjectPort[]): Json[] {
  // hostNetwork: the API server has already set hostPort = containerPort on a Pod.
  return ports.map((p, i) => ({
    name: `port-${i}`,
    containerPort: p.port,
    hostPort: p.port,
    protocol: p.protocol,
    ...(p.hostIP === undefined ? {} : { hostIP: p.hostIP }),
  }));
}

const MOUNTS = [
  { name: 'proc', mountPath: '/host/proc', readOnly: true },
  { name: 'sys', mountPath: '/host/sys', readOnly: true },
  { name: 'root', mountPath: '/host/root', mountPropagation: 'HostToContainer', readOnly: true },
  { name: 'textfile', mountPath: '/var/lib/node-exporter/textfile', readOnly: true },
  { name: 'kube-api-access-7xq2c', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
];

const COLLECTOR_ARGS = [
  '--path.procfs=/host/proc',
  '--path.sysfs=/host/sys',
  '--path.rootfs=/host/root',
  '--path.udev.data=/host/root/run/udev/data',
  '--web.listen-address=[$(HOST_IP)]:9100',
  '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|var/lib/docker/.+|var/lib/kubelet/.+)($|/)',
  '--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$',
  '--collector.netclass.ignored-devices=^(veth.*|[a-f0-9]{15}|cali.*|lxc.*)$',
  '--collector.netdev.device-exclude=^(veth.*|[a-f0-9]{15}|cali.*|lxc.*)$',
  '--collector.textfile.directory=/var/lib/node-exporter/textfile',
  '--no-collector.wifi',
  '--no-collector.hwmon',
];

const SECURITY = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'], add: ['SYS_TIME'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 65534,
  seccompProfile: { type: 'RuntimeDefault' },
};

const TOLERATIONS = [
  { operator: 'Exists' },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' },
];

/** The field set the DaemonSet controller's update records (managedFields), abridged to its real shape. */
function managedFields(containerNames: readonly string[]): Json[] {
  const containerFields = (name: string): Json => ({
    [`k:{"name":"${name}"}`]: {
      '.': {},
      'f:args': {},
      'f:env': { '.': {}, 'k:{"name":"HOST_IP"}': { '.': {}, 'f:name': {}, 'f:valueFrom': { '.': {}, 'f:fieldRef': {} } } },
      'f:image': {},
      'f:imagePullPolicy': {},
      'f:livenessProbe': { '.': {}, 'f:failureThreshold': {}, 'f:httpGet': { '.': {}, 'f:path': {}, 'f:port': {}, 'f:scheme': {} } },
      'f:name': {},
      'f:ports': { '.': {}, 'k:{"containerPort":9100,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:hostPort': {}, 'f:name': {}, 'f:protocol': {} } },
      'f:readinessProbe': { '.': {}, 'f:failureThreshold': {}, 'f:httpGet': { '.': {}, 'f:path': {}, 'f:port': {}, 'f:scheme': {} } },
      'f:resources': { '.': {}, 'f:limits': { '.': {}, 'f:memory': {} }, 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } },
      'f:securityContext': { '.': {}, 'f:allowPrivilegeEscalation': {}, 'f:capabilities': { '.': {}, 'f:add': {}, 'f:drop': {} }, 'f:readOnlyRootFilesystem': {} },
      'f:terminationMessagePath': {},
      'f:terminationMessagePolicy': {},
      'f:volumeMounts': Object.fromEntries(MOUNTS.slice(0, 4).map((m) => [`k:{"mountPath":"${m.mountPath}"}`, { '.': {}, 'f:mountPath': {}, 'f:name': {}, 'f:readOnly': {} }])),
    },
  });
  return [
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2026-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': {
          'f:generateName': {},
          'f:labels': { '.': {}, 'f:app.kubernetes.io/component': {}, 'f:app.kubernetes.io/instance': {}, 'f:app.kubernetes.io/name': {}, 'f:controller-revision-hash': {}, 'f:pod-template-generation': {} },
          'f:ownerReferences': { '.': {}, 'k:{"uid":"6b0e1c7e-1f7c-4d55-9d0b-2f1c3a4b5c6d"}': {} },
        },
        'f:spec': {
          'f:affinity': { '.': {}, 'f:nodeAffinity': { '.': {}, 'f:requiredDuringSchedulingIgnoredDuringExecution': {} } },
          'f:containers': Object.assign({}, ...containerNames.map(containerFields)) as Json,
          'f:dnsPolicy': {},
          'f:hostNetwork': {},
          'f:hostPID': {},
          'f:nodeSelector': {},
          'f:priorityClassName': {},
          'f:restartPolicy': {},
          'f:schedulerName': {},
          'f:securityContext': { '.': {}, 'f:fsGroup': {}, 'f:runAsNonRoot': {}, 'f:runAsUser': {} },
          'f:serviceAccount': {},
          'f:serviceAccountName': {},
          'f:terminationGracePeriodSeconds': {},
          'f:tolerations': {},
          'f:volumes': Object.fromEntries(['proc', 'sys', 'root', 'textfile'].map((v) => [`k:{"name":"${v}"}`, { '.': {}, 'f:name': {} }])),
        },
      },
    },
  ];
}

function probe(path: string): Json {
  return { httpGet: { path, port: 9100, scheme: 'HTTP' }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
}

/** A Pod as the API server sends it in the AdmissionReview of its CREATE (~10 KB of JSON). */
export function reviewPod(subject: SubjectSpec): Json {
  const main: Json = {
    name: 'node-agent',
    image: 'quay.io/prometheus/node-exporter:v1.9.1',
    args: COLLECTOR_ARGS,
    ports: containerPorts(subject.ports),
    env: [
      { name: 'HOST_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } } },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
      { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { containerName: 'node-agent', divisor: '1', resource: 'limits.cpu' } } },
    ],
    resources: { limits: { cpu: '250m', memory: '180Mi' }, requests: { cpu: '102m', memory: '180Mi' } },
    volumeMounts: MOUNTS,
    livenessProbe: probe('/'),
    readinessProbe: probe('/'),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    securityContext: SECURITY,
  };
  const proxy: Json = {
    name: 'kube-rbac-proxy',
    image: 'quay.io/brancz/kube-rbac-proxy:v0.19.1',
    args: ['--secure-listen-address=[$(IP)]:9443', '--upstream=http://127.0.0.1:9100/', '--allow-paths=/metrics', '--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
    env: [{ name: 'IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }],
    resources: { limits: { cpu: '20m', memory: '40Mi' }, requests: { cpu: '10m', memory: '20Mi' } },
    volumeMounts: [MOUNTS[4]],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    securityContext: { ...SECURITY, capabilities: { drop: ['ALL'] }, runAsUser: 65532 },
  };
  const sidecars: Json[] =
    subject.sidecarPorts === undefined
      ? []
      : [{ name: 'log-shipper', image: 'fluent/fluent-bit:4.0.3', restartPolicy: 'Always', ports: containerPorts(subject.sidecarPorts), resources: { requests: { cpu: '10m', memory: '32Mi' } }, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: subject.name,
      generateName: 'node-agent-',
      namespace: subject.namespace,
      uid: subject.uid,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: {
        'app.kubernetes.io/component': 'exporter',
        'app.kubernetes.io/instance': 'node-agent',
        'app.kubernetes.io/name': 'node-agent',
        'app.kubernetes.io/part-of': 'observability',
        'app.kubernetes.io/version': '1.9.1',
        'controller-revision-hash': '7c9d8b6f5d',
        'pod-template-generation': '4',
      },
      annotations: {
        'kubectl.kubernetes.io/default-container': 'node-agent',
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9100',
        'checksum/config': 'a3f5c2e9b1d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6',
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'node-agent', uid: '6b0e1c7e-1f7c-4d55-9d0b-2f1c3a4b5c6d', controller: true, blockOwnerDeletion: true }],
      managedFields: managedFields(['node-agent', 'kube-rbac-proxy']),
    },
    spec: {
      volumes: [
        { name: 'proc', hostPath: { path: '/proc', type: '' } },
        { name: 'sys', hostPath: { path: '/sys', type: '' } },
        { name: 'root', hostPath: { path: '/', type: '' } },
        { name: 'textfile', emptyDir: {} },
        {
          name: 'kube-api-access-7xq2c',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
      ...(sidecars.length === 0 ? {} : { initContainers: sidecars }),
      containers: [main, proxy],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirstWithHostNet',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      serviceAccountName: 'node-agent',
      serviceAccount: 'node-agent',
      automountServiceAccountToken: true,
      hostNetwork: true,
      hostPID: true,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534 },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [subject.node] }] }],
          },
        },
      },
      schedulerName: 'default-scheduler',
      tolerations: TOLERATIONS,
      priorityClassName: 'system-node-critical',
      priority: 2_000_001_000,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
}

/** The `request` of a CREATE review of `pod`. */
export function admissionRequest(pod: Json, uid: string, namespace: string, dryRun: boolean): Json {
  const gvk = { group: '', version: 'v1', kind: 'Pod' };
  const gvr = { group: '', version: 'v1', resource: 'pods' };
  return {
    uid,
    kind: gvk,
    resource: gvr,
    requestKind: gvk,
    requestResource: gvr,
    namespace,
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kube-system:daemon-set-controller', uid: 'a1b2c3d4-0000-4000-8000-000000000001', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
    object: pod,
    oldObject: null,
    dryRun,
    options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
  };
}

/** The AdmissionReview the API server POSTs to a webhook. */
export function admissionReview(request: Json): Json {
  return { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request };
}

/** OPA's input for the same request, in Gatekeeper's shape (`input.review` is the AdmissionRequest). */
export function opaInput(request: Json): Json {
  return { input: { review: request } };
}
