/**
 * Preemption for a host port, on the real nodes, through the real DaemonSet controller,
 * scheduler and kubelets: a DaemonSet of a low PriorityClass serves on a hostNetwork port
 * on both real nodes, then a DaemonSet of a higher class asks for the same port.
 *
 * The scheduler evicts the low pods and the kubelets run the high ones; the webhook, in
 * enforce mode, must let that happen: the high DaemonSet and each of its pods are
 * admitted with a warning naming the pods they preempt. The low DaemonSet's replacement
 * pods can then run nowhere (the scheduler never preempts a higher pod), and the webhook
 * denies them naming the high holder once it sees the high pods bound. Pods that cannot preempt are still denied: one
 * pinned by nodeName (the kubelet does not preempt), and one whose class says
 * preemptionPolicy Never.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { kubectlOk } from './support/cluster.js';
import type { PortSpec } from './support/manifests.js';
import { daemonSet, pod } from './support/manifests.js';
import { decodePods, eventsFor, rawPods } from './support/pods.js';
import type { RealNode } from './support/real-nodes.js';
import { httpGet, httpServer, ON_REAL_NODES, realNodes } from './support/real-nodes.js';
import { e2eSuite } from './support/suite.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(300_000);

const suite = e2eSuite({ name: 'real-node-preemption' });

const PORT = 18290;
const LOW = { name: 'e2e-preempt-low', value: 1000 } as const;
const HIGH = { name: 'e2e-preempt-high', value: 100_000 } as const;
const NEVER = { name: 'e2e-preempt-never', value: 100_000, preemptionPolicy: 'Never' } as const;
let nodes: RealNode[] = [];

beforeAll(async () => {
  nodes = await realNodes();
  if (nodes.length < 2) throw new Error(`the local cluster has ${nodes.length} real node(s); the story needs two (HPG_REAL_NODES)`);
  for (const c of [LOW, HIGH, NEVER]) {
    const pc = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: c.name }, value: c.value, ...('preemptionPolicy' in c ? { preemptionPolicy: c.preemptionPolicy } : {}) };
    await kubectlOk(['apply', '-f', suite.manifests.write(c.name, pc)], { cwd: suite.manifests.dir });
  }
});

afterAll(async () => {
  await kubectlOk(['delete', 'priorityclass', LOW.name, HIGH.name, NEVER.name, '--ignore-not-found']);
});

/** The pods of DaemonSet `name`: name, node and phase, by node. */
async function podsOf(ns: string, name: string): Promise<{ name: string; node: string; phase: string; deleting: boolean }[]> {
  return decodePods(await rawPods(ns))
    .filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === name) === true)
    .map((p) => ({ name: p.metadata.name ?? '', node: p.spec.nodeName ?? '', phase: p.status?.phase ?? '', deleting: p.metadata.deletionTimestamp !== undefined }))
    .sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name));
}

/** Waits until DaemonSet `name` runs one live pod on each real node, each answering on PORT with its name. */
async function servingOnEveryNode(ns: string, name: string): Promise<{ name: string; node: string }[]> {
  const running = await eventually(`pods of DaemonSet ${name} running on ${nodes.map((n) => n.name).join(', ')}`, async () => {
    const pods = (await podsOf(ns, name)).filter((p) => p.phase === 'Running' && !p.deleting);
    const on = pods.map((p) => p.node).join(',');
    return on === nodes.map((n) => n.name).join(',') ? done(pods) : notYet(on || 'none running');
  }, { timeoutMs: 180_000, intervalMs: 1_000 });
  for (const node of nodes) {
    const owner = running.find((p) => p.node === node.name)?.name ?? '?';
    await eventually(`${node.name}:${PORT} to answer with ${owner}`, async () => {
      const answer = await httpGet(node.address, PORT);
      return 'body' in answer && answer.body.trim() === owner ? done(undefined) : notYet(JSON.stringify(answer));
    });
  }
  return running;
}

/** What the webhook logged about the pods whose names start with `prefix`. */
function logged(prefix: string): { decision: unknown; warnings: unknown }[] {
  return suite
    .webhook()
    .logEntries()
    .filter((e) => e['kind'] === 'Pod' && typeof e['name'] === 'string' && e['name'].startsWith(prefix) && e['msg'] === 'request answered')
    .map((e) => ({ decision: e['decision'], warnings: e['warnings'] }));
}

const ports: PortSpec[] = [{ containerPort: PORT }];

describe('a higher-priority DaemonSet on a port a lower-priority one holds on the real nodes', () => {
  it('is admitted with warnings naming the pods it preempts, runs where the scheduler evicted them, and the low pods are then denied', async () => {
    const ns = await suite.namespace('preempt');
    const agent = (name: string, priorityClassName: string) =>
      daemonSet({ name, namespace: ns, container: 'agent', hostNetwork: true, ports, ...ON_REAL_NODES, priorityClassName, run: httpServer(PORT) });
    const low = suite.manifests.write('low', agent('low', LOW.name));
    expect(await suite.kubectl(['apply', '-f', low])).toEqual({ exitCode: 0, stdout: 'daemonset.apps/low created\n', stderr: '' });
    const victims = await servingOnEveryNode(ns, 'low');
    await suite.waitForIndexToMatchCluster();

    // Pods that cannot preempt are denied: one pinned by nodeName, one whose class never preempts.
    const [first] = nodes;
    if (first === undefined) throw new Error('no real node');
    const onFirst = victims.find((v) => v.node === first.name)?.name ?? '?';
    const holderDenial = (file: string) =>
      `Error from server (Forbidden): error when creating "${file}.yaml": admission webhook "pods.hostport-guard.io" denied the request: ` +
      `hostNetwork port ${PORT}/TCP on node ${first.name} is already used by pod ${ns}/${onFirst} (container agent); pick another port or node\n`;
    const pinned = suite.manifests.write('pinned', pod({ name: 'pinned', namespace: ns, nodeName: first.name, hostNetwork: true, ports, priorityClassName: HIGH.name }));
    expect(await suite.kubectl(['create', '--dry-run=server', '-f', pinned])).toEqual({ exitCode: 1, stdout: '', stderr: holderDenial('pinned') });
    const never = suite.manifests.write('never', pod({
      name: 'never', namespace: ns, daemonSetNode: first.name, hostNetwork: true, ports, priorityClassName: NEVER.name,
      tolerations: ON_REAL_NODES.tolerations ?? [],
    }));
    expect(await suite.kubectl(['create', '--dry-run=server', '-f', never])).toEqual({ exitCode: 1, stdout: '', stderr: holderDenial('never') });

    // The high DaemonSet: a warning naming the low pods, once the webhook knows the class.
    const high = suite.manifests.write('high', agent('high', HIGH.name));
    await suite.dryRunUntil('the webhook to know the high class', high, (r) => r.stderr.includes('preempt'));
    const applied = await suite.kubectl(['apply', '-f', high]);
    expect(applied).toEqual({
      exitCode: 0,
      stdout: 'daemonset.apps/high created\n',
      stderr: expect.stringMatching(new RegExp(`^Warning: hostNetwork port ${PORT}/TCP is taken on 2 of 2 candidate nodes[: ].*by lower-priority.*${ns}/low-[a-z0-9]{5}.*; its pods will preempt them\\n$`)),
    });

    // The scheduler evicts the low pods and the kubelets run the high ones, which now answer on the port.
    const winners = await servingOnEveryNode(ns, 'high');
    expect(winners.map((p) => p.node)).toEqual(nodes.map((n) => n.name));
    const remaining = (await podsOf(ns, 'low')).map((p) => p.name);
    for (const v of victims) expect(remaining).not.toContain(v.name);
    for (const v of victims) {
      const preempted = await eventsFor(ns, v.name, 'Preempted');
      expect(preempted.map((e) => e.reason)).toContain('Preempted');
    }

    // Each high pod was admitted (no FailedCreate), warned about the pod it preempts.
    expect(await eventsFor(ns, 'high', 'FailedCreate')).toEqual([]);
    const admitted = await eventually('a log line for each high pod', () => {
      const lines = logged('high-');
      return Promise.resolve(lines.length >= nodes.length ? done(lines) : notYet(`${lines.length} lines`));
    });
    for (const entry of admitted) {
      expect(entry).toEqual({
        decision: 'warn',
        warnings: [
          expect.stringMatching(
            // The container and the priorities do not fit in 119 characters with this namespace's name.
            new RegExp(`^pod preempts lower-priority pod ${ns}/low-[a-z0-9]{5} on node node-[12] for hostNetwork port ${PORT}/TCP$`),
          ),
        ],
      });
    }

    // The low DaemonSet's replacements can run nowhere: the scheduler never binds them. One
    // created while its node's high pod was still unbound (the index knows only bound pods)
    // was admitted and waits. One created before the webhook's watch showed the preempted
    // pod terminating was denied naming that pod: the DaemonSet controller and the webhook
    // learn of the preemption from the same API server, in either order. Once the high pods
    // are indexed, new ones are denied, naming the high holder.
    expect((await podsOf(ns, 'low')).filter((p) => p.node !== '')).toEqual([]);
    await suite.waitForIndexToMatchCluster();
    const replaced = new Date();
    await kubectlOk(['delete', 'pods', '-n', ns, '-l', 'app=low', '--wait=true']);
    const refusals = await eventually('a FailedCreate event on the low DaemonSet', async () => {
      const events = await eventsFor(ns, 'low', 'FailedCreate', replaced);
      return events.length > 0 ? done(events) : notYet('no FailedCreate event');
    });
    const denial = new RegExp(
      `^Error creating: admission webhook "pods\\.hostport-guard\\.io" denied the request: hostNetwork port ${PORT}/TCP on node node-[12] is already used by pod ${ns}/high-[a-z0-9]{5} \\(container agent\\); pick another port or node$`,
    );
    for (const event of refusals) expect(event).toEqual({ type: 'Warning', reason: 'FailedCreate', message: expect.stringMatching(denial) });
    // And the high pods keep the port.
    expect((await servingOnEveryNode(ns, 'high')).map((p) => p.name).sort()).toEqual(winners.map((p) => p.name).sort());
  });
});
