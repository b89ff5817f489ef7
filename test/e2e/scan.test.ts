/**
 * The operator's view, as an admin meets it: `kubectl hostports` (the kubectl plugin the
 * package installs) run through the real kubectl, against conflicts the webhook let in
 * while in audit mode, a pod the real scheduler refused for a port, and a pod a real
 * kubelet refused (NodePorts); and the background audit of `serve`: one HostPortConflict
 * Event per pod of a conflict, whatever resyncs, restarts and replicas follow, and a
 * gauge that counts the conflict until it ends.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { clusterEnv, kubectl, kubectlOk, REPO_ROOT, userEnv } from './support/cluster.js';
import type { PodOptions } from './support/manifests.js';
import { pod } from './support/manifests.js';
import { sampleValue } from './support/metrics.js';
import { namespaceName } from './support/namespaces.js';
import { eventsFor } from './support/pods.js';
import type { RunResult } from './support/process.js';
import { run } from './support/process.js';
import { httpServer, LOCAL_IMAGES, ON_REAL_NODES, realNodes } from './support/real-nodes.js';
import { KUBELET_NODEPORTS_MESSAGE, waitForPod } from './support/release-stories.js';
import { e2eSuite } from './support/suite.js';
import type { RunningWebhook } from './support/webhook.js';
import { freePorts, startWebhook } from './support/webhook.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(240_000);

/** Namespaces the API server never sends to the webhook (the chart's exemptNamespaces). */
const UNSEEN = namespaceName('scan-unseen');
/** The Lease electing the replica that writes Events: in `default`, named for this file. */
const LEASE = { namespace: 'default', name: 'hpg-e2e-scan' };

const suite = e2eSuite({
  name: 'scan',
  mode: 'audit',
  chartExemptNamespaces: [UNSEEN],
  env: {
    HOSTPORT_GUARD_CONFLICT_EVENTS: 'true',
    HOSTPORT_GUARD_CONFLICT_EVENTS_LEASE_NAMESPACE: LEASE.namespace,
    HOSTPORT_GUARD_CONFLICT_EVENTS_LEASE_NAME: LEASE.name,
  },
});

/** A directory on PATH holding the plugin as npm installs it: an executable kubectl-hostports. */
let pluginDir = '';

beforeAll(() => {
  pluginDir = mkdtempSync(path.join(tmpdir(), 'hpg-plugin-'));
  symlinkSync(path.join(REPO_ROOT, 'bin/kubectl-hostports.js'), path.join(pluginDir, 'kubectl-hostports'));
});

afterAll(async () => {
  rmSync(pluginDir, { recursive: true, force: true });
  await kubectl(['delete', 'lease', LEASE.name, '-n', LEASE.namespace, '--ignore-not-found']);
});

/** `kubectl hostports ARGS` as a user runs it: kubectl finds the plugin on PATH (next to Node.js 24). */
function kubectlHostports(args: readonly string[]): Promise<RunResult> {
  const env = userEnv();
  return run(clusterEnv().kubectl, ['hostports', ...args], { env: { ...env, PATH: [pluginDir, path.dirname(process.execPath), env['PATH'] ?? ''].join(path.delimiter) } });
}

/** Creates, with kubectl, a hostNetwork pod `ns/name` holding `port`. */
async function hostNetworkPod(name: string, ns: string, port: number, extra: Partial<PodOptions> = {}): Promise<void> {
  const file = suite.manifests.write(`${ns}-${name}`, pod({ name, namespace: ns, hostNetwork: true, ports: [{ containerPort: port }], ...extra }));
  expect(await suite.kubectl(['apply', '-f', file])).toEqual({ exitCode: 0, stdout: `pod/${name} created\n`, stderr: '' });
}

describe('kubectl hostports', () => {
  it('is a plugin kubectl finds on PATH', async () => {
    const env = userEnv();
    const list = await run(clusterEnv().kubectl, ['plugin', 'list'], { env: { ...env, PATH: [pluginDir, path.dirname(process.execPath), env['PATH'] ?? ''].join(path.delimiter) } });
    expect(list.stdout).toContain(path.join(pluginDir, 'kubectl-hostports'));
    expect(list.stderr).not.toContain('kubectl-hostports');
  });

  it('reports the conflict audit mode let in and the pod the scheduler refused for its port, naming the holders, and exits 1', async () => {
    const ns = await suite.namespace('scan-audit');
    await hostNetworkPod('web-1', ns, 18300, { nodeName: 'worker-1' });
    await hostNetworkPod('web-2', ns, 18300, { nodeName: 'worker-1' });
    // Pinned by its hostname label, so the scheduler has exactly one node to try.
    await hostNetworkPod('web-3', ns, 18300, { nodeSelector: { 'kubernetes.io/hostname': 'worker-1' } });
    const refused = await eventually('the scheduler to refuse web-3 for its port', async () => {
      const message = await kubectlOk(['get', 'pod', 'web-3', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']);
      return message.includes("didn't have free ports") ? done(message) : notYet(message);
    });
    expect(refused).toMatch(/1 node\(s\) didn't have free ports for the requested pod ports/);

    const result = await kubectlHostports(['-n', ns]);
    expect([result.exitCode, result.stderr]).toEqual([1, '']);
    const lines = result.stdout.split('\n');
    expect(lines.filter((l) => l.length > 80)).toEqual([]);
    expect(lines[1]).toBe('1 conflict on 1 node; 1 pod cannot run because of a port.');
    expect(result.stdout).toContain(['NODE      PORT       PODS (CONTAINER)', `worker-1  18300/TCP  ${ns}/web-1 (web)`, `                     ${ns}/web-2 (web)`].join('\n'));
    expect(result.stdout).toMatch(new RegExp(`\\n${ns}/web-3 +18300/TCP +${ns}/web-1 on worker-1\\n  Pending: unschedulable +${ns}/web-2 on worker-1\\n`));
    console.log(`$ kubectl hostports -n ${ns}\n${result.stdout}`);

    const json = await kubectlHostports(['-n', ns, '-o', 'json']);
    const report = JSON.parse(json.stdout) as { cannotRun: { name: string; message: string; holders: { node: string; holder: { name: string } }[] }[] };
    expect(report.cannotRun.map((b) => [b.name, b.message, b.holders.map((h) => `${h.holder.name}@${h.node}`)])).toEqual([['web-3', refused, ['web-1@worker-1', 'web-2@worker-1']]]);

    // Who holds 18300 on worker-1, anywhere in the cluster.
    const who = await kubectlHostports(['--node', 'worker-1', '--port', '18300']);
    expect(who.stdout).toContain(`worker-1  18300/TCP  ${ns}/web-1  web        conflict`);
  });

  it('reports the pod a real kubelet refused (NodePorts), naming the pod that holds the port on that node', async () => {
    const nodes = await realNodes();
    const node = nodes[0]?.name;
    if (node === undefined) throw new Error('the local cluster has no real node (HPG_REAL_NODES)');
    // The webhook never sees this namespace, so only the kubelet can refuse the second pod.
    await suite.namespaceNamed(UNSEEN);
    const serving = { nodeName: node, run: httpServer(18301, LOCAL_IMAGES.busybox), tolerations: ON_REAL_NODES.tolerations ?? [] };
    await hostNetworkPod('first', UNSEEN, 18301, serving);
    await waitForPod(UNSEEN, 'first', 'to run', (s) => s.phase === 'Running');
    await hostNetworkPod('second', UNSEEN, 18301, serving);
    const status = await waitForPod(UNSEEN, 'second', 'to be refused by the kubelet', (s) => s.phase === 'Failed');
    expect([status.reason, status.message]).toEqual(['NodePorts', KUBELET_NODEPORTS_MESSAGE]);

    const result = await kubectlHostports(['-n', UNSEEN]);
    expect([result.exitCode, result.stderr]).toEqual([1, '']);
    expect(result.stdout.split('\n')[1]).toBe('No conflicts; 1 pod cannot run because of a port.');
    expect(result.stdout).toMatch(new RegExp(`\\n${UNSEEN}/second +18301/TCP +${UNSEEN}/first on ${node}\\n  Failed: NodePorts on ${node}\\n`));
    expect(result.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
    console.log(`$ kubectl hostports -n ${UNSEEN}\n${result.stdout}`);
  });
});

describe('the background audit of serve', () => {
  let second: RunningWebhook | undefined;

  afterAll(async () => {
    await second?.stop();
  });

  /** The existing-conflict gauges of a webhook: in all, and for `node`. */
  async function gauges(w: RunningWebhook, node: string): Promise<{ total: number; node: number; leader: number; exists: number }> {
    const samples = await w.metrics();
    return {
      total: sampleValue(samples, 'hostport_guard_cluster_conflicts'),
      node: sampleValue(samples, 'hostport_guard_cluster_conflicts_per_node', { node }),
      leader: sampleValue(samples, 'hostport_guard_leader'),
      exists: sampleValue(samples, 'hostport_guard_conflict_events_total', { result: 'exists' }),
    };
  }

  /** The HostPortConflict Events of pods a and b, as `pod: message` lines. */
  async function conflictEvents(ns: string): Promise<string[]> {
    const events = [...(await eventsFor(ns, 'a', 'HostPortConflict')).map((e) => `a: ${e.type} ${e.message}`), ...(await eventsFor(ns, 'b', 'HostPortConflict')).map((e) => `b: ${e.type} ${e.message}`)];
    return events.sort();
  }

  it('writes one HostPortConflict Event on each pod, not one per resync, restart or replica, and the gauge counts the conflict until it ends', async () => {
    const baseline = (await gauges(suite.webhook(), 'worker-2')).total;
    const ns = await suite.namespace('scan-events');
    await hostNetworkPod('a', ns, 18302, { nodeName: 'worker-2' });
    await hostNetworkPod('b', ns, 18302, { nodeName: 'worker-2' });

    const want = [
      `a: Warning host port 18302/TCP on node worker-2 is also held by pod ${ns}/b (container web): the pods conflict`,
      `b: Warning host port 18302/TCP on node worker-2 is also held by pod ${ns}/a (container web): the pods conflict`,
    ];
    await eventually('an Event on each pod', async () => {
      const events = await conflictEvents(ns);
      return events.length === 2 ? done(undefined) : notYet(events.join(' | '));
    });
    expect(await conflictEvents(ns)).toEqual(want);
    await eventually('the gauges to count the conflict', async () => {
      const g = await gauges(suite.webhook(), 'worker-2');
      return g.total === baseline + 1 && g.node === 1 && g.leader === 1 ? done(undefined) : notYet(JSON.stringify(g));
    });

    // Changes to both pods make the audit look at worker-2 again.
    await kubectlOk(['label', 'pod', 'a', 'b', '-n', ns, 'touched=1']);
    // A restarted webhook lists everything again and is elected again: it tells every
    // conflict once more, and the API server says the Events exist.
    await suite.stopWebhook();
    const restarted = await suite.startWebhook();
    await eventually('the restarted webhook to find the Events written already', async () => {
      const g = await gauges(restarted, 'worker-2');
      return g.leader === 1 && g.exists >= 2 ? done(undefined) : notYet(JSON.stringify(g));
    });
    // A second replica joins: it follows, and writes nothing.
    const options = restarted.options;
    const [port = 0, healthPort = 0] = await freePorts(2);
    second = await startWebhook({ ...options, port, healthPort, logFile: `${options.logFile}.second` });
    await eventually('the second replica to count the conflict as a follower', async () => {
      const g = await gauges(second ?? restarted, 'worker-2');
      return g.node === 1 && g.leader === 0 ? done(undefined) : notYet(JSON.stringify(g));
    });
    expect(await conflictEvents(ns)).toEqual(want);
    const counts = await kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'reason=HostPortConflict', '-o', 'jsonpath={range .items[*]}{.count}{"\\n"}{end}']);
    expect(counts.trim().split('\n')).toEqual(['1', '1']);

    // The conflict ends: both replicas' gauges go back to where they were.
    await kubectlOk(['delete', 'pod', 'b', '-n', ns, '--grace-period=0', '--force']);
    for (const w of [restarted, second]) {
      await eventually(`the gauge of replica ${w.pid} to go back to ${baseline}`, async () => {
        const g = await gauges(w, 'worker-2');
        return g.total === baseline && g.node === 0 ? done(undefined) : notYet(JSON.stringify(g));
      });
    }
  });

  it("reports a pod audit mode let onto the kubelet's port as a conflict with the node daemon, in scan, an Event and the gauge, until it goes", async () => {
    const baseline = await gauges(suite.webhook(), 'worker-3');
    const ns = await suite.namespace('scan-daemon');
    await hostNetworkPod('agent', ns, 10250, { nodeName: 'worker-3' });

    const result = await kubectlHostports(['-n', ns]);
    expect([result.exitCode, result.stderr]).toEqual([1, '']);
    expect(result.stdout).toContain(['NODE      PORT       PODS (CONTAINER)', `worker-3  10250/TCP  ${ns}/agent (web)`, '                     node daemon kubelet'].join('\n'));
    expect(result.stdout).toContain('Held by node daemons on every node (--reserved-port):\n  kubelet 10250/TCP, kubelet 127.0.0.1:10248/TCP\n');
    console.log(`$ kubectl hostports -n ${ns}\n${result.stdout}`);
    const none = await kubectlHostports(['-n', ns, '--reserved-port', 'none']);
    expect([none.exitCode, none.stdout.split('\n')[1]]).toEqual([0, 'No conflicts, and no pod is kept from running by a port.']);

    const message = await eventually('an Event on the pod', async () => {
      const events = await eventsFor(ns, 'agent', 'HostPortConflict');
      return events.length === 1 ? done(events[0]?.message) : notYet(JSON.stringify(events));
    });
    expect(message).toBe('host port 10250/TCP on node worker-3 is also held by node daemon kubelet (10250/TCP): the pod cannot bind it');
    await eventually('the gauges to count the conflict', async () => {
      const g = await gauges(suite.webhook(), 'worker-3');
      return g.total === baseline.total + 1 && g.node === baseline.node + 1 ? done(undefined) : notYet(JSON.stringify(g));
    });
    await kubectlOk(['delete', 'pod', 'agent', '-n', ns, '--grace-period=0', '--force']);
    await eventually('the gauges to go back', async () => {
      const g = await gauges(suite.webhook(), 'worker-3');
      return g.total === baseline.total && g.node === baseline.node ? done(undefined) : notYet(JSON.stringify(g));
    });
  });
});
