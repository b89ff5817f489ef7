/**
 * Where reservations every replica sees are kept: one `coordination.k8s.io/v1` Lease per
 * node, protocol and port number, in one namespace (the release's). The API server
 * stores it in etcd, so a create of a name that exists fails, and a replace or delete
 * that names a resourceVersion fails once anyone else has written the Lease: exactly one
 * of two replicas racing for a port wins, whatever their clocks or caches say.
 *
 * Who holds the port is written in the annotation RESERVATION_ANNOTATION as JSON
 * (several pods can hold one port number on different host addresses); the Lease's own
 * spec fields name the first holder and the TTL, for `kubectl get leases`.
 */
import { createHash } from 'node:crypto';

import type { V1Lease } from '@kubernetes/client-node';
import { V1LeaseSpec, V1MicroTime } from '@kubernetes/client-node';
import type { SchemaObject } from 'ajv';
import { Ajv } from 'ajv';

import type { KubeHttp } from './kube-http.js';
import { leaseObject, namespacedLeases } from './kube-lease-store.js';
import { ApiError } from './list-watch.js';

/** The annotation holding a Lease's reservations as JSON. */
export const RESERVATION_ANNOTATION = 'hostport-guard.io/reservation';

/** The label every reservation Lease carries, so one list finds them all. */
export const RESERVATION_LABEL = 'hostport-guard.io/reservation';
const RESERVATION_LABEL_VALUE = 'port';

/** One pod holding a reserved port: let in by some replica, not seen by its watch yet. */
export interface LeaseHolder {
  readonly namespace: string;
  readonly name: string;
  /** Set by the API server before validating webhooks run, so every admitted pod has one. */
  readonly uid?: string;
  readonly hostNetwork: boolean;
  /** The container that declared the port (messages name it). */
  readonly container: string;
  /** The hostIP as the pod spelled it ('' for none). */
  readonly hostIP: string;
  /** Wall-clock milliseconds after which the holder no longer counts. */
  readonly expiresAt: number;
}

/** The reservations of one port number of one protocol on one node. */
export interface PortLease {
  readonly node: string;
  readonly protocol: string;
  readonly port: number;
  readonly holders: readonly LeaseHolder[];
}

/** A Lease as read or written. */
export interface StoredLease {
  readonly name: string;
  readonly resourceVersion: string;
  /** What the annotation says; undefined when it does not decode (edited by hand): it then holds nothing. */
  readonly content: PortLease | undefined;
}

/** How long one call may take, and what cancels it. */
export interface CallLimits {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

/**
 * The Leases of reservations, one per port, in one namespace (the leader election's
 * LeaseStore keeps a single Lease of its own). Rejects with ApiError on any other failure.
 */
export interface ReservationLeaseStore {
  /** The Lease, or undefined when there is none. */
  get(name: string, limits: CallLimits): Promise<StoredLease | undefined>;
  /** Creates the Lease; `exists` when one of that name is already there. */
  create(name: string, content: PortLease, limits: CallLimits): Promise<StoredLease | 'exists'>;
  /** Replaces the content if nobody wrote the Lease since it was read; else `conflict`, or `gone` when deleted. */
  replace(lease: StoredLease, content: PortLease, limits: CallLimits): Promise<StoredLease | 'conflict' | 'gone'>;
  /** Deletes the Lease if nobody wrote it since it was read; else `conflict`, or `gone`. */
  remove(lease: StoredLease, limits: CallLimits): Promise<'removed' | 'conflict' | 'gone'>;
  /** Every reservation Lease of the namespace. */
  list(limits: CallLimits): Promise<StoredLease[]>;
}

/** A DNS-1123 subdomain: what a Lease name must be. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const MAX_NAME_LENGTH = 253;

/**
 * The Lease of one port: `hpg.tcp-8080.worker-1`. A node name that would make the name
 * too long (or not a subdomain) is replaced by a hash of it, which is as unique.
 */
export function leaseName(node: string, protocol: string, port: number): string {
  const prefix = `hpg.${protocol.toLowerCase()}-${port}.`;
  const plain = prefix + node;
  if (plain.length <= MAX_NAME_LENGTH && SUBDOMAIN.test(node)) return plain;
  return `${prefix}node-${createHash('sha256').update(node).digest('hex').slice(0, 40)}`;
}

const str: SchemaObject = { type: 'string' };
const portLeaseSchema: SchemaObject = {
  type: 'object',
  required: ['node', 'protocol', 'port', 'holders'],
  properties: {
    node: { type: 'string', minLength: 1 },
    protocol: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    holders: {
      type: 'array',
      items: {
        type: 'object',
        required: ['namespace', 'name', 'hostNetwork', 'container', 'hostIP', 'expiresAt'],
        properties: {
          namespace: str,
          name: str,
          uid: str,
          hostNetwork: { type: 'boolean' },
          container: str,
          hostIP: str,
          expiresAt: { type: 'integer' },
        },
      },
    },
  },
};

const isPortLease = new Ajv({ allErrors: false }).compile<PortLease>(portLeaseSchema);

/** The content of a Lease's annotation, or undefined when it is not what this code writes. */
export function decodePortLease(text: string | undefined): PortLease | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isPortLease(parsed) ? parsed : undefined;
}

/**
 * The Lease object for `content`; `ttlSeconds` only informs `kubectl get leases -o yaml`.
 */
function reservationLease(name: string, namespace: string, content: PortLease, ttlSeconds: number, resourceVersion?: string): V1Lease {
  const spec = new V1LeaseSpec();
  const [first] = content.holders;
  if (first !== undefined) spec.holderIdentity = `${first.namespace}/${first.name}`;
  spec.leaseDurationSeconds = ttlSeconds;
  spec.renewTime = new V1MicroTime();
  return leaseObject(namespace, {
    name,
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    labels: { [RESERVATION_LABEL]: RESERVATION_LABEL_VALUE, 'app.kubernetes.io/managed-by': 'hostport-guard' },
    annotations: { [RESERVATION_ANNOTATION]: JSON.stringify(content) },
  }, spec);
}

/** What the typed API returned, checked: it does not check what it deserializes. */
function stored(lease: V1Lease, what: string): StoredLease {
  const name = lease.metadata?.name;
  const resourceVersion = lease.metadata?.resourceVersion;
  if (typeof name !== 'string' || typeof resourceVersion !== 'string') throw new ApiError(what, undefined, 'the answer is not a Lease');
  return { name, resourceVersion, content: decodePortLease(lease.metadata?.annotations?.[RESERVATION_ANNOTATION]) };
}

/** The HTTP status of a failed call, when the server answered. */
function statusOf(error: unknown): number | undefined {
  return error instanceof ApiError ? error.status : undefined;
}

const JSON_ONLY = 'application/json';

/** Reservation Leases in `namespace`, through the Leases every part of the server uses (kube-lease-store.ts). */
export function kubeReservationStore(http: KubeHttp, namespace: string, ttlSeconds: number): ReservationLeaseStore {
  const leases = namespacedLeases(http, namespace);
  const options = (limits: CallLimits) => ({ accept: JSON_ONLY, signal: limits.signal, timeoutMs: limits.timeoutMs });
  return {
    async get(name, limits) {
      const lease = await leases.get(name, options(limits));
      return lease === undefined ? undefined : stored(lease, `GET ${leases.path}/${name}`);
    },
    async create(name, content, limits) {
      try {
        return stored(await leases.create(reservationLease(name, namespace, content, ttlSeconds), options(limits)), `POST ${leases.path} (${name})`);
      } catch (error) {
        if (statusOf(error) === 409) return 'exists';
        throw error;
      }
    },
    async replace(lease, content, limits) {
      try {
        const body = reservationLease(lease.name, namespace, content, ttlSeconds, lease.resourceVersion);
        return stored(await leases.replace(body, options(limits)), `PUT ${leases.path}/${lease.name}`);
      } catch (error) {
        if (statusOf(error) === 409) return 'conflict';
        if (statusOf(error) === 404) return 'gone';
        throw error;
      }
    },
    async remove(lease, limits) {
      try {
        await leases.remove(lease.name, lease.resourceVersion, options(limits));
        return 'removed';
      } catch (error) {
        if (statusOf(error) === 409) return 'conflict';
        if (statusOf(error) === 404) return 'gone';
        throw error;
      }
    },
    async list(limits) {
      const what = `GET ${leases.path}?labelSelector=${RESERVATION_LABEL}`;
      return (await leases.list(`${RESERVATION_LABEL}=${RESERVATION_LABEL_VALUE}`, options(limits))).map((item) => stored(item, what));
    },
  };
}

/** The calls a ReservationLeaseStore makes to the API server. */
export type LeaseVerb = 'create' | 'get' | 'replace' | 'delete' | 'list';

/** `store`, reporting every call it makes (the API server load reservations cause). */
export function countedReservationLeaseStore(store: ReservationLeaseStore, onRequest: (verb: LeaseVerb) => void): ReservationLeaseStore {
  return {
    get: (name, limits) => {
      onRequest('get');
      return store.get(name, limits);
    },
    create: (name, content, limits) => {
      onRequest('create');
      return store.create(name, content, limits);
    },
    replace: (lease, content, limits) => {
      onRequest('replace');
      return store.replace(lease, content, limits);
    },
    remove: (lease, limits) => {
      onRequest('delete');
      return store.remove(lease, limits);
    },
    list: (limits) => {
      onRequest('list');
      return store.list(limits);
    },
  };
}
