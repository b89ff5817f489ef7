import { MODE_LABEL } from '../admission/policy.js';
import type { PodLike } from '../engine/types.js';
import { decodeNamespace, decodeNode, decodePod } from './convert.js';
import type { ResourceSpec } from './kube-list-watch.js';
import type { NamespaceEntry, NodeEntry } from './pod-index.js';

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

/** All nodes, metadata only: only the name and the hostname label are read. */
export const NODES: ResourceSpec<NodeEntry> = {
  path: '/api/v1/nodes',
  metadataOnly: true,
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
