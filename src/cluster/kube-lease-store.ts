/**
 * The Lease of the leader election, read and written through the API server with the
 * typed CoordinationV1Api. The API server refuses an update whose resourceVersion is not
 * the Lease's current one (409), which is what makes the election safe.
 */
import { V1Lease, V1LeaseSpec, V1MicroTime, V1ObjectMeta } from '@kubernetes/client-node';

import type { KubeHttp } from './kube-http.js';
import type { LeaseRecord, LeaseStore, LeaseWrite } from './leader-election.js';
import { ApiError } from './list-watch.js';

/** Per-request timeout: an election round is every 2 s, and a renew that hangs must not outlive the renew deadline. */
const LEASE_REQUEST_TIMEOUT_MS = 5_000;

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
  const path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  const options = { accept: 'application/json', signal: new AbortController().signal, timeoutMs: LEASE_REQUEST_TIMEOUT_MS };
  // The typed API's models are classes: the body is built as instances.
  const body = (write: LeaseWrite, resourceVersion?: string): V1Lease => {
    const metadata = new V1ObjectMeta();
    metadata.name = name;
    metadata.namespace = namespace;
    if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion;
    const spec = new V1LeaseSpec();
    if (write.holder !== undefined) spec.holderIdentity = write.holder;
    spec.leaseDurationSeconds = write.durationSeconds;
    // MicroTime: the API server wants six fractional digits.
    spec.acquireTime = new V1MicroTime(write.acquireTime);
    spec.renewTime = new V1MicroTime(write.renewTime);
    spec.leaseTransitions = write.transitions;
    const lease = new V1Lease();
    lease.apiVersion = 'coordination.k8s.io/v1';
    lease.kind = 'Lease';
    lease.metadata = metadata;
    lease.spec = spec;
    return lease;
  };
  return {
    async get() {
      const what = `GET ${path}/${name}`;
      try {
        return recordOf(await api.call(what, (c) => c.coordination.readNamespacedLease({ name, namespace }), options), what);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async create(write) {
      const what = `POST ${path}`;
      return recordOf(await api.call(what, (c) => c.coordination.createNamespacedLease({ namespace, body: body(write) }), options), what);
    },
    async update(write, resourceVersion) {
      const what = `PUT ${path}/${name}`;
      return recordOf(await api.call(what, (c) => c.coordination.replaceNamespacedLease({ name, namespace, body: body(write, resourceVersion) }), options), what);
    },
  };
}
