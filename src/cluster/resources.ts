import type { CoreV1Api, V1ListMeta } from '@kubernetes/client-node';

import { MODE_LABEL } from '../admission/policy.js';
import type { PodLike } from '../engine/types.js';
import type { Decoded } from './convert.js';
import { decodeNamespace, decodeNode, decodePod, decodePodWithStatus } from './convert.js';
import type { NamespaceEntry, NodeEntry } from './pod-index.js';

/** One page of a list, as the typed API returns it (its items still to be decoded). */
export interface TypedList {
  readonly metadata?: V1ListMeta;
  /**
   * The typed API does not check what it deserializes: Go encodes an empty slice as
   * null, and a body that is no list at all leaves the items undefined.
   */
  readonly items: readonly unknown[] | null | undefined;
}

/** The query of one list page. */
export interface PageQuery {
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
  readonly limit?: number;
  readonly _continue?: string;
}

/** One kind of object to list and watch. */
export interface ResourceSpec<T> {
  /** Collection path, e.g. `/api/v1/pods` (all namespaces): where the watch goes, and what errors name. */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
  /** Ask for PartialObjectMetadata: enough when only names and labels are read. */
  readonly metadataOnly: boolean;
  /** Lists one page through the typed API. */
  readonly list: (api: CoreV1Api, query: PageQuery) => Promise<TypedList>;
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
  list: (api, query) => api.listPodForAllNamespaces(query),
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
  list: (api, query) => api.listPodForAllNamespaces(query),
  decode: decodePodWithStatus,
};

/** All nodes, metadata only: only the name and the hostname label are read. */
export const NODES: ResourceSpec<NodeEntry> = {
  path: '/api/v1/nodes',
  metadataOnly: true,
  list: (api, query) => api.listNode(query),
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
  list: (api, query) => api.listNamespace(query),
  decode: decodeNamespace,
};
