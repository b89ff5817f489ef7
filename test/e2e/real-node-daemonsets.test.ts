/**
 * How DaemonSets really replace their pods, through the real DaemonSet controller and
 * scheduler. Replacing one DaemonSet with another while the old pods are terminating is
 * admitted with a warning: the scheduler places each new pod once the old one is gone,
 * with no FailedCreate on the way. A rolling update with maxSurge > 0 creates surge pods
 * that can never start next to the pods they replace on a host port: they are denied
 * with a message that says so, and applying such a DaemonSet warns.
 *
 * On a real node the old pods would stay terminating for their preStop sleep (the grace
 * period); on the fake nodes no kubelet ever finishes them, and the story removes them
 * with a forced delete, as a kubelet finishing the grace period would.
 */
import { describe, expect, it, jest } from '@jest/globals';
import type { PortSpec } from './support/manifests.js';
import { daemonSet, pod } from './support/manifests.js';
import type { PodFacts } from './support/pods.js';
import { decodePods, eventsFor, podFacts, rawPods } from './support/pods.js';
import { e2eSuite, NODES } from './support/suite.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(240_000);

const suite = e2eSuite({ name: 'real-node-daemonsets', onlyFakeNodes: true });

/** The pods of DaemonSet `name` in `ns`: name and node ('' while unbound), by node then name. */
async function podsOf(ns: string, name: string): Promise<{ name: string; node: string }[]> {
  return decodePods(await rawPods(ns))
    .filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === name) === true)
    .map((p) => ({ name: p.metadata.name ?? '', node: p.spec.nodeName ?? '' }))
    .sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name));
}

/** Waits until DaemonSet `name` has one pod bound to each fake node; returns them by node. */
async function boundOnEveryNode(ns: string, name: string): Promise<{ name: string; node: string }[]> {
  return eventually(`pods of DaemonSet ${name} bound to ${NODES.join(', ')}`, async () => {
    const pods = await podsOf(ns, name);
    const nodes = pods.map((p) => p.node).join(',');
    return nodes === NODES.join(',') ? done(pods) : notYet(nodes || 'no pods');
  });
}

/** What the webhook logged about the pods whose names start with `prefix`. */
function logged(prefix: string): { decision: unknown; warnings: unknown }[] {
  return suite
    .webhook()
    .logEntries()
    .filter((e) => e['kind'] === 'Pod' && typeof e['name'] === 'string' && e['name'].startsWith(prefix) && e['msg'] === 'request answered')
    .map((e) => ({ decision: e['decision'], warnings: e['warnings'] }));
}

describe('replacing a DaemonSet with another on the same port while the old pods terminate', () => {
  it('admits the new pods with a warning, without FailedCreate, and the scheduler binds them once the old pods are gone', async () => {
    const ns = await suite.namespace('replace');
    const ports: PortSpec[] = [{ containerPort: 9100, hostPort: 18191 }];
    const agent = suite.manifests.write('agent', daemonSet({ name: 'agent', namespace: ns, container: 'agent', ports, terminationGracePeriodSeconds: 600, preStopSleepSeconds: 600 }));
    expect(await suite.kubectl(['apply', '-f', agent])).toEqual({ exitCode: 0, stdout: 'daemonset.apps/agent created\n', stderr: '' });
    const old = await boundOnEveryNode(ns, 'agent');
    await suite.waitForIndexToMatchCluster();

    // The garbage collector deletes the old pods gracefully: they stay, terminating.
    expect(await suite.kubectl(['delete', 'daemonset', 'agent', '-n', ns, '--wait=false'])).toEqual({
      exitCode: 0,
      stdout: `daemonset.apps "agent" deleted from ${ns} namespace\n`,
      stderr: '',
    });
    await eventually('every old agent pod to be terminating', async () => {
      const facts = await Promise.all(old.map((p) => podFacts(ns, p.name)));
      const going = facts.filter((f): f is PodFacts => f !== undefined && f.deletionTimestamp !== '');
      return going.length === old.length ? done(undefined) : notYet(`${going.length} of ${old.length} terminating`);
    });

    // What one of the new pods will be told, once the webhook has seen the old ones go.
    const [onWorker1] = old;
    const probe = suite.manifests.write('probe', pod({ name: 'probe', namespace: ns, daemonSetNode: 'worker-1', container: 'agent', ports }));
    await suite.dryRunUntil('the webhook to see the old agent pods terminating', probe, (r) => r.stderr.includes('terminating'));
    expect(await suite.kubectl(['create', '--dry-run=server', '-f', probe])).toEqual({
      exitCode: 0,
      stdout: 'pod/probe created (server dry run)\n',
      stderr: `Warning: pod waits for terminating pod ${ns}/${onWorker1?.name ?? '?'} to free hostPort 18191/TCP on node worker-1\n`,
    });

    // Only the fake nodes are candidates: the real ones carry a taint these pods do not tolerate.
    const agent2 = suite.manifests.write('agent2', daemonSet({ name: 'agent2', namespace: ns, container: 'agent', ports }));
    expect(await suite.kubectl(['apply', '-f', agent2])).toEqual({
      exitCode: 0,
      stdout: 'daemonset.apps/agent2 created\n',
      stderr: `Warning: hostPort 18191/TCP is being freed on 3 of 3 candidate nodes by ${ns}/${onWorker1?.name ?? '?'} and 2 more; its pods wait there\n`,
    });

    // Every new pod is created (the webhook admitted it with the wait warning) and waits unbound.
    const waiting = await eventually('three agent2 pods created', async () => {
      const pods = await podsOf(ns, 'agent2');
      return pods.length === NODES.length ? done(pods) : notYet(`${pods.length} pods`);
    });
    expect(waiting.map((p) => p.node)).toEqual(['', '', '']);
    // The webhook writes a request's log line once the connection is done with it.
    const admitted = await eventually('a log line for each agent2 pod', () => {
      const lines = logged('agent2-');
      return Promise.resolve(lines.length === NODES.length ? done(lines) : notYet(`${lines.length} lines`));
    });
    for (const entry of admitted) {
      expect(entry).toEqual({
        decision: 'warn',
        warnings: [expect.stringMatching(new RegExp(`^pod waits for terminating pod ${ns}/agent-[a-z0-9]{5} to free hostPort 18191/TCP on node worker-[123]$`))],
      });
    }
    expect(await eventsFor(ns, 'agent2', 'FailedCreate')).toEqual([]);

    // The old pods go (a kubelet would end them after their grace period) ...
    const gone = await suite.kubectl(['delete', 'pods', '-n', ns, '-l', 'app=agent', '--grace-period=0', '--force']);
    expect(gone.exitCode).toBe(0);
    // ... and the scheduler binds each new pod to its node.
    const bound = await boundOnEveryNode(ns, 'agent2');
    expect(bound.map((p) => p.name).sort()).toEqual(waiting.map((p) => p.name).sort());
    expect(await eventsFor(ns, 'agent2', 'FailedCreate')).toEqual([]);
  });
});

describe('a rolling update with maxSurge on a host port', () => {
  it('warns when the DaemonSet is applied, and denies each surge pod saying it can never start', async () => {
    const ns = await suite.namespace('surge');
    const ports: PortSpec[] = [{ containerPort: 9100, hostPort: 18192 }];
    const surging = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } as const;
    const warning = 'Warning: maxSurge 1: with host ports the old pod must go first, so surge pods never start; set maxSurge 0, maxUnavailable 1\n';
    const v1 = suite.manifests.write('agent-v1', daemonSet({ name: 'agent', namespace: ns, container: 'agent', ports, updateStrategy: surging, labels: { version: 'v1' } }));
    expect(await suite.kubectl(['apply', '-f', v1])).toEqual({ exitCode: 0, stdout: 'daemonset.apps/agent created\n', stderr: warning });
    const old = await boundOnEveryNode(ns, 'agent');
    await suite.waitForIndexToMatchCluster();

    const v2 = suite.manifests.write('agent-v2', daemonSet({ name: 'agent', namespace: ns, container: 'agent', ports, updateStrategy: surging, labels: { version: 'v2' } }));
    expect(await suite.kubectl(['apply', '-f', v2])).toEqual({ exitCode: 0, stdout: 'daemonset.apps/agent configured\n', stderr: warning });

    const refusals = await eventually('a FailedCreate event on the DaemonSet', async () => {
      const events = await eventsFor(ns, 'agent', 'FailedCreate');
      return events.length > 0 ? done(events) : notYet('no FailedCreate event');
    });
    const surge = new RegExp(
      `^Error creating: admission webhook "pods\\.hostport-guard\\.io" denied the request: hostPort 18192/TCP on node worker-[123] is already used by pod ${ns}/agent-[a-z0-9]{5} \\(container agent\\);` +
        " it is a surge pod of its DaemonSet's rollout: with a host port the old pod has to go first, so it can never start;" +
        ' set maxSurge: 0 and maxUnavailable: 1 in the rollingUpdate$',
    );
    for (const event of refusals) expect(event).toEqual({ type: 'Warning', reason: 'FailedCreate', message: expect.stringMatching(surge) });
    // The rollout stalls with the old pods in place: nothing was taken down for the surge.
    expect(await podsOf(ns, 'agent')).toEqual(old);
  });
});
