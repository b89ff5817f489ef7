import type { NodeFilter, NodeInfo } from './node-filter.js';
import type { PriorityClasses } from './priority.js';
import type { Occupant } from './types.js';

/**
 * What a decision needs to know about the cluster. The live index, a static snapshot and
 * test fixtures all implement it; every lookup must cost O(result), never a scan of all
 * pods, because it runs on the admission path (counting nodes costs one step per set of
 * node traits, or per node when a pod's placement names nodes).
 */
export interface PortView extends PriorityClasses {
  /** Pods holding host ports on `node` (including admitted pods not yet seen by the watch). */
  occupantsOn(node: string): Iterable<Occupant>;
  /** Pods holding host port number `port` on any node, whatever protocol or hostIP. */
  holdersOfPort(port: number): Iterable<Occupant>;
  /** The node whose `kubernetes.io/hostname` label is `hostname`, if one is known. */
  nodeForHostname(hostname: string): string | undefined;
  /** How many nodes the cluster has. */
  nodeCount(): number;
  /** The node named `name` as the scheduler's filters read it, if it is known. */
  node(name: string): NodeInfo | undefined;
  /** How many known nodes pass `filter`: the candidate nodes of "used on 3 of 5 candidate nodes". */
  countNodes(filter: NodeFilter): number;
}
