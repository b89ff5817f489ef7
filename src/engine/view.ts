import type { Occupant } from './types.js';

/**
 * What a decision needs to know about the cluster. The live index, a static snapshot and
 * test fixtures all implement it; every lookup must cost O(result), never a scan of all
 * pods, because it runs on the admission path.
 */
export interface PortView {
  /** Pods holding host ports on `node` (including admitted pods not yet seen by the watch). */
  occupantsOn(node: string): Iterable<Occupant>;
  /** Pods holding host port number `port` on any node, whatever protocol or hostIP. */
  holdersOfPort(port: number): Iterable<Occupant>;
  /** The node whose `kubernetes.io/hostname` label is `hostname`, if one is known. */
  nodeForHostname(hostname: string): string | undefined;
  /** How many nodes the cluster has, for "used on 3 of 5 nodes". */
  nodeCount(): number;
}
