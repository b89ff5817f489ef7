import type { NodeSelectorTerm, PodSpecLike } from './types.js';

/** The well-known label that carries a node's hostname. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** How an incoming pod's node is known before the scheduler has run. */
export type TargetNode =
  | { readonly kind: 'pinned'; readonly node: string; readonly via: 'nodeName' | 'daemonset-affinity' | 'hostname-selector' }
  | { readonly kind: 'unpinned' };

/**
 * The node named by a DaemonSet-style affinity: exactly one required term holding
 * exactly `matchFields: [{key: metadata.name, operator: In, values: [NODE]}]`, which is
 * what the DaemonSet controller writes into each pod it creates.
 */
function daemonSetNode(terms: readonly NodeSelectorTerm[] | undefined): string | undefined {
  if (terms?.length !== 1) return undefined;
  const [term] = terms;
  if (term === undefined || (term.matchExpressions?.length ?? 0) > 0) return undefined;
  if (term.matchFields?.length !== 1) return undefined;
  const [field] = term.matchFields;
  if (field?.key !== 'metadata.name' || field.operator !== 'In') return undefined;
  if (field.values?.length !== 1) return undefined;
  return field.values[0];
}

/**
 * The node a pod will run on if that is already decided: `nodeName`; else a
 * DaemonSet-style single `matchFields metadata.name In [N]` term; else a
 * `kubernetes.io/hostname` nodeSelector naming a node that exists
 * (`nodeForHostname` maps a label value to the node carrying it).
 */
export function targetNodeOf(
  spec: PodSpecLike,
  nodeForHostname: (hostname: string) => string | undefined,
): TargetNode {
  if (spec.nodeName !== undefined && spec.nodeName !== '') {
    return { kind: 'pinned', node: spec.nodeName, via: 'nodeName' };
  }
  const dsNode = daemonSetNode(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms);
  if (dsNode !== undefined && dsNode !== '') return { kind: 'pinned', node: dsNode, via: 'daemonset-affinity' };
  const hostname = spec.nodeSelector?.[HOSTNAME_LABEL];
  if (hostname !== undefined) {
    const node = nodeForHostname(hostname);
    if (node !== undefined) return { kind: 'pinned', node, via: 'hostname-selector' };
  }
  return { kind: 'unpinned' };
}
