/**
 * values.schema.json and the chart's own checks turn a mistyped or out-of-range value into
 * a failed install that names the value, instead of a webhook that misbehaves later.
 */
import { describe, expect, it } from '@jest/globals';
import { helm, templateArgs } from './chart.js';

const CASES: readonly { name: string; set: readonly string[]; says: readonly string[] }[] = [
  { name: 'an unknown mode', set: ['mode=block'], says: ["at '/mode'", "'enforce', 'warn', 'audit'"] },
  { name: 'a misspelt top-level key (replicas for replicaCount)', set: ['replicas=2'], says: ["'replicas' not allowed"] },
  { name: 'a misspelt nested key', set: ['webhook.failurePolicyy=Fail'], says: ["at '/webhook'", "'failurePolicyy' not allowed"] },
  { name: 'a timeout above the API server limit of 30 s', set: ['webhook.timeoutSeconds=60'], says: ["at '/webhook/timeoutSeconds'", 'got 60, want 30'] },
  { name: 'a timeout of 0', set: ['webhook.timeoutSeconds=0'], says: ["at '/webhook/timeoutSeconds'", 'got 0, want 1'] },
  { name: 'an unknown tls.mode', set: ['tls.mode=foo'], says: ["at '/tls/mode'", "'certManager', 'helm', 'secret'"] },
  { name: 'a failurePolicy in the wrong case', set: ['webhook.failurePolicy=ignore'], says: ["at '/webhook/failurePolicy'", "'Fail', 'Ignore'"] },
  { name: 'a plain-http webhook.url', set: ['webhook.url=http://127.0.0.1:8443/validate'], says: ["at '/webhook/url'", "does not match pattern '^https://'"] },
  { name: 'a privileged container port', set: ['containerPort=443'], says: ["at '/containerPort'", 'got 443'] },
  { name: 'a watchdog shorter than the longest watch', set: ['watchStaleAfterSeconds=299'], says: ["at '/watchStaleAfterSeconds'", 'got 299, want 300'] },
  { name: 'zero replicas', set: ['replicaCount=0'], says: ["at '/replicaCount'", 'got 0, want 1'] },
  { name: 'an unknown log level', set: ['logLevel=verbose'], says: ["at '/logLevel'"] },
  { name: 'an exempt namespace that is not a DNS label', set: ['exemptNamespaces[0]=Kube_System'], says: ["at '/exemptNamespaces/0'"] },
  { name: 'a PEM where base64 is expected', set: ['tls.mode=secret', 'tls.secret.name=x', 'tls.secret.caBundle=-----BEGIN CERTIFICATE-----'], says: ["at '/tls/secret/caBundle'"] },
  { name: 'an issuerRef without a name', set: ['tls.mode=certManager', 'tls.certManager.issuerRef.kind=ClusterIssuer'], says: ["at '/tls/certManager/issuerRef'", "missing property 'name'"] },
  { name: 'secret mode without a Secret name', set: ['tls.mode=secret', 'tls.secret.caBundle=Q0E='], says: ['tls.secret.name is required when tls.mode is secret'] },
  { name: 'secret mode without a caBundle', set: ['tls.mode=secret', 'tls.secret.name=x'], says: ['tls.secret.caBundle is required when tls.mode is secret'] },
  { name: 'a reserved port with a lower-case protocol', set: ['reservedPorts[0].owner=kubelet', 'reservedPorts[0].port=10250', 'reservedPorts[0].protocol=tcp'], says: ["at '/reservedPorts/0/protocol'", "'TCP', 'UDP', 'SCTP'"] },
  { name: 'a reserved port whose hostIP is a name', set: ['reservedPorts[0].owner=kubelet', 'reservedPorts[0].port=10248', 'reservedPorts[0].protocol=TCP', 'reservedPorts[0].hostIP=localhost'], says: ["at '/reservedPorts/0/hostIP'"] },
  { name: 'a reserved port 0', set: ['reservedPorts[0].owner=kubelet', 'reservedPorts[0].port=0', 'reservedPorts[0].protocol=TCP'], says: ["at '/reservedPorts/0/port'", 'got 0, want 1'] },
  { name: 'a reserved port without an owner', set: ['reservedPorts[0].port=10250', 'reservedPorts[0].protocol=TCP'], says: ["at '/reservedPorts/0'", "missing property 'owner'"] },
  { name: 'an unknown undeclaredPorts', set: ['undeclaredPorts=deny'], says: ["at '/undeclaredPorts'", "'ignore', 'warn'"] },
  { name: 'a preStop sleep as long as the grace period', set: ['preStopDelaySeconds=30', 'terminationGracePeriodSeconds=30'], says: ['preStopDelaySeconds (30) must be shorter than terminationGracePeriodSeconds (30)'] },
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
        'mode=warn', 'replicaCount=3', 'webhook.timeoutSeconds=30', 'tls.mode=secret', 'tls.secret.name=x', 'tls.secret.caBundle=Q0E=', 'containerPort=1024', 'exemptNamespaces[0]=kube-public',
        'reservedPorts[0].owner=kube-proxy', 'reservedPorts[0].protocol=TCP', 'reservedPorts[0].hostIP=127.0.0.1', 'reservedPorts[0].port=10249', 'undeclaredPorts=ignore',
      ],
    }));
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
  });
});
