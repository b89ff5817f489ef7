/**
 * values.schema.json and the chart's own checks turn a mistyped or out-of-range value into
 * a failed install that names the value, instead of a webhook that misbehaves later.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { helm, templateArgs } from './chart.js';

// Each test runs helm as a process: seconds each on a busy machine, past jest's 5 s default.
jest.setTimeout(60_000);

const CASES: readonly { name: string; set: readonly string[]; says: readonly string[] }[] = [
  { name: 'an unknown mode', set: ['config.mode=block'], says: ["at '/config/mode'", "'enforce', 'warn', 'audit'"] },
  { name: 'a misspelt top-level key (replicas for replicaCount)', set: ['replicas=2'], says: ["'replicas' not allowed"] },
  { name: 'a misspelt nested key', set: ['webhook.failurePolicyy=Fail'], says: ["at '/webhook'", "'failurePolicyy' not allowed"] },
  { name: 'a timeout above the API server limit of 30 s', set: ['webhook.timeoutSeconds=60'], says: ["at '/webhook/timeoutSeconds'", 'got 60, want 30'] },
  { name: 'a timeout of 0', set: ['webhook.timeoutSeconds=0'], says: ["at '/webhook/timeoutSeconds'", 'got 0, want 1'] },
  { name: 'an unknown tls.mode', set: ['tls.mode=foo'], says: ["at '/tls/mode'", "'certManager', 'helm', 'secret'"] },
  { name: 'a failurePolicy in the wrong case', set: ['webhook.failurePolicy=ignore'], says: ["at '/webhook/failurePolicy'", "'Fail', 'Ignore'"] },
  { name: 'a plain-http webhook.url', set: ['webhook.url=http://127.0.0.1:8443/validate'], says: ["at '/webhook/url'", "does not match pattern '^https://'"] },
  { name: 'a privileged container port', set: ['config.listen.port=443'], says: ["at '/config/listen/port'", 'got 443'] },
  { name: 'a watchdog shorter than the longest watch', set: ['config.watch.staleAfterSeconds=299'], says: ["at '/config/watch/staleAfterSeconds'", 'got 299, want 300'] },
  { name: 'an unknown answer to a failed reservation', set: ['config.reservations.onApiError=allow'], says: ["at '/config/reservations/onApiError'", "'deny', 'local'"] },
  { name: 'a reservation bound past 15 s', set: ['config.reservations.timeoutMilliseconds=20000', 'webhook.timeoutSeconds=30'], says: ["at '/config/reservations/timeoutMilliseconds'", 'got 20,000, want 15,000'] },
  { name: 'a reservation bound past half the webhook timeout', set: ['webhook.timeoutSeconds=1'], says: ['config.reservations.timeoutMilliseconds (1000) must be at most half of webhook.timeoutSeconds (1 s)'] },
  { name: 'a Lease namespace the chart owns', set: ['config.reservations.namespace=elsewhere'], says: ["at '/config/reservations'", "'namespace'"] },
  { name: 'zero replicas', set: ['replicaCount=0'], says: ["at '/replicaCount'", 'got 0, want 1'] },
  { name: 'an unknown log level', set: ['config.logLevel=verbose'], says: ["at '/config/logLevel'"] },
  { name: 'an exempt namespace that is not a DNS label', set: ['config.exemptNamespaces[0]=Kube_System'], says: ["at '/config/exemptNamespaces/0'"] },
  { name: 'a PEM where base64 is expected', set: ['tls.mode=secret', 'tls.secret.name=x', 'tls.secret.caBundle=-----BEGIN CERTIFICATE-----'], says: ["at '/tls/secret/caBundle'"] },
  { name: 'an issuerRef without a name', set: ['tls.mode=certManager', 'tls.certManager.issuerRef.kind=ClusterIssuer'], says: ["at '/tls/certManager/issuerRef'", "missing property 'name'"] },
  { name: 'secret mode without a Secret name', set: ['tls.mode=secret', 'tls.secret.caBundle=Q0E='], says: ['tls.secret.name is required when tls.mode is secret'] },
  { name: 'secret mode without a caBundle', set: ['tls.mode=secret', 'tls.secret.name=x'], says: ['tls.secret.caBundle is required when tls.mode is secret'] },
  { name: 'a reserved port with a lower-case protocol', set: ['config.reservedPorts[0].owner=kubelet', 'config.reservedPorts[0].port=10250', 'config.reservedPorts[0].protocol=tcp'], says: ["at '/config/reservedPorts/0/protocol'", "'TCP', 'UDP', 'SCTP'"] },
  { name: 'a reserved port whose hostIP is a name', set: ['config.reservedPorts[0].owner=kubelet', 'config.reservedPorts[0].port=10248', 'config.reservedPorts[0].protocol=TCP', 'config.reservedPorts[0].hostIP=localhost'], says: ["at '/config/reservedPorts/0/hostIP'"] },
  { name: 'a reserved port 0', set: ['config.reservedPorts[0].owner=kubelet', 'config.reservedPorts[0].port=0', 'config.reservedPorts[0].protocol=TCP'], says: ["at '/config/reservedPorts/0/port'", 'got 0, want 1'] },
  { name: 'a reserved port without an owner', set: ['config.reservedPorts[0].port=10250', 'config.reservedPorts[0].protocol=TCP'], says: ["at '/config/reservedPorts/0'", "missing property 'owner'"] },
  { name: 'an unknown undeclaredPorts', set: ['config.undeclaredPorts=deny'], says: ["at '/config/undeclaredPorts'", "'ignore', 'warn'"] },
  { name: 'a setting of 0.1 at the top level (mode, now config.mode)', set: ['mode=warn'], says: ["'mode' not allowed"] },
  { name: 'an unknown server setting', set: ['config.modes=warn'], says: ["at '/config'", "'modes' not allowed"] },
  { name: 'a PodDisruptionBudget percentage without %', set: ['podDisruptionBudget.maxUnavailable=half'], says: ["at '/podDisruptionBudget/maxUnavailable'"] },
  { name: 'a topology spread constraint without a topologyKey', set: ['topologySpreadConstraints[0].maxSkew=1', 'topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule'], says: ["at '/topologySpreadConstraints/0'", "missing property 'topologyKey'"] },
  { name: 'a namespaceOverride that is not a DNS label', set: ['namespaceOverride=Web_Hooks'], says: ["at '/namespaceOverride'"] },
  { name: 'a preStop sleep as long as the grace period', set: ['preStopDelaySeconds=30', 'terminationGracePeriodSeconds=30'], says: ['terminationGracePeriodSeconds (30) must be at least preStopDelaySeconds (30) + 15'] },
  { name: 'a grace period too short for the drain after the preStop sleep', set: ['preStopDelaySeconds=5', 'terminationGracePeriodSeconds=19'], says: ['terminationGracePeriodSeconds (19) must be at least preStopDelaySeconds (5) + 15'] },
];

describe('helm refuses bad values', () => {
  it.each(CASES)('refuses $name, naming it', async ({ set, says }) => {
    const result = await helm(templateArgs({ set }));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    for (const words of says) expect(result.stderr).toContain(words);
  });

  it('accepts the same keys with good values (the cases above fail only for their value)', async () => {
    const result = await helm(templateArgs({
      set: [
        'config.mode=warn', 'replicaCount=3', 'webhook.timeoutSeconds=30', 'config.reservations.timeoutMilliseconds=15000', 'config.reservations.onApiError=local', 'crossReplicaReservations=false', 'tls.mode=secret', 'tls.secret.name=x', 'tls.secret.caBundle=Q0E=', 'config.listen.port=1024',
        'config.exemptNamespaces[0]=kube-public', 'config.watch.staleAfterSeconds=300', 'config.logLevel=debug',
        'config.reservedPorts[0].owner=kube-proxy', 'config.reservedPorts[0].protocol=TCP', 'config.reservedPorts[0].hostIP=127.0.0.1', 'config.reservedPorts[0].port=10249', 'config.undeclaredPorts=ignore',
        'podDisruptionBudget.maxUnavailable=50%', 'namespaceOverride=web-hooks',
        'topologySpreadConstraints[0].maxSkew=1', 'topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname', 'topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule',
      ],
    }));
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
  });
});
