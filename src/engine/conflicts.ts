import { DEFAULT_PROTOCOL } from './host-ports.js';
import { canonicalIP, IPV4_ANY } from './ip.js';
import type { HostPort, Occupant, OwnerRef, PodRef, PortTriple, ReservedPort } from './types.js';

/**
 * Why two ports collide. The first two are the scheduler's own HostPortInfo rule; the
 * last two are where hostport-guard is deliberately stricter, because the kernel is.
 */
export type CollisionRule =
  /** Both sides name the same hostIP string. */
  | 'same-ip'
  /** One side is `0.0.0.0` (or empty), which takes the port on every IPv4 address. */
  | 'ipv4-wildcard'
  /** One side is `::` in some spelling: on Linux it also takes the IPv4 port unless bindv6only is set. */
  | 'ipv6-wildcard'
  /** The hostIPs are spelled differently but are one address (`fd00::1` and `fd00:0::1`, `::ffff:10.0.0.1` and `10.0.0.1`). */
  | 'same-ip-normalised'
  /** One side is the IPv4 wildcard spelled as a mapped address (`::ffff:0.0.0.0`), the other an IPv4 address. */
  | 'ipv4-wildcard-normalised';

/** True when the scheduler (and the kubelet's NodePorts check) would see this collision too. */
export function schedulerAgrees(rule: CollisionRule): boolean {
  return rule === 'same-ip' || rule === 'ipv4-wildcard';
}

/**
 * Whether two host ports collide on one node, and by which rule; undefined when they can
 * coexist. Protocols are compared exactly, like the scheduler: TCP and UDP never collide.
 */
export function collision(a: PortTriple, b: PortTriple): CollisionRule | undefined {
  if (a.port !== b.port || protocolOf(a) !== protocolOf(b)) return undefined;
  const ipA = a.hostIP === '' ? IPV4_ANY : a.hostIP;
  const ipB = b.hostIP === '' ? IPV4_ANY : b.hostIP;
  if (ipA === IPV4_ANY || ipB === IPV4_ANY) return 'ipv4-wildcard';
  if (ipA === ipB) return 'same-ip';
  const canonA = canonicalIP(ipA);
  const canonB = canonicalIP(ipB);
  if ((canonA.wildcard && canonA.family === 6) || (canonB.wildcard && canonB.family === 6)) return 'ipv6-wildcard';
  if (canonA.wildcard || canonB.wildcard) {
    // A mapped `::ffff:0.0.0.0` is the IPv4 wildcard in another spelling: it takes every
    // IPv4 address but no native IPv6 one.
    return canonA.family === 4 && canonB.family === 4 ? 'ipv4-wildcard-normalised' : undefined;
  }
  if (canonA.text === canonB.text) return 'same-ip-normalised';
  return undefined;
}

/** The scheduler's protocol: an empty one means TCP. */
function protocolOf(port: PortTriple): string {
  return port.protocol === '' ? DEFAULT_PROTOCOL : port.protocol;
}

/** One collision between a port of the incoming pod and a port a pod holds on a node. */
export interface PodConflict {
  readonly kind: 'pod';
  readonly node: string;
  /** The incoming pod's port. */
  readonly port: HostPort;
  /** The port already held, and the pod holding it. */
  readonly held: HostPort;
  readonly holder: PodRef;
  readonly holderTerminating: boolean;
  /** The holder's controller, so a DaemonSet pod can tell its own predecessor apart. */
  readonly holderOwner?: OwnerRef;
  /** The holder's priority (or the class to resolve it from), for preemption. */
  readonly holderPriority?: number;
  readonly holderPriorityClassName?: string;
  readonly rule: CollisionRule;
}

/** One collision between a port of the incoming pod and a node daemon's reserved port. */
export interface ReservedConflict {
  readonly kind: 'reserved';
  /** The pod's node, or null when it is not known yet: a reserved port is held on every node. */
  readonly node: string | null;
  readonly port: HostPort;
  readonly held: ReservedPort;
  readonly rule: CollisionRule;
}

/** A collision with a pod on the node, or with a node daemon's port. */
export type Conflict = PodConflict | ReservedConflict;

/** What a conflict keeps of its holder besides the port: the same for each of its ports. */
function holderFacts(occupant: Occupant): Omit<PodConflict, 'port' | 'held' | 'rule'> {
  const { pod: holder, node, terminating: holderTerminating, owner, priority, priorityClassName } = occupant;
  return {
    kind: 'pod',
    node,
    holder,
    holderTerminating,
    ...(owner === undefined ? {} : { holderOwner: owner }),
    ...(priority === undefined ? {} : { holderPriority: priority }),
    ...(priorityClassName === undefined ? {} : { holderPriorityClassName: priorityClassName }),
  };
}

/**
 * Every collision between `ports` and the pods in `occupants`, one per colliding pair, in
 * the order the occupants come: the one builder of pod conflicts, for a known node and
 * for a search across nodes alike. An occupant met twice counts once (holdersOfPort lists
 * a pod once per port it holds); a pod never conflicts with itself, and `skip` leaves out
 * others: pods on nodes the incoming pod cannot use, a workload's own pods.
 */
export function podConflicts(
  ports: readonly HostPort[],
  occupants: Iterable<Occupant>,
  self: PodRef,
  skip: (occupant: Occupant) => boolean = () => false,
): PodConflict[] {
  const found: PodConflict[] = [];
  if (ports.length === 0) return found;
  const seen = new Set<Occupant>();
  for (const occupant of occupants) {
    if (seen.has(occupant)) continue;
    seen.add(occupant);
    if (samePod(occupant.pod, self) || skip(occupant)) continue;
    let facts: Omit<PodConflict, 'port' | 'held' | 'rule'> | undefined;
    for (const port of ports) {
      for (const held of occupant.ports) {
        const rule = collision(port, held);
        if (rule === undefined) continue;
        facts ??= holderFacts(occupant);
        found.push({ ...facts, port, held, rule });
      }
    }
  }
  return found;
}

/** The conflicts of `ports` with the pods occupying `node` (podConflicts, for one node). */
export function conflictsOn(
  node: string,
  ports: readonly HostPort[],
  occupants: Iterable<Occupant>,
  self: PodRef,
  exclude: (occupant: Occupant) => boolean = () => false,
): PodConflict[] {
  return podConflicts(ports, occupants, self, (o) => o.node !== node || exclude(o));
}

/**
 * The conflicts of `ports` with node daemons' reserved ports, under the same collision
 * rule as pods: `0.0.0.0:10248` takes the kubelet's `127.0.0.1:10248`, `10.0.0.5:10248`
 * does not, and UDP 10250 never meets TCP 10250. `node` is the pod's node when known.
 */
export function reservedConflicts(node: string | null, ports: readonly HostPort[], reserved: readonly ReservedPort[]): ReservedConflict[] {
  const found: ReservedConflict[] = [];
  for (const port of ports) {
    for (const held of reserved) {
      const rule = collision(port, { protocol: held.protocol, hostIP: held.hostIP ?? IPV4_ANY, port: held.port });
      if (rule !== undefined) found.push({ kind: 'reserved', node, port, held, rule });
    }
  }
  return found;
}

/**
 * True when two references name the same pod: same uid, or same namespace and name. A
 * generated name is only a prefix that many pods share, so only its uid identifies it.
 */
export function samePod(a: PodRef, b: PodRef): boolean {
  if (a.uid !== undefined && a.uid !== '' && a.uid === b.uid) return true;
  if (a.generated === true || b.generated === true) return false;
  return a.namespace === b.namespace && a.name === b.name && a.name !== '';
}
