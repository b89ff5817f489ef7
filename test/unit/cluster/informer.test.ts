import { afterEach, describe, expect, it } from '@jest/globals';

import type { InformerOptions } from '../../../src/cluster/informer.js';
import { ClusterInformer, InformerStoppedError } from '../../../src/cluster/informer.js';
import { ApiError } from '../../../src/cluster/list-watch.js';
import type { InformerEvents, ResourceName, RestartReason } from '../../../src/cluster/informer-events.js';
import type { Logger } from '../../../src/cluster/logger.js';
import type { NamespaceEntry, NodeEntry } from '../../../src/cluster/pod-index.js';
import { PodIndex, podKey } from '../../../src/cluster/pod-index.js';
import type { PriorityClassInfo } from '../../../src/engine/priority.js';
import type { PodLike } from '../../../src/engine/types.js';
import { pod } from '../../fixtures/pods.js';
import { FakeListWatch, page } from './fake-list-watch.js';
import { FakeTimers, settle } from './fake-timers.js';

const WATCHDOG_MS = 300_000;

/** With random() = 0.5 the first backoff is floor(0.5 * 200) = 100 ms, the next 200 ms, ... */
const HALF = (): number => 0.5;

function named(name: string, overrides: { phase?: string; node?: string } = {}): PodLike {
  return pod({
    metadata: { name, uid: `uid-${name}` },
    spec: { nodeName: overrides.node ?? 'worker-1' },
    status: { phase: overrides.phase ?? 'Running' },
  });
}

/** A log line as level, message and the reason field, when there is one. */
type LogLine = [string, string, unknown];

function recordingLogger(lines: LogLine[]): Logger {
  const line = (level: string) => (fields: object, message: string): void => {
    lines.push([level, message, 'reason' in fields ? fields.reason : undefined]);
  };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

interface Harness {
  readonly index: PodIndex;
  readonly informer: ClusterInformer;
  readonly timers: FakeTimers;
  readonly pods: FakeListWatch<PodLike>;
  readonly nodes: FakeListWatch<NodeEntry>;
  readonly namespaces: FakeListWatch<NamespaceEntry>;
  readonly priorityClasses: FakeListWatch<PriorityClassInfo>;
  readonly restarts: [ResourceName, RestartReason][];
  readonly listed: [ResourceName, number][];
  readonly rejected: [ResourceName, number][];
  readonly logs: LogLine[];
}

const running: Harness[] = [];

function harness(options: Partial<InformerOptions> = {}): Harness {
  const index = new PodIndex();
  const timers = new FakeTimers();
  const pods = new FakeListWatch<PodLike>();
  const nodes = new FakeListWatch<NodeEntry>();
  const namespaces = new FakeListWatch<NamespaceEntry>();
  const priorityClasses = new FakeListWatch<PriorityClassInfo>();
  const restarts: [ResourceName, RestartReason][] = [];
  const listed: [ResourceName, number][] = [];
  const rejected: [ResourceName, number][] = [];
  const logs: LogLine[] = [];
  const events: InformerEvents = {
    onRestart: (resource, reason) => restarts.push([resource, reason]),
    onListed: (resource, items) => listed.push([resource, items]),
    onRejected: (resource, count) => rejected.push([resource, count]),
  };
  const informer = new ClusterInformer(
    { index, sources: { pods, nodes, namespaces, priorityClasses }, logger: recordingLogger(logs), events, timers, random: HALF },
    // Pods list in pages here, the way every API server serves; the streaming list has its own tests.
    { watchdogMs: WATCHDOG_MS, streamingList: false, ...options },
  );
  const h = { index, informer, timers, pods, nodes, namespaces, priorityClasses, restarts, listed, rejected, logs };
  running.push(h);
  return h;
}

/** Starts the informer with empty nodes and namespaces and `items` as the pods. */
async function synced(items: readonly PodLike[], options: Partial<InformerOptions> = {}): Promise<Harness> {
  const h = harness(options);
  h.pods.respond(page(items, '100'));
  h.nodes.respond(page([{ name: 'worker-1' }], '100'));
  h.namespaces.respond(page([], '100'));
  h.priorityClasses.respond(page([], '100'));
  h.informer.start();
  await settle();
  return h;
}

function podKeys(index: PodIndex): string[] {
  return index
    .allOccupants()
    .map((o) => podKey(o.pod))
    .sort();
}

afterEach(async () => {
  for (const h of running.splice(0)) await h.informer.stop();
});

describe('ClusterInformer sync', () => {
  it('is ready only once pods, nodes, namespaces and PriorityClasses have all been listed', async () => {
    const h = harness();
    h.nodes.respond(page([{ name: 'worker-1' }], '10'));
    h.namespaces.respond(page([{ name: 'team-a', mode: 'warn' }], '10'));
    h.informer.start();
    await settle();
    h.pods.respond(page([named('a')], '10'));
    await settle();
    expect(h.informer.isSynced()).toBe(false);
    h.priorityClasses.respond(page([{ name: 'critical', value: 1000, globalDefault: false }], '10'));
    await settle();
    expect(h.informer.isSynced()).toBe(true);
    await expect(h.informer.whenSynced()).resolves.toBeUndefined();
    expect(h.index.size()).toEqual({ pods: 1, nodes: 1, namespaces: 1, priorityClasses: 1 });
    expect([h.index.modeLabelOf('team-a'), h.index.priorityClass('critical')?.value]).toEqual(['warn', 1000]);
  });

  it('follows continue tokens, then watches from the last page’s resourceVersion', async () => {
    const h = harness({ pageSize: 2 });
    h.pods.respond(page([named('a'), named('b')], '50', 'token-1'), page([named('c')], '50'));
    h.nodes.respond(page([], '50'));
    h.namespaces.respond(page([], '50'));
    h.priorityClasses.respond(page([], '50'));
    h.informer.start();
    await settle();
    expect(h.pods.listCalls).toEqual([{ limit: 2 }, { limit: 2, continueToken: 'token-1' }]);
    expect(podKeys(h.index)).toEqual(['team-a/a', 'team-a/b', 'team-a/c']);
    expect(h.pods.lastWatch.request.resourceVersion).toBe('50');
    expect(h.listed).toContainEqual(['pods', 3]);
  });

  it('lists again in one piece when the continue token expires (410) half way', async () => {
    const h = harness({ pageSize: 1 });
    const gone = new ApiError('GET /api/v1/pods', 410, 'The provided continue parameter is too old');
    h.pods.respond(page([named('a')], '50', 'token-1'), gone, page([named('b'), named('c')], '70'));
    h.nodes.respond(page([], '50'));
    h.namespaces.respond(page([], '50'));
    h.priorityClasses.respond(page([], '50'));
    h.informer.start();
    await settle();
    expect(h.pods.listCalls).toEqual([{ limit: 1 }, { limit: 1, continueToken: 'token-1' }, {}]);
    expect(podKeys(h.index)).toEqual(['team-a/b', 'team-a/c']);
    expect(h.pods.lastWatch.request.resourceVersion).toBe('70');
  });

  it('indexes each page as it arrives, and drops a pod deleted meanwhile once the re-list is complete', async () => {
    const h = await synced([named('a'), named('b'), named('gone')], { pageSize: 2 });
    h.pods.lastWatch.emit({ type: 'ERROR', code: 410, message: 'too old resource version' });
    await settle();
    h.pods.respond(page([named('a', { node: 'worker-2' }), named('b')], '300', 'token-1'));
    await h.timers.advance(100);
    // The first page is indexed before the second is asked for; the pod not shown yet stays.
    expect(h.pods.listCalls).toEqual([{ limit: 2 }, { limit: 2 }, { limit: 2, continueToken: 'token-1' }]);
    expect(h.index.occupantsOn('worker-2').map((o) => o.pod.name)).toEqual(['a']);
    expect(podKeys(h.index)).toEqual(['team-a/a', 'team-a/b', 'team-a/gone']);
    h.pods.respond(page([named('c')], '300'));
    await settle();
    expect(podKeys(h.index)).toEqual(['team-a/a', 'team-a/b', 'team-a/c']);
    expect(h.pods.lastWatch.request.resourceVersion).toBe('300');
    expect(h.listed.filter(([r]) => r === 'pods')).toEqual([['pods', 3], ['pods', 3]]);
  });

  it('retries a failed list after a backoff, without waiting less than the backoff', async () => {
    const h = harness();
    h.pods.respond(new ApiError('GET /api/v1/pods', 503, 'unavailable'));
    h.nodes.respond(page([], '1'));
    h.namespaces.respond(page([], '1'));
    h.priorityClasses.respond(page([], '1'));
    h.informer.start();
    await settle();
    expect(h.restarts).toEqual([['pods', 'list-failed']]);
    h.pods.respond(page([named('a')], '2'));
    await h.timers.advance(99);
    expect(h.pods.listCalls).toHaveLength(1);
    await h.timers.advance(1);
    expect(h.pods.listCalls).toHaveLength(2);
    expect(h.informer.isSynced()).toBe(true);
  });

  it('doubles the backoff after each consecutive failure', async () => {
    const h = harness();
    const failure = new ApiError('GET /api/v1/pods', undefined, 'connection refused');
    h.pods.respond(failure, failure, failure);
    h.informer.start();
    await settle();
    await h.timers.advance(100);
    expect(h.pods.listCalls).toHaveLength(2);
    await h.timers.advance(199);
    expect(h.pods.listCalls).toHaveLength(2);
    await h.timers.advance(1);
    expect(h.pods.listCalls).toHaveLength(3);
    await h.timers.advance(400);
    expect(h.pods.listCalls).toHaveLength(4);
  });
});

/**
 * Starts the informer streaming its pod list, with one node and no namespaces or
 * PriorityClasses; `pods` are queued for a paginated list, should the informer ask for one.
 */
async function streaming(...pods: Parameters<FakeListWatch<PodLike>['respond']>): Promise<Harness> {
  const h = harness({ streamingList: true });
  h.nodes.respond(page([{ name: 'worker-1' }], '100'));
  h.namespaces.respond(page([], '100'));
  h.priorityClasses.respond(page([], '100'));
  h.pods.respond(...pods);
  h.informer.start();
  await settle();
  return h;
}

/** Starts the informer streaming its pod list, and sends `items` as the initial events, ended at resourceVersion 100. */
async function streamed(items: readonly PodLike[]): Promise<Harness> {
  const h = await streaming();
  for (const item of items) h.pods.lastWatch.emit({ type: 'ADDED', object: item, resourceVersion: '90' });
  h.pods.lastWatch.emit({ type: 'BOOKMARK', resourceVersion: '100', initialEventsEnd: true });
  await settle();
  return h;
}

describe('ClusterInformer streaming list', () => {
  it('lists pods as the initial events of a watch, synced at the bookmark that ends them, and goes on watching', async () => {
    const h = await streaming();
    const watch = h.pods.lastWatch;
    expect(watch.request.initialEvents).toBe(true);
    watch.emit({ type: 'ADDED', object: named('a'), resourceVersion: '40' });
    watch.emit({ type: 'ADDED', object: named('b'), resourceVersion: '90' });
    watch.emit({ type: 'BOOKMARK', resourceVersion: '95' });
    await settle();
    expect(podKeys(h.index)).toEqual(['team-a/a', 'team-a/b']);
    expect(h.informer.isSynced()).toBe(false);
    watch.emit({ type: 'BOOKMARK', resourceVersion: '100', initialEventsEnd: true });
    await settle();
    expect(h.informer.isSynced()).toBe(true);
    expect(h.listed).toContainEqual(['pods', 2]);
    watch.emit({ type: 'ADDED', object: named('c'), resourceVersion: '101' });
    watch.emit({ type: 'DELETED', object: named('a'), resourceVersion: '102' });
    expect(podKeys(h.index)).toEqual(['team-a/b', 'team-a/c']);
    expect(h.pods.listCalls).toEqual([]);
    expect(h.pods.watches).toHaveLength(1);
  });

  it('resumes with a plain watch from the last resourceVersion when the server ends the stream after the list', async () => {
    const h = await streamed([named('a')]);
    h.pods.lastWatch.emit({ type: 'BOOKMARK', resourceVersion: '150' });
    h.pods.lastWatch.end();
    await settle();
    expect(h.pods.watches).toHaveLength(2);
    expect(h.pods.lastWatch.request.resourceVersion).toBe('150');
    expect(h.pods.lastWatch.request.initialEvents).toBeUndefined();
    expect(podKeys(h.index)).toEqual(['team-a/a']);
  });

  it('re-lists by streaming after 410, and drops a pod deleted meanwhile once the initial events have ended', async () => {
    const h = await streamed([named('a'), named('gone')]);
    h.pods.lastWatch.emit({ type: 'ERROR', code: 410, message: 'too old resource version' });
    await h.timers.advance(100);
    const again = h.pods.lastWatch;
    expect(again.request.initialEvents).toBe(true);
    again.emit({ type: 'ADDED', object: named('a'), resourceVersion: '290' });
    again.emit({ type: 'ADDED', object: named('b'), resourceVersion: '295' });
    expect(podKeys(h.index)).toEqual(['team-a/a', 'team-a/b', 'team-a/gone']);
    again.emit({ type: 'BOOKMARK', resourceVersion: '300', initialEventsEnd: true });
    expect(podKeys(h.index)).toEqual(['team-a/a', 'team-a/b']);
    expect(h.listed.filter(([r]) => r === 'pods')).toEqual([['pods', 2], ['pods', 2]]);
  });

  it('lists in pages from then on, without a backoff, when the API server refuses a streaming list', async () => {
    const h = await streaming(page([named('a')], '100'));
    h.pods.lastWatch.end(new ApiError('GET /api/v1/pods', 422, 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
    await settle();
    expect(h.pods.listCalls).toEqual([{ limit: 250 }]);
    expect(h.informer.isSynced()).toBe(true);
    expect(h.restarts).toEqual([]);
    expect(h.logs).toContainEqual(['info', 'the API server does not serve streaming lists; listing in pages', undefined]);
    // A later re-list does not try again.
    h.pods.lastWatch.emit({ type: 'ERROR', code: 410, message: 'too old resource version' });
    h.pods.respond(page([named('b')], '200'));
    await h.timers.advance(100);
    expect(h.pods.listCalls).toHaveLength(2);
    expect(h.pods.watches.filter((w) => w.request.initialEvents === true)).toHaveLength(1);
    expect(podKeys(h.index)).toEqual(['team-a/b']);
  });

  it('lists in pages once after a streaming list broke off, then streams again', async () => {
    const h = await streaming();
    h.pods.lastWatch.emit({ type: 'ADDED', object: named('a'), resourceVersion: '90' });
    h.pods.lastWatch.end();
    await settle();
    expect(h.restarts).toEqual([['pods', 'list-failed']]);
    expect(h.informer.isSynced()).toBe(false);
    h.pods.respond(page([named('b')], '100'));
    await h.timers.advance(100);
    expect(h.pods.listCalls).toHaveLength(1);
    expect(h.informer.isSynced()).toBe(true);
    // The paginated list shows what exists: what the broken stream had added is gone.
    expect(podKeys(h.index)).toEqual(['team-a/b']);
    h.pods.lastWatch.emit({ type: 'ERROR', code: 410, message: 'too old resource version' });
    // The second failure in a row: the backoff has doubled.
    await h.timers.advance(200);
    expect(h.pods.lastWatch.request.initialEvents).toBe(true);
  });
});

describe('ClusterInformer watch events', () => {
  it('adds, updates and deletes pods as events arrive', async () => {
    const h = await synced([named('a')]);
    const watch = h.pods.lastWatch;
    watch.emit({ type: 'ADDED', object: named('b'), resourceVersion: '101' });
    expect(podKeys(h.index)).toEqual(['team-a/a', 'team-a/b']);
    watch.emit({ type: 'MODIFIED', object: named('a', { phase: 'Succeeded' }), resourceVersion: '102' });
    expect(podKeys(h.index)).toEqual(['team-a/b']);
    watch.emit({ type: 'DELETED', object: named('b'), resourceVersion: '103' });
    expect(podKeys(h.index)).toEqual([]);
  });

  it('treats the DELETED event a finished pod gets from the field-selected watch as a removal', async () => {
    const h = await synced([named('job')]);
    // The pod's last state that still matched the selector: Running.
    h.pods.lastWatch.emit({ type: 'DELETED', object: named('job'), resourceVersion: '101' });
    expect(h.index.size().pods).toBe(0);
  });

  it('tracks nodes and namespace labels', async () => {
    const h = await synced([]);
    h.nodes.lastWatch.emit({ type: 'ADDED', object: { name: 'worker-9', labels: { 'kubernetes.io/hostname': 'w9' } }, resourceVersion: '101' });
    h.namespaces.lastWatch.emit({ type: 'ADDED', object: { name: 'team-a', mode: 'audit' }, resourceVersion: '101' });
    expect(h.index.nodeForHostname('w9')).toBe('worker-9');
    expect(h.index.modeLabelOf('team-a')).toBe('audit');
    h.nodes.lastWatch.emit({ type: 'DELETED', object: { name: 'worker-9', labels: { 'kubernetes.io/hostname': 'w9' } }, resourceVersion: '102' });
    h.namespaces.lastWatch.emit({ type: 'DELETED', object: { name: 'team-a', mode: 'audit' }, resourceVersion: '102' });
    expect(h.index.nodeForHostname('w9')).toBeUndefined();
    expect(h.index.modeLabelOf('team-a')).toBeUndefined();
  });

  it('tracks PriorityClasses and the global default', async () => {
    const h = await synced([]);
    const fallback = { name: 'fallback', value: 100, globalDefault: true };
    h.priorityClasses.lastWatch.emit({ type: 'ADDED', object: fallback, resourceVersion: '101' });
    expect(h.index.defaultPriorityClass()).toEqual(fallback);
    h.priorityClasses.lastWatch.emit({ type: 'MODIFIED', object: { ...fallback, value: 200 }, resourceVersion: '102' });
    expect(h.index.priorityClass('fallback')?.value).toBe(200);
    h.priorityClasses.lastWatch.emit({ type: 'DELETED', object: fallback, resourceVersion: '103' });
    expect([h.index.priorityClass('fallback'), h.index.defaultPriorityClass()]).toEqual([undefined, undefined]);
  });

  it('counts objects that did not decode and keeps watching', async () => {
    const h = await synced([]);
    h.pods.lastWatch.emit({ type: 'REJECTED', rejected: { name: 'team-a/odd', errors: ['spec must be an object'] } });
    expect(h.rejected).toEqual([['pods', 1]]);
    expect(h.pods.lastWatch.open).toBe(true);
  });

  it('asks for a server-side timeout within the configured range', async () => {
    const h = await synced([], { watchTimeoutSeconds: { min: 100, max: 200 } });
    // random() = 0.5: 100 + floor(0.5 * 101)
    expect(h.pods.lastWatch.request.timeoutSeconds).toBe(150);
  });
});

describe('ClusterInformer restarts', () => {
  const gone: readonly { readonly name: string; readonly end: (h: Harness) => void }[] = [
    {
      name: 'an ERROR event with code 410',
      end: (h) => {
        h.pods.lastWatch.emit({ type: 'ERROR', code: 410, message: 'too old resource version: 100 (200)' });
      },
    },
    {
      name: 'an HTTP 410 answer to the watch',
      end: (h) => {
        h.pods.lastWatch.end(new ApiError('GET /api/v1/pods', 410, 'Gone'));
      },
    },
  ];
  for (const { name, end } of gone) {
    it(`re-lists after ${name}, and a pod deleted meanwhile does not linger`, async () => {
      const h = await synced([named('a'), named('b')]);
      const first = h.pods.lastWatch;
      end(h);
      await settle();
      expect(first.open).toBe(false);
      expect(h.restarts).toEqual([['pods', 'expired']]);
      h.pods.respond(page([named('a')], '300'));
      await h.timers.advance(99);
      expect(h.pods.listCalls).toHaveLength(1);
      await h.timers.advance(1);
      expect(h.pods.listCalls).toHaveLength(2);
      expect(podKeys(h.index)).toEqual(['team-a/a']);
      expect(h.pods.lastWatch.request.resourceVersion).toBe('300');
    });
  }

  it('logs each restart once, an expected 410 at info and a broken watch at warn', async () => {
    const h = await synced([named('a')]);
    h.logs.length = 0;
    h.pods.lastWatch.emit({ type: 'ERROR', code: 410, message: 'too old resource version: 100 (200)' });
    await settle();
    h.pods.respond(page([named('a')], '300'));
    await h.timers.advance(100);
    h.pods.lastWatch.end(new ApiError('GET /api/v1/pods', undefined, 'socket hang up'));
    await settle();
    expect(h.logs).toEqual([
      ['info', 'watch expired; re-listing', 'expired'],
      ['warn', 'watch restarting', 'error'],
    ]);
  });

  it('re-lists after the watch connection breaks', async () => {
    const h = await synced([named('a')]);
    h.pods.lastWatch.end(new ApiError('GET /api/v1/pods', undefined, 'socket hang up'));
    await settle();
    expect(h.restarts).toEqual([['pods', 'error']]);
    h.pods.respond(page([], '200'));
    await h.timers.advance(100);
    expect(h.pods.listCalls).toHaveLength(2);
    expect(h.index.size().pods).toBe(0);
  });

  it('resumes from the last event’s resourceVersion, without re-listing, when the server ends a healthy watch', async () => {
    const h = await synced([]);
    h.pods.lastWatch.emit({ type: 'ADDED', object: named('a'), resourceVersion: '150' });
    h.pods.lastWatch.emit({ type: 'BOOKMARK', resourceVersion: '180' });
    h.pods.lastWatch.end();
    await settle();
    expect(h.pods.watches).toHaveLength(2);
    expect(h.pods.lastWatch.request.resourceVersion).toBe('180');
    expect(h.pods.listCalls).toHaveLength(1);
    expect(h.restarts).toEqual([]);
  });

  it('resumes a quiet watch the server ends at its timeout, though nothing was sent', async () => {
    const h = await synced([]);
    await h.timers.advance(200_000);
    h.pods.lastWatch.end();
    await settle();
    expect(h.pods.watches).toHaveLength(2);
    expect(h.pods.lastWatch.request.resourceVersion).toBe('100');
    expect(h.pods.listCalls).toHaveLength(1);
    expect(h.restarts).toEqual([]);
  });

  it('backs off, then resumes from the same point, when the server ends a watch within a second without sending anything', async () => {
    const h = await synced([]);
    h.pods.lastWatch.end();
    await settle();
    expect(h.restarts).toEqual([['pods', 'closed-early']]);
    await h.timers.advance(100);
    expect(h.pods.watches).toHaveLength(2);
    expect(h.pods.lastWatch.request.resourceVersion).toBe('100');
    expect(h.pods.listCalls).toHaveLength(1);
  });

  it('re-lists when the watch stays silent for the watchdog period', async () => {
    const h = await synced([named('a')]);
    const first = h.pods.lastWatch;
    await h.timers.advance(WATCHDOG_MS - 1);
    expect(first.open).toBe(true);
    await h.timers.advance(1);
    expect(first.open).toBe(false);
    expect(h.restarts).toContainEqual(['pods', 'stale']);
    h.pods.respond(page([], '500'));
    await h.timers.advance(100);
    expect(h.pods.listCalls).toHaveLength(2);
    expect(h.index.size().pods).toBe(0);
  });

  it('keeps a watch that receives bookmarks however long it lives', async () => {
    const h = await synced([]);
    const watch = h.pods.lastWatch;
    for (let minute = 1; minute <= 20; minute += 1) {
      await h.timers.advance(60_000);
      watch.emit({ type: 'BOOKMARK', resourceVersion: String(100 + minute) });
    }
    expect(watch.open).toBe(true);
    expect(h.restarts.filter(([resource]) => resource === 'pods')).toEqual([]);
  });

  it('resets the backoff once a watch works again', async () => {
    const h = await synced([]);
    const broken = new ApiError('GET /api/v1/pods', undefined, 'reset');
    h.pods.lastWatch.end(broken);
    h.pods.respond(page([], '200'));
    await h.timers.advance(100);
    h.pods.lastWatch.end(broken);
    h.pods.respond(page([], '300'));
    await h.timers.advance(200);
    expect(h.pods.listCalls).toHaveLength(3);
    h.pods.lastWatch.emit({ type: 'BOOKMARK', resourceVersion: '301' });
    h.pods.lastWatch.end(broken);
    h.pods.respond(page([], '400'));
    await h.timers.advance(100);
    expect(h.pods.listCalls).toHaveLength(4);
  });
});

describe('ClusterInformer stop', () => {
  it('aborts the watches and leaves no timer behind', async () => {
    const h = await synced([]);
    expect(h.timers.pending()).toBeGreaterThan(0);
    await h.informer.stop();
    expect([h.pods, h.nodes, h.namespaces, h.priorityClasses].map((s) => s.lastWatch.open)).toEqual([false, false, false, false]);
    expect(h.timers.pending()).toBe(0);
  });

  it('ends a pending list and a backoff wait', async () => {
    const h = harness();
    h.nodes.respond(new ApiError('GET /api/v1/nodes', 500, 'boom'));
    h.informer.start();
    await settle();
    await h.informer.stop();
    expect(h.timers.pending()).toBe(0);
    await expect(h.informer.whenSynced()).rejects.toBeInstanceOf(InformerStoppedError);
  });

  it('opens no new watch after stop, even when a watch ends at that moment', async () => {
    const h = await synced([]);
    const watch = h.pods.lastWatch;
    const stopping = h.informer.stop();
    watch.end(new ApiError('GET /api/v1/pods', 410, 'Gone'));
    await stopping;
    await settle();
    expect(h.pods.watches).toHaveLength(1);
    expect(h.pods.listCalls).toHaveLength(1);
  });
});
