import { samePod } from './conflicts.js';
import { HeldPorts } from './held-ports.js';
import type { HeldPort, Occupant } from './types.js';
import type { PortView } from './view.js';

/**
 * `view` plus `extra` occupants: pods known from elsewhere than the view's own source
 * (another replica's reservations), keyed like the index (HeldPorts). One the view
 * already shows (the same pod) is not added twice, so it is never named twice. Lookups
 * stay O(result + extra).
 */
export function viewWith(view: PortView, extra: readonly Occupant[]): PortView {
  if (extra.length === 0) return view;
  const held = new HeldPorts();
  for (const e of extra) held.add(e);
  const plus = (shown: Iterable<HeldPort>, more: Iterable<HeldPort>): HeldPort[] => {
    const list = [...shown];
    return [...list, ...[...more].filter((e) => !list.some((h) => samePod(h.occupant.pod, e.occupant.pod)))];
  };
  return {
    heldOn: (node, port) => plus(view.heldOn(node, port), held.collidingOn(node, port)),
    heldAnywhere: (port) => plus(view.heldAnywhere(port), held.collidingAnywhere(port)),
    nodeForHostname: (hostname) => view.nodeForHostname(hostname),
    nodeCount: () => view.nodeCount(),
    node: (name) => view.node(name),
    countNodes: (filter) => view.countNodes(filter),
    priorityClass: (name) => view.priorityClass(name),
    defaultPriorityClass: () => view.defaultPriorityClass(),
  };
}
