/**
 * Decoding of untrusted objects (watch events, list items, cluster-state files) into the
 * engine's shapes: validated by the ajv guards in object-schema.ts, then copied field by
 * field so nothing unvalidated rides along and absent fields stay absent
 * (exactOptionalPropertyTypes).
 */
import { MODE_LABEL } from '../admission/policy.js';
import { describeErrors } from '../admission/schema-errors.js';
import type { PriorityClassInfo } from '../engine/priority.js';
import type { ContainerPortSpec, ContainerSpec, ObjectMetaLike, PodLike, PodSpecLike, Taint } from '../engine/types.js';
import type { WireMeta, WirePod } from './object-schema.js';
import { isWireLabeled, isWireNode, isWirePod, isWirePriorityClass, isWireStatusDetail } from './object-schema.js';
import type { NamespaceEntry, NodeEntry } from './pod-index.js';

/** A decoded value, or the reasons it could not be decoded. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

function port(p: ContainerPortSpec): ContainerPortSpec {
  return {
    containerPort: p.containerPort,
    ...(p.hostPort === undefined ? {} : { hostPort: p.hostPort }),
    ...(p.protocol === undefined ? {} : { protocol: p.protocol }),
    ...(p.hostIP === undefined ? {} : { hostIP: p.hostIP }),
  };
}

function container(c: ContainerSpec): ContainerSpec {
  return {
    name: c.name,
    ...(c.ports === undefined ? {} : { ports: c.ports.map(port) }),
    ...(c.restartPolicy === undefined ? {} : { restartPolicy: c.restartPolicy }),
  };
}

function meta(m: WireMeta): ObjectMetaLike {
  return {
    name: m.name,
    ...(m.namespace === undefined ? {} : { namespace: m.namespace }),
    ...(m.uid === undefined ? {} : { uid: m.uid }),
    ...(m.deletionTimestamp === undefined ? {} : { deletionTimestamp: m.deletionTimestamp }),
    ...(m.ownerReferences === undefined
      ? {}
      : {
          ownerReferences: m.ownerReferences.map((o) => ({
            kind: o.kind,
            name: o.name,
            uid: o.uid,
            ...(o.controller === undefined ? {} : { controller: o.controller }),
          })),
        }),
  };
}

/** The engine's view of a validated Pod: what occupancy needs (ports, node, priority), nothing more. */
export function podFromWire(pod: WirePod): PodLike {
  const s = pod.spec;
  const spec: PodSpecLike = {
    containers: s.containers.map(container),
    ...(s.nodeName === undefined ? {} : { nodeName: s.nodeName }),
    ...(s.hostNetwork === undefined ? {} : { hostNetwork: s.hostNetwork }),
    ...(s.initContainers === undefined ? {} : { initContainers: s.initContainers.map(container) }),
    ...(s.priority === undefined ? {} : { priority: s.priority }),
    ...(s.priorityClassName === undefined ? {} : { priorityClassName: s.priorityClassName }),
  };
  const phase = pod.status?.phase;
  return { metadata: meta(pod.metadata), spec, ...(phase === undefined ? {} : { status: { phase } }) };
}

/** Decodes an untrusted Pod. */
export function decodePod(value: unknown): Decoded<PodLike> {
  if (isWirePod(value)) return { ok: true, value: podFromWire(value) };
  return { ok: false, errors: describeErrors(isWirePod.errors) };
}

/** Only this condition says why a pod is not scheduled; the others are left behind. */
const SCHEDULED_CONDITION = 'PodScheduled';

/**
 * Decodes an untrusted Pod with the parts of its status that say why it cannot run: the
 * reason and message, and the PodScheduled condition. A status whose details do not have
 * the expected shape only loses them: the pod itself still decodes as decodePod's would.
 */
export function decodePodWithStatus(value: unknown): Decoded<PodLike> {
  const decoded = decodePod(value);
  if (!decoded.ok || !isWireStatusDetail(value) || value.status === undefined) return decoded;
  const { reason, message, conditions } = value.status;
  const scheduled = conditions
    ?.filter((c) => c.type === SCHEDULED_CONDITION)
    .map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason === undefined ? {} : { reason: c.reason }),
      ...(c.message === undefined ? {} : { message: c.message }),
    }));
  const status = {
    ...decoded.value.status,
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
    ...(scheduled === undefined || scheduled.length === 0 ? {} : { conditions: scheduled }),
  };
  return { ok: true, value: { ...decoded.value, status } };
}

/** Decodes an untrusted Node into its name, labels, NoSchedule-like taints and cordon. */
export function decodeNode(value: unknown): Decoded<NodeEntry> {
  if (!isWireNode(value)) return { ok: false, errors: describeErrors(isWireNode.errors) };
  const taints: Taint[] = (value.spec?.taints ?? []).map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect }));
  return {
    ok: true,
    value: { name: value.metadata.name, labels: { ...value.metadata.labels }, taints, unschedulable: value.spec?.unschedulable === true },
  };
}

/** Decodes an untrusted PriorityClass into its name, value, default flag and preemption policy. */
export function decodePriorityClass(value: unknown): Decoded<PriorityClassInfo> {
  if (!isWirePriorityClass(value)) return { ok: false, errors: describeErrors(isWirePriorityClass.errors) };
  const { metadata, value: priority, globalDefault, preemptionPolicy } = value;
  const info: PriorityClassInfo = { name: metadata.name, value: priority, globalDefault: globalDefault === true };
  return { ok: true, value: preemptionPolicy === undefined ? info : { ...info, preemptionPolicy } };
}

/** Decodes an untrusted Namespace (or its PartialObjectMetadata) into its name and mode label. */
export function decodeNamespace(value: unknown): Decoded<NamespaceEntry> {
  if (!isWireLabeled(value)) return { ok: false, errors: describeErrors(isWireLabeled.errors) };
  const mode = value.metadata.labels?.[MODE_LABEL];
  return { ok: true, value: mode === undefined ? { name: value.metadata.name } : { name: value.metadata.name, mode } };
}

/** `namespace/name` or `name` of an object that failed to decode, as far as it can be read. */
export function nameOf(value: unknown): string {
  if (typeof value !== 'object' || value === null || !('metadata' in value)) return '(unnamed)';
  const meta = value.metadata;
  if (typeof meta !== 'object' || meta === null) return '(unnamed)';
  const name = 'name' in meta && typeof meta.name === 'string' ? meta.name : '(unnamed)';
  return 'namespace' in meta && typeof meta.namespace === 'string' ? `${meta.namespace}/${name}` : name;
}
