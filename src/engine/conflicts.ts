import { protocolOf } from './host-ports.js';
import { canonicalIP, IPV4_ANY } from './ip.js';
import type { HeldPort, HostPort, Occupant, OwnerRef, PodRef, PortTriple, ReservedPort } from './types.js';

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

/** The conflict of the incoming `port` with `held`, which `occupant` holds on its node. */
export function podConflict(port: HostPort, held: HostPort, occupant: Occupant, rule: CollisionRule): PodConflict {
  return { ...holderFacts(occupant), port, held, rule };
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

/** Where a search finds held ports: those colliding with one incoming port (on a node, or anywhere). */
export type HeldLookup = (port: HostPort) => Iterable<HeldPort>;

/** What a search found: the first conflicts, and how many there are in all. */
export interface ConflictSearch {
  /** At most the search's limit, in the order of the incoming ports, then of the held ones. */
  readonly conflicts: readonly PodConflict[];
  /** Every conflict found; more than `conflicts.length` when the list stopped at the limit. */
  readonly total: number;
  /** False when the search stopped at its budget of held ports: `total` is then a lower bound. */
  readonly complete: boolean;
}

/** How far a search may go: conflicts listed, and held ports looked at before it stops. */
export interface SearchLimits {
  readonly listed: number;
  readonly examined: number;
}

/**
 * Every collision between the incoming `ports` and the held ports `lookup` returns for
 * each, skipping the occupants `skip` names (the pod itself, a workload's own pods). It
 * costs (incoming ports x colliding held ports): `lookup` is keyed by protocol, port and
 * address, so nothing that cannot collide is visited. Past `limits.listed`, conflicts are
 * only counted (and handed to `visit`, which sees every one found), so a pathological pair
 * of pods never builds millions of objects; past `limits.examined` held ports the search
 * stops, so even millions of genuine conflicts cost a bounded time.
 */
export function findConflicts(
  ports: readonly HostPort[],
  lookup: HeldLookup,
  skip: (occupant: Occupant) => boolean,
  limits: SearchLimits = { listed: Number.POSITIVE_INFINITY, examined: Number.POSITIVE_INFINITY },
  visit: (port: HostPort, held: HostPort, occupant: Occupant, rule: CollisionRule) => void = () => undefined,
): ConflictSearch {
  const conflicts: PodConflict[] = [];
  let total = 0;
  let examined = 0;
  for (const port of ports) {
    for (const { occupant, held } of lookup(port)) {
      examined += 1;
      if (examined > limits.examined) return { conflicts, total, complete: false };
      if (skip(occupant)) continue;
      const rule = collision(port, held);
      if (rule === undefined) continue;
      total += 1;
      visit(port, held, occupant, rule);
      if (conflicts.length < limits.listed) conflicts.push(podConflict(port, held, occupant, rule));
    }
  }
  return { conflicts, total, complete: true };
}
