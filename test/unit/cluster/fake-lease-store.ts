/**
 * An in-memory ReservationLeaseStore with the API server's concurrency rules (a create
 * of an existing name and a write at a stale resourceVersion fail), so
 * ClusterReservations' own logic is tested without a cluster. Every call yields to the
 * event loop first, so concurrent holds interleave as they would over the network. The
 * real store is tested against a real kube-apiserver in
 * test/integration/cluster/reservations.test.ts.
 */
import type { CallLimits, PortLease, ReservationLeaseStore, StoredLease } from '../../../src/cluster/lease-store.js';
import { ApiError } from '../../../src/cluster/list-watch.js';

/** Which store operation, for injected failures and counts. */
export type StoreOp = 'get' | 'create' | 'replace' | 'remove' | 'list';

/** What the next call of an operation does instead of its work. */
export type Fault = { readonly kind: 'throw'; readonly error: Error } | { readonly kind: 'hang' } | { readonly kind: 'conflict' };

export class FakeReservationLeaseStore implements ReservationLeaseStore {
  readonly leases = new Map<string, { resourceVersion: string; content: PortLease | undefined }>();
  readonly calls: StoreOp[] = [];
  readonly #faults = new Map<StoreOp, Fault[]>();
  #version = 0;

  /** Makes the next call(s) of `op` fail, hang until aborted, or (replace/remove) meet a conflict. */
  fail(op: StoreOp, ...faults: Fault[]): void {
    this.#faults.set(op, [...(this.#faults.get(op) ?? []), ...faults]);
  }

  /** Puts a Lease in place directly, as another writer would. */
  put(name: string, content: PortLease | undefined): void {
    this.leases.set(name, { resourceVersion: this.#next(), content });
  }

  /** The holders of a Lease as `namespace/name`, or undefined without one. */
  holdersOf(name: string): string[] | undefined {
    return this.leases.get(name)?.content?.holders.map((h) => `${h.namespace}/${h.name}`);
  }

  async get(name: string, limits: CallLimits): Promise<StoredLease | undefined> {
    await this.#enter('get', limits);
    return this.#stored(name);
  }

  async create(name: string, content: PortLease, limits: CallLimits): Promise<StoredLease | 'exists'> {
    await this.#enter('create', limits);
    if (this.leases.has(name)) return 'exists';
    this.put(name, content);
    return this.#stored(name) ?? 'exists';
  }

  async replace(lease: StoredLease, content: PortLease, limits: CallLimits): Promise<StoredLease | 'conflict' | 'gone'> {
    const fault = await this.#enter('replace', limits);
    const current = this.leases.get(lease.name);
    if (current === undefined) return 'gone';
    if (fault?.kind === 'conflict' || current.resourceVersion !== lease.resourceVersion) return 'conflict';
    this.put(lease.name, content);
    return this.#stored(lease.name) ?? 'gone';
  }

  async remove(lease: StoredLease, limits: CallLimits): Promise<'removed' | 'conflict' | 'gone'> {
    const fault = await this.#enter('remove', limits);
    const current = this.leases.get(lease.name);
    if (current === undefined) return 'gone';
    if (fault?.kind === 'conflict' || current.resourceVersion !== lease.resourceVersion) return 'conflict';
    this.leases.delete(lease.name);
    return 'removed';
  }

  async list(limits: CallLimits): Promise<StoredLease[]> {
    await this.#enter('list', limits);
    return [...this.leases.keys()].flatMap((name) => this.#stored(name) ?? []);
  }

  #next(): string {
    this.#version += 1;
    return String(this.#version);
  }

  #stored(name: string): StoredLease | undefined {
    const lease = this.leases.get(name);
    return lease === undefined ? undefined : { name, resourceVersion: lease.resourceVersion, content: lease.content };
  }

  /** Counts the call, yields, and applies an injected fault: throws, hangs until aborted, or hands back a conflict. */
  async #enter(op: StoreOp, limits: CallLimits): Promise<Fault | undefined> {
    this.calls.push(op);
    await new Promise((resolve) => setImmediate(resolve));
    if (limits.signal.aborted) throw new ApiError(op, undefined, 'aborted');
    const fault = this.#faults.get(op)?.shift();
    if (fault?.kind === 'throw') throw fault.error;
    if (fault?.kind === 'hang') {
      await new Promise((resolve) => {
        limits.signal.addEventListener('abort', resolve, { once: true });
      });
      throw new ApiError(op, undefined, 'aborted');
    }
    return fault;
  }
}
