import { describe, expect, it } from '@jest/globals';

import type { ConflictEvent, ConflictSource, EventResult } from '../../../src/cluster/conflict-events.js';
import { ConflictEvents, eventMessage, eventName } from '../../../src/cluster/conflict-events.js';
import { ApiError } from '../../../src/cluster/list-watch.js';
import type { ExistingConflict } from '../../../src/engine/existing-conflicts.js';
import { conflictsAmong, contesterKey } from '../../../src/engine/existing-conflicts.js';
import type { Occupant } from '../../../src/engine/types.js';
import { hostPort, occupant, ref } from '../../fixtures/pods.js';
import { FakeTimers } from './fake-timers.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The one conflict of `pods` (`ns/name` on worker-1 holding 8080, the second's container `srv`). */
function conflict(...pods: (string | Occupant)[]): ExistingConflict {
  const occupants = pods.map((p, i) => (typeof p === 'string' ? occupant({ pod: ref(p), ports: [hostPort({ container: i === 1 ? 'srv' : 'web' })] }) : p));
  const [c] = conflictsAmong('worker-1', occupants);
  if (c === undefined) throw new Error('no conflict');
  return c;
}

/** The pods in conflicts now, by contesterKey; the test adds and removes them. */
class Existing implements ConflictSource {
  readonly conflicts = new Map<string, ExistingConflict>();
  add(c: ExistingConflict): ExistingConflict {
    this.conflicts.set(`${c.node}|${c.protocol}/${c.port}|${c.contesters.map((k) => k.occupant.pod.name).join(',')}`, c);
    return c;
  }
  remove(c: ExistingConflict): void {
    for (const [key, value] of this.conflicts) if (value === c) this.conflicts.delete(key);
  }
  current(): ExistingConflict[] {
    return [...this.conflicts.values()];
  }
  contests(key: string): boolean {
    return this.current().some((c) => c.contesters.some((k) => contesterKey(c, k.occupant.pod) === key));
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

/** Tells `events` that every pod of `c` joined it. */
function joinAll(events: ConflictEvents, c: ExistingConflict): void {
  for (const k of c.contesters) events.joined(c, k);
}

describe('ConflictEvents', () => {
  it('writes one Event on each pod of a new conflict, naming the other pod, the node and the port', async () => {
    const { events, sink, existing, timers } = setUp();
    events.setLeading(true);
    joinAll(events, existing.add(conflict('shop/web-1', 'shop/web-2')));
    await timers.advance(1_000);
    expect(sink.written.map((e) => [`${e.pod.namespace}/${e.pod.name}`, e.message])).toEqual([
      ['shop/web-1', 'host port 8080/TCP on node worker-1 is also held by pod shop/web-2 (container srv): the pods conflict'],
      ['shop/web-2', 'host port 8080/TCP on node worker-1 is also held by pod shop/web-1 (container web): the pods conflict'],
    ]);
  });

  it('writes nothing while another replica leads', async () => {
    const { events, sink, existing, timers } = setUp();
    joinAll(events, existing.add(conflict('a/x', 'a/y')));
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

  it('writes only for the pod that joins a conflict later', async () => {
    const { events, sink, existing, timers } = setUp();
    events.setLeading(true);
    const two = existing.add(conflict('a/x', 'a/y'));
    joinAll(events, two);
    await timers.advance(1_000);
    existing.remove(two);
    const three = existing.add(conflict('a/x', 'a/y', 'a/z'));
    const z = three.contesters.find((k) => k.occupant.pod.name === 'z');
    if (z === undefined) throw new Error('no z');
    events.joined(three, z);
    await timers.advance(1_000);
    expect(sink.written.map((e) => e.pod.name)).toEqual(['x', 'y', 'z']);
    expect(sink.written.at(-1)?.message).toBe('host port 8080/TCP on node worker-1 is also held by pods a/x (container web), a/y (container srv): the pods conflict');
  });

  it('drops the Event of a pod that left its conflict before it was written', async () => {
    const { events, sink, existing, timers } = setUp();
    events.setLeading(true);
    const c = existing.add(conflict('a/x', 'a/y'));
    const d = existing.add(conflict('a/p', 'a/q'));
    joinAll(events, c);
    joinAll(events, d);
    existing.remove(d);
    for (const k of d.contesters) events.left(d, k);
    await timers.advance(5_000);
    expect(sink.written.map((e) => e.pod.name)).toEqual(['x', 'y']);
  });

  it('writes at most perSecond Events a second', async () => {
    const { events, sink, existing, timers } = setUp({ perSecond: 2, maxQueued: 100, attempts: 3 });
    events.setLeading(true);
    for (let i = 0; i < 5; i++) joinAll(events, existing.add(conflict(`a/x${i}`, `a/y${i}`)));
    await timers.advance(2_000);
    expect(sink.written.length).toBeLessThanOrEqual(5);
    await timers.advance(10_000);
    expect(sink.written).toHaveLength(10);
  });

  it('retries a failed write, then gives up and counts it', async () => {
    const { events, sink, existing, timers, counted } = setUp();
    sink.failures = 5;
    events.setLeading(true);
    joinAll(events, existing.add(conflict('a/x', 'a/y')));
    await timers.advance(5_000);
    expect(counted.sort()).toEqual(['created', 'failed']);
  });

  it('drops what does not fit in the queue, and counts it', () => {
    const { events, existing, counted } = setUp({ perSecond: 1, maxQueued: 2, attempts: 1 });
    events.setLeading(true);
    joinAll(events, existing.add(conflict('a/x', 'a/y')));
    joinAll(events, existing.add(conflict('a/p', 'a/q')));
    expect(counted).toEqual(['dropped']);
  });
});

describe('eventName', () => {
  it('is the same for the same pod in the same conflict, different for another pod or incarnation', () => {
    const c = conflict('a/x', 'a/y');
    const [x, y] = c.contesters;
    const again = conflict('a/x', 'a/y', 'a/z');
    const [x2] = again.contesters;
    if (x === undefined || y === undefined || x2 === undefined) throw new Error('no contesters');
    expect(eventName(c, x)).toBe(eventName(again, x2));
    expect(eventName(c, x)).not.toBe(eventName(c, y));
    const recreated = conflict(occupant({ pod: ref('a/x', 'uid-x-2') }), 'a/y');
    const [x3] = recreated.contesters;
    if (x3 === undefined) throw new Error('no contester');
    expect(eventName(recreated, x3)).not.toBe(eventName(c, x));
    expect(eventName(c, x)).toMatch(/^x\.[0-9a-f]{16}$/);
  });

  it('stays a valid name for a pod with the longest name', () => {
    const c = conflict(`a/${'p'.repeat(253)}`, 'a/y');
    const [long] = c.contesters;
    if (long === undefined) throw new Error('no contester');
    expect(eventName(c, long).length).toBeLessThanOrEqual(253);
  });
});

describe('eventMessage', () => {
  it('names up to three others, and says when there are more', () => {
    const c = conflict('a/p1', 'a/p2', 'a/p3', 'a/p4', 'a/p5');
    const [first] = c.contesters;
    if (first === undefined) throw new Error('no contester');
    expect(eventMessage(c, first)).toBe('host port 8080/TCP on node worker-1 is also held by pods a/p2 (container srv), a/p3 (container web), a/p4 (container web) and more: the pods conflict');
  });
});

describe('eventMessage for a node daemon', () => {
  it('names the daemon and its port', () => {
    const [c] = conflictsAmong('worker-1', [occupant({ pod: ref('a/agent'), ports: [hostPort({ port: 10250 })] })], [{ owner: 'kubelet', protocol: 'TCP', port: 10250 }]);
    const [agent] = c?.contesters ?? [];
    if (c === undefined || agent === undefined) throw new Error('no conflict');
    expect(eventMessage(c, agent)).toBe('host port 10250/TCP on node worker-1 is also held by node daemon kubelet (10250/TCP): the pod cannot bind it');
  });
});
