import { describe, expect, it } from '@jest/globals';

import type { ConflictEvent, ConflictSource, EventResult } from '../../../src/cluster/conflict-events.js';
import { ConflictEvents, eventMessage, eventName } from '../../../src/cluster/conflict-events.js';
import { ApiError } from '../../../src/cluster/list-watch.js';
import type { ExistingConflict } from '../../../src/engine/existing-conflicts.js';
import { conflictKey, conflictsAmong } from '../../../src/engine/existing-conflicts.js';
import { hostPort, occupant, ref } from '../../fixtures/pods.js';
import { FakeTimers } from './fake-timers.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function conflict(a: string, b: string, node = 'worker-1'): ExistingConflict {
  const [c] = conflictsAmong(node, [occupant({ pod: ref(a), node }), occupant({ pod: ref(b), node, ports: [hostPort({ container: 'srv' })] })]);
  if (c === undefined) throw new Error('no conflict');
  return c;
}

/** The conflicts that exist, by key; the test adds and removes them. */
class Existing implements ConflictSource {
  readonly conflicts = new Map<string, ExistingConflict>();
  add(c: ExistingConflict): ExistingConflict {
    this.conflicts.set(conflictKey(c), c);
    return c;
  }
  current(): ExistingConflict[] {
    return [...this.conflicts.values()];
  }
  exists(key: string): boolean {
    return this.conflicts.has(key);
  }
}

/** An Event sink with the API server's AlreadyExists rule; `failures` makes the next writes fail. */
class Sink {
  readonly names = new Set<string>();
  readonly written: ConflictEvent[] = [];
  failures = 0;
  create(event: ConflictEvent): Promise<'created' | 'exists'> {
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new ApiError('POST events', 503, 'unavailable'));
    }
    if (this.names.has(event.name)) return Promise.resolve('exists');
    this.names.add(event.name);
    this.written.push(event);
    return Promise.resolve('created');
  }
}

function setUp(options = { perSecond: 5, maxQueued: 100, attempts: 3 }): { events: ConflictEvents; sink: Sink; existing: Existing; timers: FakeTimers; counted: EventResult[] } {
  const sink = new Sink();
  const existing = new Existing();
  const timers = new FakeTimers();
  const counted: EventResult[] = [];
  const events = new ConflictEvents({ sink, audit: existing, timers, logger: quiet, count: (r) => counted.push(r) }, options);
  return { events, sink, existing, timers, counted };
}

describe('ConflictEvents', () => {
  it('writes one Event on each pod of a new conflict, naming the other pod, the node and the port', async () => {
    const { events, sink, existing, timers } = setUp();
    events.setLeading(true);
    events.appeared(existing.add(conflict('shop/web-1', 'shop/web-2')));
    await timers.advance(1_000);
    expect(sink.written.map((e) => [`${e.pod.namespace}/${e.pod.name}`, e.message])).toEqual([
      ['shop/web-1', 'host port 8080/TCP on node worker-1 is also held by pod shop/web-2 (container srv): the two pods conflict'],
      ['shop/web-2', 'host port 8080/TCP on node worker-1 is also held by pod shop/web-1 (container web): the two pods conflict'],
    ]);
  });

  it('writes nothing while another replica leads', async () => {
    const { events, sink, existing, timers } = setUp();
    events.appeared(existing.add(conflict('a/x', 'a/y')));
    await timers.advance(5_000);
    expect(sink.written).toEqual([]);
  });

  it('writes every existing conflict on becoming the leader, and what was written before is not written again', async () => {
    const { events, sink, existing, timers, counted } = setUp();
    existing.add(conflict('a/x', 'a/y'));
    events.setLeading(true);
    await timers.advance(1_000);
    events.setLeading(false);
    events.setLeading(true);
    await timers.advance(1_000);
    expect([sink.written.length, counted]).toEqual([2, ['created', 'created', 'exists', 'exists']]);
  });

  it('drops the Events of a conflict that ended before they were written', async () => {
    const { events, sink, existing, timers } = setUp();
    events.setLeading(true);
    const c = existing.add(conflict('a/x', 'a/y'));
    const d = existing.add(conflict('a/p', 'a/q'));
    events.appeared(c);
    events.appeared(d);
    existing.conflicts.delete(conflictKey(d));
    events.resolved(d);
    await timers.advance(5_000);
    expect(sink.written.map((e) => e.pod.name)).toEqual(['x', 'y']);
  });

  it('writes at most perSecond Events a second', async () => {
    const { events, sink, existing, timers } = setUp({ perSecond: 2, maxQueued: 100, attempts: 3 });
    events.setLeading(true);
    for (let i = 0; i < 5; i++) events.appeared(existing.add(conflict(`a/x${i}`, `a/y${i}`)));
    await timers.advance(2_000);
    expect(sink.written.length).toBeLessThanOrEqual(5);
    await timers.advance(10_000);
    expect(sink.written).toHaveLength(10);
  });

  it('retries a failed write, then gives up and counts it', async () => {
    const { events, sink, existing, timers, counted } = setUp();
    sink.failures = 5;
    events.setLeading(true);
    events.appeared(existing.add(conflict('a/x', 'a/y')));
    await timers.advance(5_000);
    expect(counted.sort()).toEqual(['created', 'failed']);
  });

  it('drops what does not fit in the queue, and counts it', () => {
    const { events, existing, counted } = setUp({ perSecond: 1, maxQueued: 2, attempts: 1 });
    events.setLeading(true);
    events.appeared(existing.add(conflict('a/x', 'a/y')));
    events.appeared(existing.add(conflict('a/p', 'a/q')));
    expect(counted).toEqual(['dropped']);
  });
});

describe('eventName', () => {
  it('is the same for the same conflict and pod, different for the other pod or another incarnation', () => {
    const c = conflict('a/x', 'a/y');
    const again = conflict('a/x', 'a/y');
    expect(eventName(c, c.first)).toBe(eventName(again, again.first));
    expect(eventName(c, c.first)).not.toBe(eventName(c, c.second));
    const [recreated] = conflictsAmong('worker-1', [occupant({ pod: ref('a/x') }), occupant({ pod: ref('a/y', 'uid-y-2') })]);
    if (recreated === undefined) throw new Error('no conflict');
    expect(eventName(recreated, recreated.first)).not.toBe(eventName(c, c.first));
    expect(eventName(c, c.first)).toMatch(/^x\.[0-9a-f]{16}$/);
  });

  it('stays a valid name for a pod with the longest name', () => {
    const long = 'p'.repeat(253);
    const [c] = conflictsAmong('worker-1', [occupant({ pod: ref(`a/${long}`) }), occupant({ pod: ref('a/y') })]);
    if (c === undefined) throw new Error('no conflict');
    expect(eventName(c, c.first).length).toBeLessThanOrEqual(253);
  });
});

describe('eventMessage', () => {
  it('names up to three ports, and says when there are more', () => {
    const ports = [80, 81, 82, 83].map((port) => hostPort({ port }));
    const [c] = conflictsAmong('n', [occupant({ pod: ref('a/x'), node: 'n', ports }), occupant({ pod: ref('a/y'), node: 'n', ports })]);
    if (c === undefined) throw new Error('no conflict');
    expect(eventMessage(c, 'first')).toBe('host ports 80/TCP, 81/TCP, 82/TCP and more on node n are also held by pod a/y (container web): the two pods conflict');
  });
});
