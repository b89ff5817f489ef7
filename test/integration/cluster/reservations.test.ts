/**
 * Reservations every replica sees, against a real kube-apiserver (hack/cluster-up.sh):
 * the Lease store's create / replace / delete keep their promises under the API server's
 * own concurrency control, several ClusterReservations racing for one port let exactly
 * one pod in, and every Lease is gone once its holders expired and were swept. A server
 * that accepts connections and never answers stands in for a hung API server: the
 * reservation fails within its bound.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { CoordinationV1Api as CoordinationApi, KubeConfig as KubeConfigClass } from '@kubernetes/client-node';
import net from 'node:net';

import type { HoldOutcome } from '../../../src/admission/hold.js';
import type { EndReason, ReservationEvents } from '../../../src/cluster/cluster-reservations.js';
import { ClusterReservations } from '../../../src/cluster/cluster-reservations.js';
import { kubeHttp } from '../../../src/cluster/kube-http.js';
import type { CallLimits, PortLease, ReservationLeaseStore } from '../../../src/cluster/lease-store.js';
import { kubeReservationStore, leaseName, RESERVATION_ANNOTATION } from '../../../src/cluster/lease-store.js';
import type { Occupant } from '../../../src/engine/types.js';
import { coreApi, createNamespace, removed, testKubeConfig } from './admin.js';

const TEST_TIMEOUT_MS = 60_000;
const namespace = `hpg-it-leases-${Date.now().toString(36)}`;
const TTL_MS = 30_000;

function limits(): CallLimits {
  return { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000 };
}

function pinned(name: string, port: number, node = 'worker-1'): Occupant {
  return {
    pod: { namespace: 'team-a', name, uid: `uid-${name}-${Date.now()}` },
    node,
    hostNetwork: true,
    terminating: false,
    ports: [{ protocol: 'TCP', hostIP: '', port, container: 'web' }],
  };
}

function content(port: number, ...names: string[]): PortLease {
  return {
    node: 'worker-1',
    protocol: 'TCP',
    port,
    holders: names.map((name) => ({ namespace: 'team-a', name, uid: `uid-${name}`, hostNetwork: true, container: 'web', hostIP: '', expiresAt: Date.now() + TTL_MS })),
  };
}

/** Counts what the reservations report. */
function recorder(): { ended: [EndReason, number][]; requests: string[]; events: ReservationEvents } {
  const ended: [EndReason, number][] = [];
  const requests: string[] = [];
  return {
    ended,
    requests,
    events: {
      onEnded: (reason, count) => ended.push([reason, count]),
      onSwept: () => undefined,
      onRequest: (verb) => requests.push(verb),
    },
  };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('reservation Leases on a real API server', () => {
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let coordination: CoordinationV1Api;
  let store: ReservationLeaseStore;

  beforeAll(async () => {
    kubeConfig = testKubeConfig();
    core = coreApi(kubeConfig);
    coordination = kubeConfig.makeApiClient(CoordinationApi);
    await createNamespace(core, namespace);
    store = kubeReservationStore(kubeHttp(kubeConfig), namespace, TTL_MS / 1000);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await removed(() => core.deleteNamespace({ name: namespace }));
  }, TEST_TIMEOUT_MS);

  it('creates a Lease once, replaces and deletes it only at the resourceVersion it was read at', async () => {
    const name = leaseName('worker-1', 'TCP', 18001);
    const created = await store.create(name, content(18001, 'first'), limits());
    if (created === 'exists') throw new Error('the Lease already existed');
    expect(await store.create(name, content(18001, 'second'), limits())).toBe('exists');
    const replaced = await store.replace(created, content(18001, 'first', 'third'), limits());
    if (typeof replaced === 'string') throw new Error(`replace: ${replaced}`);
    expect(replaced.content?.holders.map((h) => h.name)).toEqual(['first', 'third']);
    // Both were read at the first resourceVersion: the API server refuses the stale one.
    expect(await store.replace(created, content(18001, 'stale'), limits())).toBe('conflict');
    expect(await store.remove(created, limits())).toBe('conflict');
    expect((await store.get(name, limits()))?.content?.holders.map((h) => h.name)).toEqual(['first', 'third']);
    expect(await store.remove(replaced, limits())).toBe('removed');
    expect(await store.get(name, limits())).toBeUndefined();
    expect(await store.remove(replaced, limits())).toBe('gone');
  }, TEST_TIMEOUT_MS);

  it('writes a Lease that kubectl users can read: holder, TTL, label and the JSON annotation', async () => {
    const name = leaseName('worker-1', 'TCP', 18002);
    await store.create(name, content(18002, 'web-1'), limits());
    const lease = await coordination.readNamespacedLease({ name, namespace });
    expect({
      holder: lease.spec?.holderIdentity,
      seconds: lease.spec?.leaseDurationSeconds,
      labels: lease.metadata?.labels,
      annotation: JSON.parse(lease.metadata?.annotations?.[RESERVATION_ANNOTATION] ?? '{}') as unknown,
    }).toEqual({
      holder: 'team-a/web-1',
      seconds: 30,
      labels: { 'hostport-guard.io/reservation': 'port', 'app.kubernetes.io/managed-by': 'hostport-guard' },
      annotation: { ...content(18002, 'web-1'), holders: [expect.objectContaining({ name: 'web-1', container: 'web', hostIP: '' })] },
    });
    // A MicroTime, as Lease readers (kubectl, client-go) expect it.
    expect(String(lease.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect((await store.list(limits())).map((l) => l.name)).toContain(name);
  }, TEST_TIMEOUT_MS);

  it('lets exactly one of thirty pods racing over three replicas in, each other naming it, and none of them twice', async () => {
    const events = recorder();
    const replicas = [0, 1, 2].map(() => new ClusterReservations(
      { store: kubeReservationStore(kubeHttp(kubeConfig), namespace, TTL_MS / 1000), clock: () => Date.now(), events: events.events, logger: quiet, indexed: () => false },
      { ttlMs: TTL_MS, timeoutMs: 20_000 },
    ));
    const racers = Array.from({ length: 30 }, (_, i) => pinned(`race-${i}`, 18003));
    const outcomes: HoldOutcome[] = await Promise.all(racers.map((pod, i) => replicas[i % 3]?.hold(pod) ?? Promise.reject(new Error('no replica'))));
    const winners = racers.filter((_, i) => outcomes[i]?.kind === 'taken').map((p) => p.pod.name);
    expect(winners).toHaveLength(1);
    const named = outcomes.flatMap((o) => (o.kind === 'refused' ? o.holders.map((h) => h.pod.name) : [o.kind]));
    expect(named.sort()).toEqual([...Array.from({ length: 29 }, () => winners[0]), 'taken'].sort());
    const lease = await store.get(leaseName('worker-1', 'TCP', 18003), limits());
    expect(lease?.content?.holders.map((h) => h.name)).toEqual(winners);
  }, TEST_TIMEOUT_MS);

  it('removes every Lease once its holders expired, after hundreds of reservations', async () => {
    let now = Date.now();
    const events = recorder();
    const replica = new ClusterReservations(
      { store, clock: () => now, events: events.events, logger: quiet, indexed: () => false },
      { ttlMs: TTL_MS, timeoutMs: 20_000 },
    );
    const outcomes = [];
    for (let i = 0; i < 200; i += 20) {
      outcomes.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => replica.hold(pinned(`many-${i + k}`, 20_000 + i + k))))));
    }
    expect(outcomes.filter((o) => o.kind === 'taken')).toHaveLength(200);
    // A free port costs one call: the create.
    expect(events.requests).toEqual(Array.from({ length: 200 }, () => 'create'));
    expect((await store.list(limits())).length).toBeGreaterThanOrEqual(200);
    now += TTL_MS + 1;
    await replica.sweep();
    expect(await store.list(limits())).toEqual([]);
    expect(events.ended.reduce((sum, [reason, n]) => sum + (reason === 'expired' ? n : 0), 0)).toBeGreaterThanOrEqual(200);
  }, 180_000);

  it('fails with the API server\'s words when the namespace of the Leases does not exist', async () => {
    const missing = new ClusterReservations(
      { store: kubeReservationStore(kubeHttp(kubeConfig), `${namespace}-missing`, 30), clock: () => Date.now(), events: recorder().events, logger: quiet, indexed: () => false },
      { ttlMs: TTL_MS, timeoutMs: 5_000 },
    );
    const outcome = await missing.hold(pinned('lost', 18004));
    expect(outcome).toEqual({ kind: 'failed', reason: expect.stringMatching(/failed with HTTP 404: namespaces "hpg-it-leases-[a-z0-9]+-missing" not found$/) });
  }, TEST_TIMEOUT_MS);
});

describe('reservations against an API server that never answers', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails within its bound, taking nothing', async () => {
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const kubeConfig = new KubeConfigClass();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'silent', server: `https://127.0.0.1:${address.port}`, skipTLSVerify: true }],
      users: [{ name: 'nobody', token: 'none' }],
      contexts: [{ name: 'silent', cluster: 'silent', user: 'nobody' }],
      currentContext: 'silent',
    });
    const reservations = new ClusterReservations(
      { store: kubeReservationStore(kubeHttp(kubeConfig), 'hostport-guard', 30), clock: () => Date.now(), events: recorder().events, logger: quiet, indexed: () => false },
      { ttlMs: TTL_MS, timeoutMs: 300 },
    );
    expect(await reservations.hold(pinned('waiting', 18005))).toEqual({ kind: 'failed', reason: 'no answer within 300 ms' });
  }, TEST_TIMEOUT_MS);
});
