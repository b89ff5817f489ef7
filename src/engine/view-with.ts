import { samePod } from './conflicts.js';
import type { Occupant } from './types.js';
import type { PortView } from './view.js';

/**
 * `view` plus `extra` occupants: pods known from elsewhere than the view's own source
 * (another replica's reservations). One the view already shows (the same pod) is not
 * added twice, so it is never named twice. Lookups stay O(result + extra).
 */
export function viewWith(view: PortView, extra: readonly Occupant[]): PortView {
  if (extra.length === 0) return view;
  const plus = (shown: Iterable<Occupant>, wanted: (o: Occupant) => boolean): Occupant[] => {
    const list = [...shown];
    return [...list, ...extra.filter((e) => wanted(e) && !list.some((o) => samePod(o.pod, e.pod)))];
  };
  return {
    occupantsOn: (node) => plus(view.occupantsOn(node), (e) => e.node === node),
    holdersOfPort: (port) => plus(view.holdersOfPort(port), (e) => e.ports.some((p) => p.port === port)),
    nodeForHostname: (hostname) => view.nodeForHostname(hostname),
    nodeCount: () => view.nodeCount(),
    node: (name) => view.node(name),
    countNodes: (filter) => view.countNodes(filter),
    priorityClass: (name) => view.priorityClass(name),
    defaultPriorityClass: () => view.defaultPriorityClass(),
  };
}
