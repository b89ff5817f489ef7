import { describe, expect, it } from '@jest/globals';
import type { HoldOutcome } from '../../../src/admission/hold.js';
import type { EndReason } from '../../../src/cluster/cluster-reservations.js';
import { ClusterReservations } from '../../../src/cluster/cluster-reservations.js';
import type { LeaseHolder, PortLease } from '../../../src/cluster/lease-store.js';
import { leaseName } from '../../../src/cluster/lease-store.js';
import { ApiError } from '../../../src/cluster/list-watch.js';
import type { Occupant } from '../../../src/engine/types.js';
import { hostPort, occupant, ref } from '../../fixtures/pods.js';
import { FakeReservationLeaseStore } from './fake-lease-store.js';

const TTL_MS = 30_000;
const LEASE_8080 = leaseName('worker-1', 'TCP', 8080);

/** What the reservations reported. */
class Recorder {
  readonly ended: [EndReason, number][] = [];
  readonly swept: number[] = [];
  readonly requests: string[] = [];
  readonly logs: string[] = [];
  readonly events = {
    onEnded: (reason: EndReason, count: number) => {
      this.ended.push([reason, count]);
    },
    onSwept: (leases: number) => {
      this.swept.push(leases);
    },
    onRequest: (verb: string) => {
      this.requests.push(verb);
    },
  };
  readonly logger = {
    info: (_fields: object, message: string) => this.logs.push(message),
    warn: (_fields: object, message: string) => this.logs.push(message),
    error: (_fields: object, message: string) => this.logs.push(message),
  };
}

interface World {
  readonly store: FakeReservationLeaseStore;
  readonly recorder: Recorder;
  /** Wall-clock milliseconds, moved by the test. */
  readonly clock: { now: number };
  /** The pods the replicas' index shows, as namespace/name. */
  readonly indexed: Set<string>;
  replica(timeoutMs?: number): ClusterReservations;
}

function world(): World {
  const store = new FakeReservationLeaseStore();
  const recorder = new Recorder();
  const clock = { now: 1_000_000 };
  const indexed = new Set<string>();
  return {
    store,
    recorder,
    clock,
    indexed,
    // The bound is a real timer: a test about it passes its own; the others must not meet
    // it on a busy machine, where a worker can wait seconds for a CPU.
    replica: (timeoutMs = 15_000) =>
      new ClusterReservations(
        { store, clock: () => clock.now, events: recorder.events, logger: recorder.logger, indexed: (r) => indexed.has(`${r.namespace}/${r.name}`) },
        { ttlMs: TTL_MS, timeoutMs, seenGraceMs: 5_000 },
      ),
  };
}

/** Pod `team-a/<name>` pinned to worker-1 holding `ports` (default 0.0.0.0:8080/TCP). */
function pinned(name: string, ports = [hostPort({ hostIP: '' })]): Occupant {
  return occupant({ pod: ref(`team-a/${name}`), ports });
}

function holder(name: string, overrides: Partial<LeaseHolder> = {}): LeaseHolder {
  return { namespace: 'team-a', name, uid: `uid-${name}`, hostNetwork: true, container: 'web', hostIP: '', expiresAt: 2_000_000, ...overrides };
}

function lease8080(...holders: LeaseHolder[]): PortLease {
  return { node: 'worker-1', protocol: 'TCP', port: 8080, holders };
}

/** Lets background work (roll-backs) finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('ClusterReservations.hold', () => {
  it('takes a free port with a single create, writing the pod, its address and its expiry', async () => {
    const w = world();
    expect(await w.replica().hold(pinned('web-1'))).toEqual({ kind: 'taken' });
    expect(w.store.calls).toEqual(['create']);
    expect(w.store.leases.get(LEASE_8080)?.content).toEqual(lease8080(holder('web-1', { expiresAt: 1_000_000 + TTL_MS })));
  });

  it('refuses a pod whose port a twin holds, names the twin, and writes nothing', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('twin', { hostIP: '10.0.0.1', container: 'proxy', hostNetwork: false })));
    const outcome = await w.replica().hold(pinned('web-1'));
    const expected: HoldOutcome = {
      kind: 'refused',
      holders: [{ pod: ref('team-a/twin'), node: 'worker-1', hostNetwork: false, terminating: false, ports: [hostPort({ hostIP: '10.0.0.1', container: 'proxy' })] }],
    };
    expect(outcome).toEqual(expected);
    expect(w.store.holdersOf(LEASE_8080)).toEqual(['team-a/twin']);
  });

  it('shares a port number with a holder on another address, as the kernel allows', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('other', { hostIP: '10.0.0.1' })));
    expect(await w.replica().hold(pinned('web-1', [hostPort({ hostIP: '10.0.0.2' })]))).toEqual({ kind: 'taken' });
    expect(w.store.holdersOf(LEASE_8080)).toEqual(['team-a/other', 'team-a/web-1']);
  });

  it('refuses on an address that is the same after normalisation, or against a wildcard', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('v6', { hostIP: 'fd00::1' })));
    expect((await w.replica().hold(pinned('a', [hostPort({ hostIP: 'fd00:0:0:0:0:0:0:1' })]))).kind).toBe('refused');
    expect((await w.replica().hold(pinned('b', [hostPort({ hostIP: '::' })]))).kind).toBe('refused');
  });

  it('makes way for an expired holder and counts it', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('gone', { expiresAt: w.clock.now })));
    expect(await w.replica().hold(pinned('web-1'))).toEqual({ kind: 'taken' });
    expect(w.store.holdersOf(LEASE_8080)).toEqual(['team-a/web-1']);
    expect(w.recorder.ended).toEqual([['expired', 1]]);
  });

  it('still counts a holder whose pod the watch has shown while the index shows it: the decision may predate it', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('shown')));
    w.indexed.add('team-a/shown');
    const replica = w.replica();
    replica.podSeen(ref('team-a/shown'));
    expect(await replica.hold(pinned('web-1'))).toMatchObject({ kind: 'refused', holders: [{ pod: ref('team-a/shown') }] });
  });

  it("ignores a holder whose pod this replica's watch has shown and that is gone since", async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('shown')));
    const replica = w.replica();
    replica.podSeen(ref('team-a/shown'));
    expect(await replica.hold(pinned('web-1'))).toEqual({ kind: 'taken' });
    // Another replica has not seen it: for that one, both pods hold the port.
    expect(await w.replica().hold(pinned('web-2'))).toMatchObject({ kind: 'refused', holders: [{ pod: ref('team-a/shown') }, { pod: ref('team-a/web-1') }] });
  });

  it('replaces an earlier entry of a pod of the same name (a create that failed after admission)', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('web-1', { uid: 'uid-earlier' })));
    expect(await w.replica().hold(pinned('web-1'))).toEqual({ kind: 'taken' });
    expect(w.store.leases.get(LEASE_8080)?.content?.holders.map((h) => h.uid)).toEqual(['uid-web-1']);
  });

  it('reads again after a conflicting write and then takes the port', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('gone', { expiresAt: 0 })));
    w.store.fail('replace', { kind: 'conflict' });
    expect(await w.replica().hold(pinned('web-1'))).toEqual({ kind: 'taken' });
    expect(w.store.calls).toEqual(['create', 'get', 'replace', 'get', 'replace']);
    expect(w.recorder.requests).toEqual(w.store.calls.map((c) => (c === 'remove' ? 'delete' : c)));
  });

  it('gives back the ports it took when refused on a later one', async () => {
    const w = world();
    const lease9090 = leaseName('worker-1', 'TCP', 9090);
    w.store.put(lease9090, { node: 'worker-1', protocol: 'TCP', port: 9090, holders: [holder('twin')] });
    const outcome = await w.replica().hold(pinned('web-1', [hostPort({ port: 8080 }), hostPort({ port: 9090 })]));
    expect(outcome.kind).toBe('refused');
    await settle();
    expect([w.store.leases.has(LEASE_8080), w.store.holdersOf(lease9090)]).toEqual([false, ['team-a/twin']]);
    expect(w.recorder.ended).toEqual([['rolled-back', 1]]);
  });

  it('takes ports in the same order on every replica, so of two pods wanting the same two ports one gets both', async () => {
    const w = world();
    const ports = [hostPort({ port: 9090 }), hostPort({ port: 8080 })];
    const [first, second] = await Promise.all([w.replica().hold(pinned('a', ports)), w.replica().hold(pinned('b', [...ports].reverse()))]);
    const outcomes = [first, second];
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['refused', 'taken']);
    await settle();
    const winner = first.kind === 'taken' ? 'team-a/a' : 'team-a/b';
    expect([w.store.holdersOf(LEASE_8080), w.store.holdersOf(leaseName('worker-1', 'TCP', 9090))]).toEqual([[winner], [winner]]);
  });

  it('lets exactly one of fifty pods racing over three replicas in, and every other names it', async () => {
    const w = world();
    const [a, b, c] = [w.replica(), w.replica(), w.replica()];
    const replicaFor = (i: number): ClusterReservations => (i % 3 === 0 ? a : i % 3 === 1 ? b : c);
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => replicaFor(i).hold(pinned(`race-${i}`))));
    const taken = outcomes.flatMap((o, i) => (o.kind === 'taken' ? [`team-a/race-${i}`] : []));
    expect(taken).toHaveLength(1);
    const named = new Set(outcomes.flatMap((o) => (o.kind === 'refused' ? o.holders.map((h) => `${h.pod.namespace}/${h.pod.name}`) : [])));
    expect([...named]).toEqual(taken);
    expect(w.store.holdersOf(LEASE_8080)).toEqual(taken);
  });

  it('fails with the API error, taking nothing, when the API server answers with an error', async () => {
    const w = world();
    w.store.fail('create', { kind: 'throw', error: new ApiError(`POST leases (${LEASE_8080})`, 503, 'the server is shutting down') });
    expect(await w.replica().hold(pinned('web-1'))).toEqual({
      kind: 'failed',
      reason: `POST leases (${LEASE_8080}) failed with HTTP 503: the server is shutting down`,
    });
    expect(w.store.leases.size).toBe(0);
  });

  it('fails within its timeout when the API server does not answer, and gives back what it took', async () => {
    const w = world();
    w.store.fail('create', { kind: 'hang' });
    const outcome = await w.replica(50).hold(pinned('web-1', [hostPort({ port: 80 }), hostPort({ port: 8080 })]));
    expect(outcome).toEqual({ kind: 'failed', reason: 'no answer within 50 ms' });
    await settle();
    expect(w.store.leases.size).toBe(0);
  });
});

describe('ClusterReservations.check', () => {
  it('finds a twin as hold would, and writes nothing', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('twin'), holder('expired', { expiresAt: 0 })));
    const before = w.store.leases.get(LEASE_8080)?.resourceVersion;
    expect(await w.replica().check(pinned('dry'))).toMatchObject({ kind: 'refused', holders: [{ pod: ref('team-a/twin') }] });
    expect([w.store.calls, w.store.leases.get(LEASE_8080)?.resourceVersion]).toEqual([['get'], before]);
  });

  it('finds nothing in the way of a free port, and creates no Lease', async () => {
    const w = world();
    expect(await w.replica().check(pinned('dry'))).toEqual({ kind: 'free' });
    expect(w.store.leases.size).toBe(0);
  });

  it('fails as hold does when the API server does not answer', async () => {
    const w = world();
    w.store.fail('get', { kind: 'hang' });
    expect(await w.replica(50).check(pinned('dry'))).toEqual({ kind: 'failed', reason: 'no answer within 50 ms' });
  });
});

describe('ClusterReservations.release', () => {
  it('gives back every port a pod holds, leaving the other holders', async () => {
    const w = world();
    const replica = w.replica();
    w.store.put(LEASE_8080, lease8080(holder('other', { hostIP: '10.0.0.1' })));
    const web = pinned('web-1', [hostPort({ hostIP: '10.0.0.2' }), hostPort({ port: 9090 })]);
    expect(await replica.hold(web)).toEqual({ kind: 'taken' });
    replica.release(web);
    await settle();
    expect([w.store.holdersOf(LEASE_8080), w.store.leases.has(leaseName('worker-1', 'TCP', 9090))]).toEqual([['team-a/other'], false]);
    expect(w.recorder.ended).toEqual([['rolled-back', 1], ['rolled-back', 1]]);
  });
});

describe('ClusterReservations.sweep', () => {
  it('removes expired holders, and holders this replica saw longer ago than the grace; deletes emptied Leases', async () => {
    const w = world();
    const replica = w.replica();
    const now = w.clock.now;
    w.store.put(LEASE_8080, lease8080(holder('expired', { expiresAt: now - 1 }), holder('pending')));
    w.store.put('hpg.tcp-9090.worker-1', { node: 'worker-1', protocol: 'TCP', port: 9090, holders: [holder('shown-early')] });
    w.store.put('hpg.tcp-9091.worker-1', { node: 'worker-1', protocol: 'TCP', port: 9091, holders: [holder('shown-late')] });
    replica.podSeen(ref('team-a/shown-early'));
    w.clock.now += 4_000;
    replica.podSeen(ref('team-a/shown-late'));
    w.clock.now += 1_000;
    await replica.sweep();
    expect(Object.fromEntries([...w.store.leases.keys()].map((name) => [name, w.store.holdersOf(name)]))).toEqual({
      [LEASE_8080]: ['team-a/pending'],
      'hpg.tcp-9091.worker-1': ['team-a/shown-late'],
    });
    expect(w.recorder.ended.sort()).toEqual([['expired', 1], ['seen', 1]]);
    expect(w.recorder.swept).toEqual([3]);
  });

  it('deletes a reservation Lease whose annotation does not decode', async () => {
    const w = world();
    w.store.put(LEASE_8080, undefined);
    await w.replica().sweep();
    expect(w.store.leases.size).toBe(0);
  });

  it('leaves a Lease someone wrote meanwhile to the next sweep', async () => {
    const w = world();
    w.store.put(LEASE_8080, lease8080(holder('expired', { expiresAt: 0 })));
    w.store.fail('remove', { kind: 'conflict' });
    const replica = w.replica();
    await replica.sweep();
    expect(w.store.leases.size).toBe(1);
    await replica.sweep();
    expect(w.store.leases.size).toBe(0);
  });

  it('logs a failed sweep and carries on', async () => {
    const w = world();
    w.store.fail('list', { kind: 'throw', error: new ApiError('GET leases', 403, 'forbidden') });
    const replica = w.replica();
    await replica.sweep();
    expect(w.recorder.logs).toEqual(['sweeping reservation Leases failed; the next sweep tries again']);
    await replica.sweep();
    expect(w.recorder.swept).toEqual([0]);
  });

  it('runs one sweep at a time', async () => {
    const w = world();
    const replica = w.replica();
    await Promise.all([replica.sweep(), replica.sweep(), replica.sweep()]);
    expect(w.store.calls).toEqual(['list']);
  });
});
