/**
 * Leases through the API server with the typed CoordinationV1Api: `namespacedLeases` is
 * the one way the server talks to Leases, and `kubeLeaseStore` (the leader election's
 * LeaseStore) and `kubeReservationStore` (the reservations' ReservationLeaseStore,
 * lease-store.ts) each keep their own record in them. The API
 * server refuses a write whose resourceVersion is not the Lease's current one (409),
 * which is what makes both the election and the reservations safe.
 */
import { V1DeleteOptions, V1Lease, V1LeaseSpec, V1MicroTime, V1ObjectMeta, V1Preconditions } from '@kubernetes/client-node';

import type { CallOptions, KubeHttp } from './kube-http.js';
import type { LeaseRecord, LeaseStore, LeaseWrite } from './leader-election.js';
import { ApiError } from './list-watch.js';

/** Per-request timeout: an election round is every 2 s, and a renew that hangs must not outlive the renew deadline. */
const LEASE_REQUEST_TIMEOUT_MS = 5_000;

/** What a Lease is written with besides its spec. */
export interface LeaseMeta {
  readonly name: string;
  /** Only write over this version (replace); absent for a create. */
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The Lease object to send. The typed API's models are classes: the body is built as
 * instances.
 */
export function leaseObject(namespace: string, meta: LeaseMeta, spec: V1LeaseSpec): V1Lease {
  const metadata = new V1ObjectMeta();
  metadata.name = meta.name;
  metadata.namespace = namespace;
  if (meta.labels !== undefined) metadata.labels = { ...meta.labels };
  if (meta.annotations !== undefined) metadata.annotations = { ...meta.annotations };
  if (meta.resourceVersion !== undefined) metadata.resourceVersion = meta.resourceVersion;
  const lease = new V1Lease();
  lease.apiVersion = 'coordination.k8s.io/v1';
  lease.kind = 'Lease';
  lease.metadata = metadata;
  lease.spec = spec;
  return lease;
}

/**
 * The Leases of one namespace. Every failure rejects with an ApiError naming the request
 * (`what` in its message) and, when the server answered, its status (404, 409, ...).
 */
export interface NamespacedLeases {
  /** `/apis/coordination.k8s.io/v1/namespaces/NS/leases`, as error messages name it. */
  readonly path: string;
  /** The Lease, or undefined when there is none (404). */
  get(name: string, options: CallOptions): Promise<V1Lease | undefined>;
  create(lease: V1Lease, options: CallOptions): Promise<V1Lease>;
  /** Replaces the Lease named in `lease`; 409 when its resourceVersion is not the current one. */
  replace(lease: V1Lease, options: CallOptions): Promise<V1Lease>;
  /** Deletes `name` only while it is at `resourceVersion` (409 otherwise). */
  remove(name: string, resourceVersion: string, options: CallOptions): Promise<void>;
  /** The Leases carrying `labelSelector` (one page: there are few). */
  list(labelSelector: string, options: CallOptions): Promise<V1Lease[]>;
}

/** The Leases of `namespace` through `api`. */
export function namespacedLeases(api: KubeHttp, namespace: string): NamespacedLeases {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  const nameOf = (lease: V1Lease): string => lease.metadata?.name ?? '';
  return {
    path,
    async get(name, options) {
      try {
        return await api.call(`GET ${path}/${name}`, (apis) => apis.coordination.readNamespacedLease({ name, namespace }), options);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    create: (lease, options) => api.call(`POST ${path} (${nameOf(lease)})`, (apis) => apis.coordination.createNamespacedLease({ namespace, body: lease }), options),
    replace: (lease, options) =>
      api.call(`PUT ${path}/${nameOf(lease)}`, (apis) => apis.coordination.replaceNamespacedLease({ name: nameOf(lease), namespace, body: lease }), options),
    async remove(name, resourceVersion, options) {
      const preconditions = new V1Preconditions();
      preconditions.resourceVersion = resourceVersion;
      const body = new V1DeleteOptions();
      body.preconditions = preconditions;
      await api.call(`DELETE ${path}/${name}`, (apis) => apis.coordination.deleteNamespacedLease({ name, namespace, body }), options);
    },
    async list(labelSelector, options) {
      const list = await api.call(`GET ${path}?labelSelector=${labelSelector}`, (apis) => apis.coordination.listNamespacedLease({ namespace, labelSelector }), options);
      const items: unknown = list.items;
      return Array.isArray(items) ? (items as V1Lease[]) : [];
    },
  };
}

/** Milliseconds of a time as the typed API hands it over (a Date, or the text when it did not parse one). */
function millis(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

function recordOf(lease: V1Lease, what: string): LeaseRecord {
  const resourceVersion = lease.metadata?.resourceVersion;
  if (resourceVersion === undefined || resourceVersion === '') throw new ApiError(what, 200, 'the Lease has no resourceVersion');
  const spec = lease.spec ?? new V1LeaseSpec();
  const acquireTime = millis(spec.acquireTime);
  const renewTime = millis(spec.renewTime);
  return {
    ...(spec.holderIdentity === undefined || spec.holderIdentity === '' ? {} : { holder: spec.holderIdentity }),
    durationSeconds: spec.leaseDurationSeconds ?? 0,
    ...(acquireTime === undefined ? {} : { acquireTime }),
    ...(renewTime === undefined ? {} : { renewTime }),
    transitions: spec.leaseTransitions ?? 0,
    resourceVersion,
  };
}

/** The Lease `namespace/name` through `api`. */
export function kubeLeaseStore(api: KubeHttp, namespace: string, name: string): LeaseStore {
  const leases = namespacedLeases(api, namespace);
  const options = { accept: 'application/json', signal: new AbortController().signal, timeoutMs: LEASE_REQUEST_TIMEOUT_MS };
  const body = (write: LeaseWrite, resourceVersion?: string): V1Lease => {
    const spec = new V1LeaseSpec();
    if (write.holder !== undefined) spec.holderIdentity = write.holder;
    spec.leaseDurationSeconds = write.durationSeconds;
    // MicroTime: the API server wants six fractional digits.
    spec.acquireTime = new V1MicroTime(write.acquireTime);
    spec.renewTime = new V1MicroTime(write.renewTime);
    spec.leaseTransitions = write.transitions;
    return leaseObject(namespace, { name, ...(resourceVersion === undefined ? {} : { resourceVersion }) }, spec);
  };
  return {
    async get() {
      const lease = await leases.get(name, options);
      return lease === undefined ? undefined : recordOf(lease, `GET ${leases.path}/${name}`);
    },
    async create(write) {
      return recordOf(await leases.create(body(write), options), `POST ${leases.path}`);
    },
    async update(write, resourceVersion) {
      return recordOf(await leases.replace(body(write, resourceVersion), options), `PUT ${leases.path}/${name}`);
    },
  };
}
