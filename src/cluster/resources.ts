import { MODE_LABEL } from '../admission/policy.js';
import type { PriorityClassInfo } from '../engine/priority.js';
import type { PodLike } from '../engine/types.js';
import type { Decoded } from './convert.js';
import { decodeNamespace, decodeNode, decodePod, decodePodWithStatus, decodePriorityClass } from './convert.js';
import type { NamespaceEntry, NodeEntry } from './pod-index.js';

/** One kind of object to list and watch. */
export interface ResourceSpec<T> {
  /** Collection path, e.g. `/api/v1/pods` (all namespaces): where the watch goes, and what errors name. */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
  /** Ask for PartialObjectMetadata: enough when only names and labels are read. */
  readonly metadataOnly: boolean;
  readonly decode: (value: unknown) => Decoded<T>;
}

/**
 * Pods in all namespaces, except finished ones: Succeeded and Failed pods hold no port,
 * and filtering them on the server keeps both the list and the watch small. A pod that
 * finishes then arrives as DELETED, because it no longer matches the field selector.
 */
export const PODS: ResourceSpec<PodLike> = {
  path: '/api/v1/pods',
  fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
  metadataOnly: false,
  decode: decodePod,
};

/**
 * Pods in all namespaces for the scan: all but Succeeded ones, because a pod the kubelet
 * refused is Failed (reason NodePorts), and with the status details that say why a pod
 * cannot run.
 */
export const SCAN_PODS: ResourceSpec<PodLike> = {
  path: '/api/v1/pods',
  fieldSelector: 'status.phase!=Succeeded',
  metadataOnly: false,
  decode: decodePodWithStatus,
};

/**
 * All nodes, whole: the scheduler's filters read labels, `spec.taints` and
 * `spec.unschedulable`, and a metadata-only answer has no spec. Nodes change rarely (the
 * kubelet's heartbeat is a Lease, its status only every few minutes), and the index keeps
 * only the few fields read.
 */
export const NODES: ResourceSpec<NodeEntry> = {
  path: '/api/v1/nodes',
  metadataOnly: false,
  decode: decodeNode,
};

/**
 * Only namespaces carrying the mode label (an existence selector), metadata only. A
 * namespace whose label is removed arrives as DELETED.
 */
export const NAMESPACES: ResourceSpec<NamespaceEntry> = {
  path: '/api/v1/namespaces',
  labelSelector: MODE_LABEL,
  metadataOnly: true,
  decode: decodeNamespace,
};

/** Every PriorityClass: pods' priorities for preemption are resolved from them where a pod carries none. */
export const PRIORITY_CLASSES: ResourceSpec<PriorityClassInfo> = {
  path: '/apis/scheduling.k8s.io/v1/priorityclasses',
  metadataOnly: false,
  decode: decodePriorityClass,
};
