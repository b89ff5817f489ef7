import { describe, expect, it } from '@jest/globals';

import type { LeaseRecord, LeaseStore, LeaseWrite } from '../../../src/cluster/leader-election.js';
import { LeaderElector } from '../../../src/cluster/leader-election.js';
import { ApiError } from '../../../src/cluster/list-watch.js';
import { FakeTimers } from './fake-timers.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/**
 * One Lease in memory with the API server's rule: an update from a stale resourceVersion
 * is refused with 409. `down` makes every call fail, as an unreachable API server would.
 */
class MemoryLease implements LeaseStore {
  record: LeaseRecord | undefined;
  down = false;
  #version = 0;

  get(): Promise<LeaseRecord | undefined> {
    return this.down ? Promise.reject(new ApiError('GET lease', undefined, 'connection refused')) : Promise.resolve(this.record);
  }

  create(write: LeaseWrite): Promise<LeaseRecord> {
    if (this.down) return Promise.reject(new ApiError('POST lease', undefined, 'connection refused'));
    if (this.record !== undefined) return Promise.reject(new ApiError('POST lease', 409, 'already exists'));
    return Promise.resolve(this.#write(write));
  }

  update(write: LeaseWrite, resourceVersion: string): Promise<LeaseRecord> {
    if (this.down) return Promise.reject(new ApiError('PUT lease', undefined, 'connection refused'));
    if (this.record?.resourceVersion !== resourceVersion) return Promise.reject(new ApiError('PUT lease', 409, 'the object has been modified'));
    return Promise.resolve(this.#write(write));
  }

  #write(write: LeaseWrite): LeaseRecord {
    this.#version += 1;
    this.record = { ...write, resourceVersion: String(this.#version) };
    return this.record;
  }
}

function elector(store: LeaseStore, timers: FakeTimers, identity: string, changes: string[]): LeaderElector {
  return new LeaderElector({ store, identity, timers, logger: quiet, random: () => 0, onChange: (leading) => changes.push(`${identity} ${leading ? 'leads' : 'stops'}`) }, TIMING);
}

describe('LeaderElector', () => {
  it('lets exactly one of two replicas lead, and renews its Lease', async () => {
    const store = new MemoryLease();
    const timers = new FakeTimers();
    const changes: string[] = [];
    const a = elector(store, timers, 'a', changes);
    const b = elector(store, timers, 'b', changes);
    a.start();
    b.start();
    await timers.advance(30_000);
    expect([a.isLeader(), b.isLeader(), changes]).toEqual([true, false, ['a leads']]);
    expect(store.record).toMatchObject({ holder: 'a', durationSeconds: 15, transitions: 0 });
    expect(store.record?.renewTime).toBeGreaterThanOrEqual(28_000);
    await a.stop();
    await b.stop();
  });

  it('hands over at once when the leader stops (it releases the Lease)', async () => {
    const store = new MemoryLease();
    const timers = new FakeTimers();
    const changes: string[] = [];
    const a = elector(store, timers, 'a', changes);
    const b = elector(store, timers, 'b', changes);
    a.start();
    await timers.advance(1);
    b.start();
    await timers.advance(4_000);
    await a.stop();
    expect(store.record?.holder).toBeUndefined();
    await timers.advance(3_000);
    expect(changes).toEqual(['a leads', 'a stops', 'b leads']);
    expect(store.record).toMatchObject({ holder: 'b', transitions: 1 });
    await b.stop();
  });

  it('takes over from a leader that vanished once the Lease went unrenewed for its duration, and not before', async () => {
    const store = new MemoryLease();
    store.record = { holder: 'crashed', durationSeconds: 15, renewTime: 0, transitions: 4, resourceVersion: 'x' };
    const timers = new FakeTimers();
    const changes: string[] = [];
    const b = elector(store, timers, 'b', changes);
    b.start();
    await timers.advance(14_000);
    expect(b.isLeader()).toBe(false);
    await timers.advance(4_000);
    expect([b.isLeader(), store.record]).toEqual([true, expect.objectContaining({ holder: 'b', transitions: 5 })]);
    await b.stop();
  });

  it('stops leading when it cannot renew within the renew deadline, and leads again once it can', async () => {
    const store = new MemoryLease();
    const timers = new FakeTimers();
    const changes: string[] = [];
    const a = elector(store, timers, 'a', changes);
    a.start();
    await timers.advance(1);
    store.down = true;
    await timers.advance(9_000);
    expect(a.isLeader()).toBe(true);
    await timers.advance(3_000);
    expect(a.isLeader()).toBe(false);
    store.down = false;
    await timers.advance(3_000);
    expect(changes).toEqual(['a leads', 'a stops', 'a leads']);
    await a.stop();
  });

  it('stops leading at once when it sees another replica holding the Lease', async () => {
    const store = new MemoryLease();
    const timers = new FakeTimers();
    const changes: string[] = [];
    const a = elector(store, timers, 'a', changes);
    a.start();
    await timers.advance(1);
    store.record = { holder: 'intruder', durationSeconds: 15, transitions: 1, resourceVersion: 'y' };
    await timers.advance(2_000);
    expect(changes).toEqual(['a leads', 'a stops']);
    await a.stop();
    expect(store.record.holder).toBe('intruder');
  });

  it('refuses timings where a leader could outlive its Lease', () => {
    expect(() => new LeaderElector({ store: new MemoryLease(), identity: 'a', timers: new FakeTimers(), logger: quiet, onChange: () => undefined }, { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toThrow(
      'leaseDuration > renewDeadline > retryPeriod',
    );
  });
});
