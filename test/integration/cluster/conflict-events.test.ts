/**
 * The leader election and the conflict Events against the real kube-apiserver: the Lease
 * is created and renewed through coordination.k8s.io (MicroTime and all), exactly one of
 * two electors leads, a stopped leader hands over at once; an Event written twice under
 * its derived name exists once, and kubectl shows it on the pod.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CoreV1Api } from '@kubernetes/client-node';
import { CoordinationV1Api } from '@kubernetes/client-node';

import { eventsApiOf } from '../../../src/cluster/live-cluster.js';
import { LeaderElector } from '../../../src/cluster/leader-election.js';
import { systemTimers } from '../../../src/cluster/timers.js';
import { done, eventually, notYet } from '../../support/wait.js';
import { coreApi, createNamespace, removed, testKubeConfig } from './admin.js';

const NAMESPACE = `hpg-lease-${Date.now().toString(36)}`;
const LEASE = 'hostport-guard-test';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** Short timing, so the test takes seconds: the same rules as the defaults, scaled down. */
const TIMING = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };

describe('leader election over a real Lease', () => {
  let core: CoreV1Api;

  beforeAll(async () => {
    core = coreApi(testKubeConfig());
    await createNamespace(core, NAMESPACE);
  }, 60_000);

  afterAll(async () => {
    await removed(() => core.deleteCollectionNamespacedPod({ namespace: NAMESPACE, gracePeriodSeconds: 0 })).catch(() => undefined);
    await removed(() => core.deleteNamespace({ name: NAMESPACE })).catch(() => undefined);
  }, 60_000);

  it('lets exactly one of two replicas lead, and hands over at once when it stops', async () => {
    const api = eventsApiOf(testKubeConfig());
    const leading = new Map<string, boolean>();
    const elector = (identity: string): LeaderElector =>
      new LeaderElector({ store: api({ namespace: NAMESPACE, name: LEASE }, identity).store, identity, timers: systemTimers, logger: quiet, onChange: (l) => leading.set(identity, l) }, TIMING);
    const a = elector('replica-a');
    const b = elector('replica-b');
    a.start();
    b.start();
    const first = await eventually('one replica to lead', () => {
      const leaders = [a, b].filter((e) => e.isLeader());
      return leaders.length === 1 ? done(leaders[0] === a ? 'replica-a' : 'replica-b') : notYet(`${leaders.length} leaders`);
    }, { timeoutMs: 20_000, intervalMs: 100 });
    // Several renewals later, still exactly one.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const lease = await testKubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ name: LEASE, namespace: NAMESPACE });
    expect(lease.spec?.holderIdentity).toBe(first);
    expect(lease.spec?.leaseDurationSeconds).toBe(4);

    const [leader, follower] = first === 'replica-a' ? [a, b] : [b, a];
    await leader.stop();
    // Released: the follower takes over on its next try, long before the Lease would expire.
    await eventually('the other replica to lead', () => (follower.isLeader() ? done(undefined) : notYet('not yet')), { timeoutMs: 3_000, intervalMs: 50 });
    await follower.stop();
    expect(leading.get(first)).toBe(false);
  }, 60_000);

  it('writes a conflict Event once under its name, and kubectl shows it on the pod', async () => {
    const created = await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: NAMESPACE }, spec: { nodeName: 'worker-3', containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }] } },
    });
    const { sink } = eventsApiOf(testKubeConfig())({ namespace: NAMESPACE, name: LEASE }, 'replica-a');
    const event = {
      name: 'web-1.0123456789abcdef',
      pod: { namespace: NAMESPACE, name: 'web-1', ...(created.metadata?.uid === undefined ? {} : { uid: created.metadata.uid }) },
      message: 'host port 8080/TCP on node worker-3 is also held by pod x/web-2 (container web): the pods conflict',
      time: Date.now(),
    };
    expect(await sink.create(event)).toBe('created');
    expect(await sink.create(event)).toBe('exists');
    const events = await core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: 'involvedObject.name=web-1,reason=HostPortConflict' });
    expect(events.items.map((e) => [e.metadata.name, e.type, e.message, e.involvedObject.uid, e.source?.component, e.reportingInstance])).toEqual([
      ['web-1.0123456789abcdef', 'Warning', event.message, created.metadata?.uid, 'hostport-guard', 'replica-a'],
    ]);
  }, 60_000);
});
