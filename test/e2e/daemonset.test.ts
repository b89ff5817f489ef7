/**
 * A DaemonSet's pods are pinned by the controller (node affinity on metadata.name), so
 * the webhook knows each pod's node at creation. When one node's port is already taken,
 * `kubectl apply` of the DaemonSet warns about it, the pods for the other nodes are
 * created, and the one for that node is refused: the DaemonSet's FailedCreate events
 * carry the webhook's message naming the pod that holds the port.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { daemonSet, pod } from './support/manifests.js';
import { decodePods, eventsFor, rawPods } from './support/pods.js';
import { e2eSuite } from './support/suite.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(180_000);

const suite = e2eSuite({ name: 'daemonset', onlyFakeNodes: true });

describe('a DaemonSet whose host port is taken on one of three nodes', () => {
  it('runs on the other two, and tells on the third who holds the port', async () => {
    const ns = await suite.namespace('daemonset');
    const holder = suite.manifests.write('holder', pod({ name: 'holder', namespace: ns, nodeName: 'worker-2', hostNetwork: true, container: 'metrics', ports: [{ containerPort: 18090 }] }));
    expect(await suite.kubectl(['apply', '-f', holder])).toEqual({ exitCode: 0, stdout: 'pod/holder created\n', stderr: '' });
    // The warning is computed from the index, not a reservation: wait until the watch shows the holder.
    await suite.waitForIndexToMatchCluster();

    // Only the fake nodes are candidates: the real ones carry a taint these pods do not tolerate.
    const agent = suite.manifests.write('agent', daemonSet({ name: 'agent', namespace: ns, container: 'agent', ports: [{ containerPort: 9100, hostPort: 18090 }] }));
    expect(await suite.kubectl(['apply', '-f', agent])).toEqual({
      exitCode: 0,
      stdout: 'daemonset.apps/agent created\n',
      stderr: `Warning: hostPort 18090/TCP is taken on 1 of 3 candidate nodes: worker-2 by ${ns}/holder; its pods cannot run there\n`,
    });

    const nodesOfAgents = await eventually('DaemonSet pods bound to worker-1 and worker-3', async () => {
      const nodes = decodePods(await rawPods(ns))
        .filter((p) => p.metadata.name?.startsWith('agent-') === true)
        .map((p) => p.spec.nodeName ?? '(unbound)')
        .sort();
      return nodes.join(',') === 'worker-1,worker-3' ? done(nodes) : notYet(nodes.join(',') || 'no pods');
    });
    expect(nodesOfAgents).toEqual(['worker-1', 'worker-3']);

    const refusals = await eventually('a FailedCreate event on the DaemonSet', async () => {
      const events = await eventsFor(ns, 'agent', 'FailedCreate');
      return events.length > 0 ? done(events) : notYet('no FailedCreate event');
    });
    const messages = new Set(refusals.map((e) => `${e.type} ${e.message}`));
    expect([...messages]).toEqual([
      `Warning Error creating: admission webhook "pods.hostport-guard.io" denied the request: hostPort 18090/TCP on node worker-2 is already used by pod ${ns}/holder (container metrics); pick another port or node`,
    ]);
    const kubectlView = await suite.kubectl(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=agent,reason=FailedCreate', '-o', 'custom-columns=REASON:.reason,MESSAGE:.message', '--no-headers']);
    expect(kubectlView.stdout.split('\n')[0]).toBe(
      `FailedCreate   Error creating: admission webhook "pods.hostport-guard.io" denied the request: hostPort 18090/TCP on node worker-2 is already used by pod ${ns}/holder (container metrics); pick another port or node`,
    );
  });
});
