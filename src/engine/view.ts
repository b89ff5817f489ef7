import type { NodeFilter, NodeInfo } from './node-filter.js';
import type { HolderOrder, PortSummary } from './port-summary.js';
import type { PriorityClasses } from './priority.js';
import type { HeldPort, PodRef, PortTriple } from './types.js';

/**
 * What a decision needs to know about the cluster. The live index, a static snapshot and
 * test fixtures all implement it; every lookup must cost O(result), never a scan of a
 * node's or the cluster's ports, because it runs on the admission path (HeldPorts in
 * held-ports.ts does the keying; counting nodes costs one step per set of node traits, or
 * per node when a pod's placement names nodes).
 */
export interface PortView extends PriorityClasses {
  /**
   * The ports held on `node` that collide with `port`: same protocol and number, and a
   * hostIP that overlaps (including admitted pods not yet seen by the watch).
   */
  heldOn(node: string, port: PortTriple): Iterable<HeldPort>;
  /** The same on every node. */
  heldAnywhere(port: PortTriple): Iterable<HeldPort>;
  /** The node whose `kubernetes.io/hostname` label is `hostname`, if one is known. */
  nodeForHostname(hostname: string): string | undefined;
  /** How many nodes the cluster has. */
  nodeCount(): number;
  /** The node named `name` as the scheduler's filters read it, if it is known. */
  node(name: string): NodeInfo | undefined;
  /** How many known nodes pass `filter`: the candidate nodes of "used on 3 of 5 candidate nodes". */
  countNodes(filter: NodeFilter): number;
  /**
   * Every held port of `port`'s protocol and number on any node, summarised with holders
   * named first in `order` (port-summary.ts): undefined when the view keeps no summaries,
   * or the held ports cannot be summarised. A view may keep one summary per key while
   * nothing changes, so callers pass one `order` and `named` throughout.
   */
  summary?(port: PortTriple, order: HolderOrder, named: number): PortSummary | undefined;
  /**
   * Whether a pod that is `ref` (samePod in conflicts.ts) may hold ports in the view: false
   * only when none does. A decision that skips its own pod uses a summary only then.
   */
  mayHold?(ref: PodRef): boolean;
}
