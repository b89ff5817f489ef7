/**
 * What `helm template` renders, for the default values and every ci/*.yaml values file:
 * the Deployment's hardening, the webhook configuration's contract with the API server,
 * the TLS wiring of each tls.mode, and the server configuration in the ConfigMap (checked
 * by the server's own config resolver, so the pods cannot crash-loop on a bad file).
 */
import { describe, expect, it, jest } from '@jest/globals';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { resolveConfig } from '../../../src/config/resolve.js';
import type { Json } from './chart.js';
import { CI_VALUES, allOf, field, idOf, isJson, list, oneOf, render, text, valuesOf } from './chart.js';

// Each test runs helm as a process: seconds each on a busy machine, past jest's 5 s default.
jest.setTimeout(60_000);

const RELEASE = 'hpg';
const NAMESPACE = 'hpg-system';
const FULLNAME = 'hpg-hostport-guard';

/** The default values and each ci values file, each with the values it amounts to. */
const CASES = [
  { name: 'the default values', valuesFiles: [] as string[] },
  ...CI_VALUES.map((file) => ({ name: file, valuesFiles: [file] })),
].map((c) => ({ ...c, values: valuesOf(c.valuesFiles) }));

const renders = new Map<string, Promise<Json[]>>();

/** Renders once per distinct set of values (helm is the slow part); tests only read the objects. */
function renderWith(valuesFiles: readonly string[], set: readonly string[] = []): Promise<Json[]> {
  const key = JSON.stringify([valuesFiles, set]);
  const cached = renders.get(key);
  if (cached !== undefined) return cached;
  const rendered = render({ release: RELEASE, namespace: NAMESPACE, valuesFiles, set });
  renders.set(key, rendered);
  return rendered;
}

function containerOf(objects: readonly Json[]): Json {
  const container = field(oneOf(objects, 'Deployment'), 'spec', 'template', 'spec', 'containers', 0);
  if (!isJson(container)) throw new Error('the Deployment has no container');
  return container;
}

function webhooksOf(objects: readonly Json[]): unknown[] {
  return list(oneOf(objects, 'ValidatingWebhookConfiguration'), 'webhooks');
}

/** The container port number named `name`. */
function portNamed(container: Json, name: string): unknown {
  return field(list(container, 'ports').find((p) => field(p, 'name') === name), 'containerPort');
}

function pem(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration']);

describe.each(CASES)('helm template with $name', ({ valuesFiles, values }) => {
  it('puts every namespaced object in the release namespace and no other', async () => {
    const objects = await renderWith(valuesFiles);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect([idOf(o), field(o, 'metadata', 'namespace')]).toEqual([idOf(o), CLUSTER_SCOPED.has(text(o, 'kind')) ? undefined : NAMESPACE]);
    }
  });

  it('renders a PodDisruptionBudget exactly when it is enabled and there is more than one replica', async () => {
    const objects = await renderWith(valuesFiles);
    const replicas = field(oneOf(objects, 'Deployment'), 'spec', 'replicas');
    expect(replicas).toBe(field(values, 'replicaCount'));
    const enabled = field(values, 'podDisruptionBudget', 'enabled') === true;
    expect(allOf(objects, 'PodDisruptionBudget')).toHaveLength(enabled && typeof replicas === 'number' && replicas > 1 ? 1 : 0);
  });

  it('labels every object with the common labels', async () => {
    const common = field(values, 'commonLabels');
    if (!isJson(common)) throw new Error('commonLabels is not a map');
    const objects = await renderWith(valuesFiles);
    for (const o of objects) expect([idOf(o), field(o, 'metadata', 'labels')]).toEqual([idOf(o), expect.objectContaining(common)]);
    expect(field(oneOf(objects, 'Deployment'), 'spec', 'template', 'metadata', 'labels')).toEqual(expect.objectContaining(common));
  });

  it('runs the pod under the restricted security context', async () => {
    const objects = await renderWith(valuesFiles);
    const pod = field(oneOf(objects, 'Deployment'), 'spec', 'template', 'spec');
    expect(field(pod, 'securityContext')).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(field(containerOf(objects), 'securityContext')).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(field(pod, 'automountServiceAccountToken')).not.toBe(false);
    expect(field(pod, 'enableServiceLinks')).toBe(false);
  });

  it('spreads replicas over nodes with a preferred anti-affinity on kubernetes.io/hostname', async () => {
    const objects = await renderWith(valuesFiles);
    const deployment = oneOf(objects, 'Deployment');
    const [term, ...more] = list(deployment, 'spec', 'template', 'spec', 'affinity', 'podAntiAffinity', 'preferredDuringSchedulingIgnoredDuringExecution');
    expect(more).toEqual([]);
    expect(field(term, 'podAffinityTerm', 'topologyKey')).toBe('kubernetes.io/hostname');
    expect(field(term, 'podAffinityTerm', 'labelSelector', 'matchLabels')).toEqual(field(deployment, 'spec', 'selector', 'matchLabels'));
    expect(field(deployment, 'spec', 'template', 'spec', 'affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution')).toBeUndefined();
  });

  it('probes the health port and sleeps in preStop before SIGTERM', async () => {
    const container = containerOf(await renderWith(valuesFiles));
    expect(portNamed(container, 'health')).toBe(field(values, 'config', 'health', 'port'));
    expect(portNamed(container, 'https')).toBe(field(values, 'config', 'listen', 'port'));
    for (const [probe, path] of [['livenessProbe', '/livez'], ['readinessProbe', '/readyz'], ['startupProbe', '/livez']] as const) {
      expect([probe, field(container, probe, 'httpGet')]).toEqual([probe, { path, port: 'health' }]);
    }
    expect(field(container, 'lifecycle', 'preStop')).toEqual({ sleep: { seconds: field(values, 'preStopDelaySeconds') } });
  });

  it('writes a config.yaml the server accepts, consistent with the pod it runs in', async () => {
    const objects = await renderWith(valuesFiles);
    const configMap = allOf(objects, 'ConfigMap').find((o) => field(o, 'metadata', 'name') === FULLNAME);
    const resolved = resolveConfig({
      flags: { config: '/config/config.yaml' },
      env: {},
      file: { ref: { path: '/config/config.yaml', origin: 'from --config' }, text: text(configMap, 'data', 'config.yaml') },
    });
    if (!resolved.ok) throw new Error(`the server refuses the chart's config.yaml:\n${JSON.stringify(resolved.issues, null, 2)}`);
    const config = resolved.config;
    const container = containerOf(objects);
    expect(config.mode).toBe(field(values, 'config', 'mode'));
    expect(config.exemptNamespaces).toEqual([NAMESPACE, 'kube-system', ...list(values, 'config', 'exemptNamespaces')]);
    expect(config.listen.port).toBe(portNamed(container, 'https'));
    expect(config.health.port).toBe(portNamed(container, 'health'));
    expect(config.reservationTtlSeconds).toBe(field(values, 'config', 'reservationTtlSeconds'));
    expect(config.watch.staleAfterSeconds).toBe(field(values, 'config', 'watch', 'staleAfterSeconds'));
    expect(config.logLevel).toBe(field(values, 'config', 'logLevel'));
    expect(config.reservedPorts).toEqual(list(values, 'config', 'reservedPorts'));
    expect(config.undeclaredPorts).toBe(field(values, 'config', 'undeclaredPorts'));
    // The Lease the RBAC below grants is the one the server uses.
    expect(config.conflictEvents).toEqual({ enabled: field(values, 'config', 'conflictEvents', 'enabled'), leaseNamespace: NAMESPACE, leaseName: FULLNAME });
    // Leases in the release namespace, where the chart's Role lets the pods keep them.
    expect(config.reservations).toEqual({
      ...(field(values, 'crossReplicaReservations') === true ? { namespace: NAMESPACE } : {}),
      timeoutMilliseconds: field(values, 'config', 'reservations', 'timeoutMilliseconds'),
      onApiError: field(values, 'config', 'reservations', 'onApiError'),
    });
    // The server reads exactly the files the pod mounts.
    expect(list(container, 'args')).toEqual(['serve', '--config', '/config/config.yaml']);
    const mounts = Object.fromEntries(list(container, 'volumeMounts').map((m) => [text(m, 'mountPath'), text(m, 'name')]));
    expect(mounts).toEqual({ '/config': 'config', '/tls': 'tls' });
    expect([config.tls.certFile, config.tls.keyFile]).toEqual(['/tls/tls.crt', '/tls/tls.key']);
    const volumes = list(oneOf(objects, 'Deployment'), 'spec', 'template', 'spec', 'volumes');
    expect(field(volumes.find((v) => field(v, 'name') === 'config'), 'configMap', 'name')).toBe(text(configMap, 'metadata', 'name'));
  });

  it('registers webhooks with the API server contract: v1 reviews, no side effects, equivalent matching', async () => {
    const objects = await renderWith(valuesFiles);
    const webhooks = webhooksOf(objects);
    const names = webhooks.map((w) => field(w, 'name'));
    expect(names).toEqual(field(values, 'webhook', 'checkWorkloads') === true
      ? ['pods.hostport-guard.io', 'workloads.hostport-guard.io']
      : ['pods.hostport-guard.io']);
    const service = oneOf(objects, 'Service');
    const httpsPort = list(service, 'spec', 'ports').find((p) => field(p, 'name') === 'https');
    for (const webhook of webhooks) {
      expect(webhook).toMatchObject({
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        matchPolicy: 'Equivalent',
        failurePolicy: field(values, 'webhook', 'failurePolicy'),
        timeoutSeconds: field(values, 'webhook', 'timeoutSeconds'),
        clientConfig: { service: { name: text(service, 'metadata', 'name'), namespace: NAMESPACE, path: '/validate', port: field(httpsPort, 'port') } },
      });
      expect(field(httpsPort, 'targetPort')).toBe('https');
      expect(list(webhook, 'matchConditions')).toHaveLength(1);
      expect(field(webhook, 'namespaceSelector')).toEqual({
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [NAMESPACE, 'kube-system', ...list(values, 'config', 'exemptNamespaces')] }],
      });
    }
    expect(field(webhooks[0], 'rules')).toEqual([{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }]);
  });

  it('serves the certificate that the webhook configuration trusts', async () => {
    const objects = await renderWith(valuesFiles);
    const secretName = field(list(oneOf(objects, 'Deployment'), 'spec', 'template', 'spec', 'volumes').find((v) => field(v, 'name') === 'tls'), 'secret', 'secretName');
    const configuration = oneOf(objects, 'ValidatingWebhookConfiguration');
    const bundles = new Set(webhooksOf(objects).map((w) => field(w, 'clientConfig', 'caBundle')));
    const mode = field(values, 'tls', 'mode');
    if (mode === 'helm') {
      const secret = allOf(objects, 'Secret').find((s) => field(s, 'metadata', 'name') === secretName);
      expect(field(secret, 'type')).toBe('kubernetes.io/tls');
      expect([...bundles]).toEqual([field(secret, 'data', 'ca.crt')]);
    } else if (mode === 'secret') {
      expect(secretName).toBe(field(values, 'tls', 'secret', 'name'));
      expect(allOf(objects, 'Secret')).toEqual([]);
      expect([...bundles]).toEqual([field(values, 'tls', 'secret', 'caBundle')]);
    } else {
      const certificate = allOf(objects, 'Certificate').find((c) => field(c, 'spec', 'secretName') === secretName);
      expect(field(configuration, 'metadata', 'annotations', 'cert-manager.io/inject-ca-from')).toBe(`${NAMESPACE}/${text(certificate, 'metadata', 'name')}`);
      expect([...bundles]).toEqual([undefined]);
    }
  });
});

describe('the PodDisruptionBudget', () => {
  it.each([
    [1, 0],
    [2, 1],
    [3, 1],
  ])('with replicaCount %d renders %d budget(s)', async (replicas, budgets) => {
    const objects = await renderWith([], [`replicaCount=${replicas}`]);
    expect(allOf(objects, 'PodDisruptionBudget')).toHaveLength(budgets);
    for (const pdb of allOf(objects, 'PodDisruptionBudget')) {
      expect(field(pdb, 'spec', 'minAvailable')).toBe(1);
      expect(field(pdb, 'spec', 'selector', 'matchLabels')).toEqual(field(oneOf(objects, 'Deployment'), 'spec', 'selector', 'matchLabels'));
    }
  });

  it('renders none when disabled', async () => {
    expect(allOf(await renderWith([], ['podDisruptionBudget.enabled=false']), 'PodDisruptionBudget')).toEqual([]);
  });

  it('takes maxUnavailable instead of minAvailable when it is set', async () => {
    const pdb = oneOf(await renderWith([], ['podDisruptionBudget.maxUnavailable=50%']), 'PodDisruptionBudget');
    expect(field(pdb, 'spec', 'maxUnavailable')).toBe('50%');
    expect(field(pdb, 'spec', 'minAvailable')).toBeUndefined();
  });
});

describe('names, namespace and labels', () => {
  it('puts every namespaced object in namespaceOverride, and the webhook calls its Service there', async () => {
    const objects = await renderWith([], ['namespaceOverride=web-hooks']);
    for (const o of objects) {
      expect([idOf(o), field(o, 'metadata', 'namespace')]).toEqual([idOf(o), CLUSTER_SCOPED.has(text(o, 'kind')) ? undefined : 'web-hooks']);
    }
    for (const webhook of webhooksOf(objects)) {
      expect(field(webhook, 'clientConfig', 'service', 'namespace')).toBe('web-hooks');
      expect(field(webhook, 'namespaceSelector', 'matchExpressions', 0, 'values')).toEqual(['web-hooks', 'kube-system']);
    }
    const config = text(oneOf(objects, 'ConfigMap'), 'data', 'config.yaml');
    expect(config).toContain('- web-hooks\n');
    expect(list(oneOf(objects, 'ClusterRoleBinding'), 'subjects').map((s) => field(s, 'namespace'))).toEqual(['web-hooks']);
  });

  it('names every object after fullnameOverride', async () => {
    const objects = await renderWith([], ['fullnameOverride=guard']);
    const names = new Set(objects.filter((o) => text(o, 'kind') !== 'Secret').map((o) => text(o, 'metadata', 'name')));
    expect([...names].sort()).toEqual(['guard', 'guard-reservations']);
    expect(field(webhooksOf(objects)[0], 'clientConfig', 'service', 'name')).toBe('guard');
  });

  it('uses nameOverride in the names and the name label', async () => {
    const objects = await renderWith([], ['nameOverride=guard']);
    const deployment = oneOf(objects, 'Deployment');
    expect(text(deployment, 'metadata', 'name')).toBe(`${RELEASE}-guard`);
    expect(field(deployment, 'spec', 'selector', 'matchLabels')).toEqual({ 'app.kubernetes.io/name': 'guard', 'app.kubernetes.io/instance': RELEASE });
  });
});

describe('the RBAC of conflict Events', () => {
  /** The rules of the object of `kind` named FULLNAME, as `verbs resources [names]` lines. */
  function rules(objects: readonly Json[], kind: string): string[] {
    const object = allOf(objects, kind).find((o) => field(o, 'metadata', 'name') === FULLNAME);
    return list(object, 'rules').map((r) => `${list(r, 'verbs').join(',')} ${list(r, 'apiGroups').join(',') || 'core'}/${list(r, 'resources').join(',')}${list(r, 'resourceNames').length > 0 ? ` [${list(r, 'resourceNames').join(',')}]` : ''}`);
  }

  it('grants creating Events anywhere and the one Lease in the release namespace, bound to the ServiceAccount (config.conflictEvents.enabled, the default)', async () => {
    const objects = await renderWith([]);
    expect(rules(objects, 'ClusterRole')).toEqual(['list,watch core/pods,nodes,namespaces', 'list,watch scheduling.k8s.io/priorityclasses', 'create core/events']);
    expect(rules(objects, 'Role')).toEqual(['create coordination.k8s.io/leases', `get,update coordination.k8s.io/leases [${FULLNAME}]`]);
    const binding = allOf(objects, 'RoleBinding').find((o) => field(o, 'metadata', 'name') === FULLNAME);
    expect([field(binding, 'metadata', 'namespace'), field(binding, 'roleRef', 'name'), field(binding, 'subjects', 0, 'name')]).toEqual([NAMESPACE, FULLNAME, FULLNAME]);
  });

  it('grants neither, and the server writes no Events, with config.conflictEvents.enabled=false', async () => {
    const objects = await renderWith([], ['config.conflictEvents.enabled=false']);
    expect(rules(objects, 'ClusterRole')).toEqual(['list,watch core/pods,nodes,namespaces', 'list,watch scheduling.k8s.io/priorityclasses']);
    // Only the reservations' Role and binding are left (crossReplicaReservations is on).
    const names = (kind: string): string[] => allOf(objects, kind).map((o) => text(o, 'metadata', 'name'));
    expect([names('Role'), names('RoleBinding')]).toEqual([[`${FULLNAME}-reservations`], [`${FULLNAME}-reservations`]]);
    const configMap = allOf(objects, 'ConfigMap').find((o) => field(o, 'metadata', 'name') === FULLNAME);
    expect(text(configMap, 'data', 'config.yaml')).toContain('conflictEvents:\n  enabled: false');
  });
});

describe('the Deployment', () => {
  it('takes the security contexts from the values', async () => {
    const objects = await renderWith([], ['podSecurityContext.runAsUser=1000', 'securityContext.readOnlyRootFilesystem=false']);
    const pod = field(oneOf(objects, 'Deployment'), 'spec', 'template', 'spec');
    expect(field(pod, 'securityContext', 'runAsUser')).toBe(1000);
    expect(field(pod, 'securityContext', 'runAsNonRoot')).toBe(true);
    expect(field(containerOf(objects), 'securityContext', 'readOnlyRootFilesystem')).toBe(false);
  });

  it('spreads with topologySpreadConstraints, selecting the release pods where no labelSelector is given', async () => {
    const objects = await renderWith([], [
      'topologySpreadConstraints[0].maxSkew=1', 'topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone', 'topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway',
      'topologySpreadConstraints[1].maxSkew=2', 'topologySpreadConstraints[1].topologyKey=kubernetes.io/hostname', 'topologySpreadConstraints[1].whenUnsatisfiable=DoNotSchedule',
      'topologySpreadConstraints[1].labelSelector.matchLabels.app=other',
    ]);
    const deployment = oneOf(objects, 'Deployment');
    expect(list(deployment, 'spec', 'template', 'spec', 'topologySpreadConstraints')).toEqual([
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: field(deployment, 'spec', 'selector', 'matchLabels') } },
      { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'other' } } },
    ]);
  });

  it('passes nodeOptions to the process as NODE_OPTIONS, and no variable when it is empty', async () => {
    const withDefault = containerOf(await renderWith([]));
    expect(field(withDefault, 'env')).toEqual([{ name: 'NODE_OPTIONS', value: '--max-semi-space-size=16 --max-old-space-size=2048' }]);
    expect(field(containerOf(await renderWith([], ['nodeOptions='])), 'env')).toBeUndefined();
  });

  it('renders no preStop hook for preStopDelaySeconds=0 (a zero sleep is invalid before Kubernetes 1.33)', async () => {
    const container = containerOf(await renderWith([], ['preStopDelaySeconds=0']));
    expect(field(container, 'lifecycle')).toBeUndefined();
  });

  it('uses the given affinity instead of the default anti-affinity', async () => {
    const objects = await renderWith([], ['affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=pool',
      'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists']);
    const affinity = field(oneOf(objects, 'Deployment'), 'spec', 'template', 'spec', 'affinity');
    expect(affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'Exists' }] }] } } });
  });
});

describe('reservations every replica sees', () => {
  it('grants rights on Leases only, only in the release namespace, with no watch, patch or deletecollection', async () => {
    const objects = await renderWith([]);
    const named = (kind: string): Json | undefined => allOf(objects, kind).find((o) => field(o, 'metadata', 'name') === `${FULLNAME}-reservations`);
    const role = named('Role');
    expect([text(role, 'metadata', 'name'), text(role, 'metadata', 'namespace'), field(role, 'rules')]).toEqual([
      `${FULLNAME}-reservations`,
      NAMESPACE,
      [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'create', 'update', 'delete'] }],
    ]);
    const binding = named('RoleBinding');
    expect([field(binding, 'roleRef', 'name'), field(binding, 'subjects')]).toEqual([
      `${FULLNAME}-reservations`,
      [{ kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE }],
    ]);
  });

  it('renders neither the Role nor a Lease namespace with crossReplicaReservations=false', async () => {
    const objects = await renderWith([], ['crossReplicaReservations=false']);
    const names = allOf(objects, 'Role').concat(allOf(objects, 'RoleBinding')).map((o) => text(o, 'metadata', 'name'));
    expect(names).not.toContain(`${FULLNAME}-reservations`);
    expect(names).toEqual([FULLNAME, FULLNAME]);
    const configMap = allOf(objects, 'ConfigMap').find((o) => field(o, 'metadata', 'name') === FULLNAME);
    const resolved = resolveConfig({
      flags: { config: '/config/config.yaml' },
      env: {},
      file: { ref: { path: '/config/config.yaml', origin: 'from --config' }, text: text(configMap, 'data', 'config.yaml') },
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
    expect(resolved.config.reservations.namespace).toBeUndefined();
  });
});

describe('the webhook configuration', () => {
  it('takes failurePolicy and timeoutSeconds from the values', async () => {
    const webhooks = webhooksOf(await renderWith([], ['webhook.failurePolicy=Fail', 'webhook.timeoutSeconds=12']));
    expect(webhooks.map((w) => [field(w, 'failurePolicy'), field(w, 'timeoutSeconds')])).toEqual([['Fail', 12], ['Fail', 12]]);
  });

  it('excludes the release namespace, kube-system and the exempt namespaces, then ANDs the extra expressions', async () => {
    const webhooks = webhooksOf(await renderWith([], [
      'config.exemptNamespaces={monitoring,kube-system,ci}',
      'namespaceSelectorExpressions[0].key=team',
      'namespaceSelectorExpressions[0].operator=In',
      'namespaceSelectorExpressions[0].values={a,b}',
    ]));
    for (const webhook of webhooks) {
      expect(field(webhook, 'namespaceSelector', 'matchExpressions')).toEqual([
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [NAMESPACE, 'kube-system', 'monitoring', 'ci'] },
        { key: 'team', operator: 'In', values: ['a', 'b'] },
      ]);
    }
  });

  it('renders only itself with --show-only templates/webhook.yaml, calling webhook.url, as the e2e suite registers it', async () => {
    const objects = await render({
      release: RELEASE,
      namespace: NAMESPACE,
      showOnly: 'templates/webhook.yaml',
      set: ['webhook.url=https://127.0.0.1:9443/validate', 'tls.mode=secret', 'tls.secret.name=local-tls', 'tls.secret.caBundle=Q0E=', 'config.exemptNamespaces[0]=e2e-exempt'],
    });
    expect(objects.map(idOf)).toEqual([`ValidatingWebhookConfiguration/${FULLNAME}`]);
    for (const webhook of webhooksOf(objects)) {
      expect(field(webhook, 'clientConfig')).toEqual({ url: 'https://127.0.0.1:9443/validate', caBundle: 'Q0E=' });
      expect(field(webhook, 'namespaceSelector', 'matchExpressions', 0, 'values')).toEqual([NAMESPACE, 'kube-system', 'e2e-exempt']);
    }
  });

  it('asks only for pods that hold host ports, and for workloads whose template does', async () => {
    const [pods, workloads] = webhooksOf(await renderWith([]));
    const podCondition = text(pods, 'matchConditions', 0, 'expression');
    expect(podCondition).toContain('object.spec.hostNetwork');
    expect(podCondition).toContain('object.spec.initContainers');
    expect(podCondition).toContain('p.hostPort > 0');
    const workloadCondition = text(workloads, 'matchConditions', 0, 'expression');
    expect(workloadCondition).toContain('object.spec.template.spec.hostNetwork');
    expect(workloadCondition).toContain('object.spec.jobTemplate.spec.template.spec.hostNetwork');
    expect(list(workloads, 'rules').flatMap((r) => list(r, 'resources'))).toEqual(
      ['deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs', 'replicationcontrollers'],
    );
  });
});

describe('tls.mode=helm', () => {
  it('computes the CA once: the Secret and both webhooks carry the same CA, which signed the serving certificate', async () => {
    const objects = await renderWith([]);
    const secret = oneOf(objects, 'Secret');
    const ca = new X509Certificate(pem(text(secret, 'data', 'ca.crt')));
    const serving = new X509Certificate(pem(text(secret, 'data', 'tls.crt')));
    expect(webhooksOf(objects).map((w) => field(w, 'clientConfig', 'caBundle'))).toEqual([text(secret, 'data', 'ca.crt'), text(secret, 'data', 'ca.crt')]);
    expect(ca.ca).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkPrivateKey(createPrivateKey(pem(text(secret, 'data', 'tls.key'))))).toBe(true);
    // The API server dials <service>.<namespace>.svc.
    expect(serving.checkHost(`${FULLNAME}.${NAMESPACE}.svc`)).toBe(`${FULLNAME}.${NAMESPACE}.svc`);
  });

  it('generates a new CA on every render where lookup finds nothing (helm template)', async () => {
    const first = text(oneOf(await render({ release: RELEASE, namespace: NAMESPACE }), 'Secret'), 'data', 'ca.crt');
    const second = text(oneOf(await render({ release: RELEASE, namespace: NAMESPACE }), 'Secret'), 'data', 'ca.crt');
    expect(first).not.toBe(second);
  });
});

describe('tls.mode=secret', () => {
  it('mounts the given Secret and trusts the given caBundle, rendering no Secret of its own', async () => {
    const objects = await renderWith([], ['tls.mode=secret', 'tls.secret.name=corp-tls', 'tls.secret.caBundle=Q0EgYnVuZGxl']);
    expect(allOf(objects, 'Secret')).toEqual([]);
    expect(webhooksOf(objects).map((w) => field(w, 'clientConfig', 'caBundle'))).toEqual(['Q0EgYnVuZGxl', 'Q0EgYnVuZGxl']);
    const volumes = list(oneOf(objects, 'Deployment'), 'spec', 'template', 'spec', 'volumes');
    expect(field(volumes.find((v) => field(v, 'name') === 'tls'), 'secret', 'secretName')).toBe('corp-tls');
  });
});

describe('tls.mode=certManager', () => {
  it('renders a self-signed root, a CA issuer and the serving Certificate, and asks cert-manager to inject the CA', async () => {
    const objects = await renderWith(['ci/cert-manager-values.yaml']);
    expect(allOf(objects, 'Secret')).toEqual([]);
    expect(allOf(objects, 'Issuer').map((i) => [field(i, 'metadata', 'name'), Object.keys(mapping(field(i, 'spec')))])).toEqual([
      [`${FULLNAME}-selfsigned`, ['selfSigned']],
      [`${FULLNAME}-ca`, ['ca']],
    ]);
    const certificates = allOf(objects, 'Certificate');
    const root = certificates.find((c) => field(c, 'spec', 'isCA') === true);
    expect(field(root, 'spec', 'issuerRef')).toEqual({ kind: 'Issuer', name: `${FULLNAME}-selfsigned` });
    const serving = certificates.find((c) => field(c, 'spec', 'isCA') !== true);
    expect(field(serving, 'spec', 'issuerRef')).toEqual({ kind: 'Issuer', name: `${FULLNAME}-ca` });
    expect(list(serving, 'spec', 'dnsNames')).toContain(`${FULLNAME}.${NAMESPACE}.svc`);
    expect(field(serving, 'spec', 'secretName')).toBe(`${FULLNAME}-tls`);
    expect(field(oneOf(objects, 'ValidatingWebhookConfiguration'), 'metadata', 'annotations')).toEqual({
      'cert-manager.io/inject-ca-from': `${NAMESPACE}/${text(serving, 'metadata', 'name')}`,
    });
  });

  it('uses a given issuer instead of its own CA', async () => {
    const objects = await renderWith(['ci/cert-manager-values.yaml'], ['tls.certManager.issuerRef.name=corp', 'tls.certManager.issuerRef.kind=ClusterIssuer']);
    expect(allOf(objects, 'Issuer')).toEqual([]);
    expect(allOf(objects, 'Certificate').map((c) => field(c, 'spec', 'issuerRef'))).toEqual([{ name: 'corp', kind: 'ClusterIssuer' }]);
  });
});

function mapping(value: unknown): Json {
  return isJson(value) ? value : {};
}
