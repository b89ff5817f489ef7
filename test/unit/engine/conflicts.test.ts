import { describe, expect, it } from '@jest/globals';

import type { CollisionRule } from '../../../src/engine/conflicts.js';
import type { PodConflict } from '../../../src/engine/conflicts.js';
import { collision, findConflicts, reservedConflicts, samePod, schedulerAgrees } from '../../../src/engine/conflicts.js';
import { HeldPorts } from '../../../src/engine/held-ports.js';
import { hostPortsOf } from '../../../src/engine/host-ports.js';
import { occupantOf } from '../../../src/engine/occupancy.js';
import type { ContainerPortSpec, ContainerSpec, HostPort, Occupant, PodRef, ReservedPort } from '../../../src/engine/types.js';
import { container, hostPort, occupant, pod, portSpec, ref, sidecar } from '../../fixtures/pods.js';

/** (protocol, hostIP, hostPort) as a manifest spells it: empty strings are left for the defaults. */
type Triple = readonly [protocol: string, hostIP: string, port: number];

/** A container port declaring `triple` on a pod without hostNetwork (a plain hostPort pod). */
function declared([protocol, hostIP, port]: Triple): ContainerPortSpec {
  return portSpec(port, { containerPort: 80, protocol, hostIP });
}

/** The ports a hostPort pod declaring `triples` in one container holds. */
function heldBy(triples: readonly Triple[]): HostPort[] {
  return hostPortsOf({ containers: [container('app', triples.map(declared))] });
}

function keyOf(p: HostPort): string {
  return `${p.protocol}/${p.hostIP}/${p.port}`;
}

const INCOMING = ref('team-b/incoming');

/** The conflicts of `ports` on `node` among `occupants`, searched the way decide() does: through HeldPorts. */
function conflictsOn(
  node: string,
  ports: readonly HostPort[],
  occupants: readonly Occupant[],
  self: PodRef,
  exclude: (o: Occupant) => boolean = () => false,
): PodConflict[] {
  const held = new HeldPorts();
  for (const o of occupants) held.add(o);
  return [...findConflicts(ports, (p) => held.collidingOn(node, p), (o) => samePod(o.pod, self) || exclude(o)).conflicts];
}

/**
 * The scheduler's HostPortInfo tables (pkg/scheduler/framework/types_test.go,
 * TestHostPortInfo_AddRemove and TestHostPortInfo_Check), restated for this engine.
 */
describe("the scheduler's HostPortInfo check cases", () => {
  interface Row {
    readonly name: string;
    readonly held: readonly Triple[];
    readonly incoming: Triple;
    readonly collides: boolean;
  }

  const rows: readonly Row[] = [
    {
      name: 'lets a port 81 with no protocol and no hostIP coexist with 127.0.0.1:80/TCP',
      held: [['TCP', '127.0.0.1', 80]],
      incoming: ['', '', 81],
      collides: false,
    },
    {
      name: 'denies a port 80 with no protocol and no hostIP (so TCP on 0.0.0.0) next to 127.0.0.1:80/TCP',
      held: [['TCP', '127.0.0.1', 80]],
      incoming: ['', '', 80],
      collides: true,
    },
    {
      name: 'ignores an incoming hostPort 0, which holds nothing',
      held: [['TCP', '127.0.0.1', 80]],
      incoming: ['', '', 0],
      collides: false,
    },
    {
      name: 'denies 0.0.0.0:80/TCP because it overlaps 127.0.0.1:80/TCP',
      held: [['TCP', '127.0.0.1', 80]],
      incoming: ['TCP', '0.0.0.0', 80],
      collides: true,
    },
    {
      name: 'lets 0.0.0.0:80/TCP coexist with 127.0.0.1:80/UDP',
      held: [['UDP', '127.0.0.1', 80]],
      incoming: ['TCP', '0.0.0.0', 80],
      collides: false,
    },
    {
      name: 'lets 0.0.0.0:80/TCP coexist with 127.0.0.1 on TCP 79, 81 and 82',
      held: [['TCP', '127.0.0.1', 79], ['TCP', '127.0.0.1', 81], ['TCP', '127.0.0.1', 82]],
      incoming: ['TCP', '0.0.0.0', 80],
      collides: false,
    },
    {
      name: 'denies 127.0.0.1:80/TCP because 0.0.0.0:80/TCP is held',
      held: [['TCP', '0.0.0.0', 80]],
      incoming: ['TCP', '127.0.0.1', 80],
      collides: true,
    },
    {
      name: 'lets 127.0.0.1:80/TCP coexist with 0.0.0.0 on TCP 79, 81, 82 and UDP 80',
      held: [['TCP', '0.0.0.0', 79], ['UDP', '0.0.0.0', 80], ['TCP', '0.0.0.0', 81], ['TCP', '0.0.0.0', 82]],
      incoming: ['TCP', '127.0.0.1', 80],
      collides: false,
    },
    {
      name: 'lets 127.0.0.1:80/TCP coexist with 127.0.0.1 on TCP 79, 81, 82 and UDP 80',
      held: [['TCP', '127.0.0.1', 79], ['UDP', '127.0.0.1', 80], ['TCP', '127.0.0.1', 81], ['TCP', '127.0.0.1', 82]],
      incoming: ['TCP', '127.0.0.1', 80],
      collides: false,
    },
  ];

  it.each(rows)('$name', ({ held, incoming, collides }) => {
    const holder = occupant({ pod: ref('team-a/holder'), node: 'node-a', ports: heldBy(held) });
    const found = conflictsOn('node-a', heldBy([incoming]), [holder], INCOMING);
    expect(found.length > 0).toBe(collides);
    for (const c of found) expect(schedulerAgrees(c.rule)).toBe(true);
  });
});

describe("the scheduler's HostPortInfo add and remove cases", () => {
  interface Row {
    readonly name: string;
    readonly added: readonly Triple[];
    readonly removed: readonly Triple[];
    readonly remaining: number;
  }

  const explicit: readonly Triple[] = [
    ['TCP', '127.0.0.1', 79],
    ['UDP', '127.0.0.1', 80],
    ['TCP', '127.0.0.1', 81],
    ['TCP', '127.0.0.1', 82],
    ['TCP', '0.0.0.0', 79],
    ['UDP', '0.0.0.0', 80],
    ['TCP', '0.0.0.0', 81],
    ['TCP', '0.0.0.0', 82],
  ];
  const defaulted: readonly Triple[] = [
    ['', '127.0.0.1', 79],
    ['UDP', '127.0.0.1', 80],
    ['', '127.0.0.1', 81],
    ['', '127.0.0.1', 82],
    ['', '', 79],
    ['UDP', '', 80],
    ['', '', 81],
    ['', '', 82],
  ];

  const rows: readonly Row[] = [
    {
      name: 'holds eight distinct triples for eight real ports, ignoring hostPort 0 and -1',
      added: [...explicit, ['TCP', '0.0.0.0', 0], ['TCP', '0.0.0.0', -1]],
      removed: [],
      remaining: 8,
    },
    {
      name: 'holds eight distinct triples when protocol and hostIP are left empty, ignoring hostPort 0 and -1',
      added: [...defaulted, ['', '', 0], ['', '', -1]],
      removed: [],
      remaining: 8,
    },
    {
      name: 'keeps nothing once the very same triples are taken away',
      added: explicit,
      removed: explicit,
      remaining: 0,
    },
    {
      name: 'keeps nothing once the same triples spelled with empty protocol and hostIP are taken away',
      added: explicit,
      removed: defaulted,
      remaining: 0,
    },
  ];

  it.each(rows)('$name', ({ added, removed, remaining }) => {
    const gone = new Set(heldBy(removed).map(keyOf));
    const kept = new Set(heldBy(added).map(keyOf));
    for (const key of gone) kept.delete(key);
    expect(kept.size).toBe(remaining);
  });

  it('gives the empty spellings exactly the triples of the explicit ones', () => {
    expect(heldBy(defaulted).map(keyOf)).toEqual(heldBy(explicit).map(keyOf));
  });
});

/**
 * The scheduler's NodePorts filter (pkg/scheduler/framework/plugins/nodeports/node_ports_test.go,
 * TestNodePorts with its sidecar cases, and TestFits), restated: an incoming pod against the one
 * pod already on the node.
 */
describe("the scheduler's NodePorts filter cases", () => {
  interface Row {
    readonly name: string;
    readonly incoming: { readonly containers: readonly ContainerSpec[]; readonly initContainers?: readonly ContainerSpec[] };
    readonly existing: readonly Triple[];
    readonly fits: boolean;
  }

  const app = (...triples: Triple[]) => ({ containers: [container('app', triples.map(declared))] });
  const tcp8001: ContainerPortSpec = portSpec(8001, { protocol: 'TCP' });

  const rows: readonly Row[] = [
    { name: 'fits a pod without ports on an empty node', incoming: { containers: [container('app')] }, existing: [], fits: true },
    {
      name: 'fits 127.0.0.1:8080/UDP next to 127.0.0.1:9090/UDP',
      incoming: app(['UDP', '127.0.0.1', 8080]),
      existing: [['UDP', '127.0.0.1', 9090]],
      fits: true,
    },
    {
      name: 'rejects 127.0.0.1:8080/UDP next to the same UDP port',
      incoming: app(['UDP', '127.0.0.1', 8080]),
      existing: [['UDP', '127.0.0.1', 8080]],
      fits: false,
    },
    {
      name: 'rejects 127.0.0.1:8080/TCP next to the same TCP port',
      incoming: app(['TCP', '127.0.0.1', 8080]),
      existing: [['TCP', '127.0.0.1', 8080]],
      fits: false,
    },
    {
      name: 'fits 127.0.0.1:8080/TCP next to 127.0.0.2:8080/TCP',
      incoming: app(['TCP', '127.0.0.1', 8080]),
      existing: [['TCP', '127.0.0.2', 8080]],
      fits: true,
    },
    {
      name: 'fits 127.0.0.1:8080/UDP next to 127.0.0.1:8080/TCP',
      incoming: app(['UDP', '127.0.0.1', 8080]),
      existing: [['TCP', '127.0.0.1', 8080]],
      fits: true,
    },
    {
      name: 'rejects a pod whose second UDP port 8080 is taken',
      incoming: app(['UDP', '127.0.0.1', 8000], ['UDP', '127.0.0.1', 8080]),
      existing: [['UDP', '127.0.0.1', 8080]],
      fits: false,
    },
    {
      name: 'rejects a pod whose first port 8001/TCP is taken while its UDP port is free',
      incoming: app(['TCP', '127.0.0.1', 8001], ['UDP', '127.0.0.1', 8080]),
      existing: [['TCP', '127.0.0.1', 8001], ['UDP', '127.0.0.1', 8081]],
      fits: false,
    },
    {
      name: 'rejects 0.0.0.0:8001/TCP because it overlaps 127.0.0.1:8001/TCP',
      incoming: app(['TCP', '0.0.0.0', 8001]),
      existing: [['TCP', '127.0.0.1', 8001]],
      fits: false,
    },
    {
      name: 'rejects a pod with 10.0.10.10:8001 and 0.0.0.0:8001 whose wildcard overlaps 127.0.0.1:8001',
      incoming: app(['TCP', '10.0.10.10', 8001], ['TCP', '0.0.0.0', 8001]),
      existing: [['TCP', '127.0.0.1', 8001]],
      fits: false,
    },
    {
      name: 'rejects 127.0.0.1:8001/TCP because 0.0.0.0:8001/TCP is held',
      incoming: app(['TCP', '127.0.0.1', 8001]),
      existing: [['TCP', '0.0.0.0', 8001]],
      fits: false,
    },
    {
      name: 'fits 127.0.0.1:8001/UDP next to 0.0.0.0:8001/TCP',
      incoming: app(['UDP', '127.0.0.1', 8001]),
      existing: [['TCP', '0.0.0.0', 8001]],
      fits: true,
    },
    {
      name: 'rejects 127.0.0.1:8001/UDP because 0.0.0.0:8001/UDP is held besides the TCP one',
      incoming: app(['UDP', '127.0.0.1', 8001]),
      existing: [['TCP', '0.0.0.0', 8001], ['UDP', '0.0.0.0', 8001]],
      fits: false,
    },
    {
      name: 'fits a pod whose only hostPort 8001 sits on an ordinary init container',
      incoming: { containers: [container('app')], initContainers: [container('setup', [tcp8001])] },
      existing: [['TCP', '0.0.0.0', 8001]],
      fits: true,
    },
    {
      name: 'rejects a pod whose sidecar init container takes 8001/TCP, which 0.0.0.0:8001/TCP holds',
      incoming: { containers: [container('app')], initContainers: [sidecar('proxy', [tcp8001])] },
      existing: [['TCP', '0.0.0.0', 8001]],
      fits: false,
    },
    {
      name: 'fits 127.0.0.1:80 next to 127.0.0.1:9090',
      incoming: app(['TCP', '127.0.0.1', 80]),
      existing: [['TCP', '127.0.0.1', 9090]],
      fits: true,
    },
    {
      name: 'fits four ports on 127.0.0.1 and 127.0.1.1 next to three other ports',
      incoming: app(['TCP', '127.0.0.1', 80], ['TCP', '127.0.1.1', 80], ['TCP', '127.0.1.1', 90], ['TCP', '127.0.1.1', 100]),
      existing: [['TCP', '127.0.0.1', 9090], ['TCP', '127.0.0.1', 9191], ['TCP', '127.0.1.1', 8080]],
      fits: true,
    },
    {
      name: 'fits 127.0.0.1:80/TCP next to 127.0.0.1:80/UDP',
      incoming: app(['TCP', '127.0.0.1', 80]),
      existing: [['UDP', '127.0.0.1', 80]],
      fits: true,
    },
    {
      name: 'rejects 127.0.0.1:80/TCP next to the same port',
      incoming: app(['TCP', '127.0.0.1', 80]),
      existing: [['TCP', '127.0.0.1', 80]],
      fits: false,
    },
    {
      name: 'rejects four ports when one of them, 127.0.1.1:90, is taken',
      incoming: app(['TCP', '127.0.0.1', 80], ['TCP', '127.0.1.1', 80], ['TCP', '127.0.1.1', 90], ['TCP', '127.0.1.1', 100]),
      existing: [['TCP', '127.0.0.1', 9090], ['TCP', '127.0.1.1', 90], ['TCP', '127.0.1.1', 8080]],
      fits: false,
    },
  ];

  it.each(rows)('$name', ({ incoming, existing, fits }) => {
    const holderPod = pod({
      metadata: { name: 'holder', namespace: 'team-a', uid: 'uid-holder' },
      spec: { nodeName: 'm1', hostNetwork: false, containers: [container('app', existing.map(declared))] },
    });
    const holder = occupantOf(holderPod);
    const found = conflictsOn('m1', hostPortsOf(incoming), holder === undefined ? [] : [holder], INCOMING);
    expect(found.length === 0).toBe(fits);
    for (const c of found) expect(schedulerAgrees(c.rule)).toBe(true);
  });

  it('rejects a pod when the pod already on the node holds the port in its sidecar', () => {
    const holderPod = pod({
      metadata: { name: 'holder', namespace: 'team-a', uid: 'uid-holder' },
      spec: { nodeName: 'm1', hostNetwork: false, containers: [container('app')], initContainers: [sidecar('proxy', [tcp8001])] },
    });
    const holder = occupantOf(holderPod);
    expect(holder).toBeDefined();
    const found = conflictsOn('m1', heldBy([['TCP', '0.0.0.0', 8001]]), holder === undefined ? [] : [holder], INCOMING);
    expect(found.map((c) => [c.held.container, c.rule])).toEqual([['proxy', 'ipv4-wildcard']]);
  });
});

describe('collision', () => {
  interface Row {
    readonly name: string;
    readonly a: Triple;
    readonly b: Triple;
    readonly rule: CollisionRule | undefined;
  }

  const tcp80 = (hostIP: string): Triple => ['TCP', hostIP, 80];

  const rows: readonly Row[] = [
    // The scheduler's own rule
    { name: 'sees the same IPv4 address as the same port', a: tcp80('10.0.0.1'), b: tcp80('10.0.0.1'), rule: 'same-ip' },
    { name: 'lets two IPv4 addresses share a port', a: tcp80('10.0.0.1'), b: tcp80('10.0.0.2'), rule: undefined },
    { name: 'sees 0.0.0.0 overlap a specific IPv4 address', a: tcp80('0.0.0.0'), b: tcp80('10.0.0.1'), rule: 'ipv4-wildcard' },
    { name: 'sees an empty hostIP overlap a specific IPv4 address', a: tcp80(''), b: tcp80('10.0.0.1'), rule: 'ipv4-wildcard' },
    { name: 'sees 0.0.0.0 overlap 0.0.0.0', a: tcp80('0.0.0.0'), b: tcp80('0.0.0.0'), rule: 'ipv4-wildcard' },
    { name: 'sees 0.0.0.0 overlap an IPv6 address, as the scheduler does', a: tcp80('0.0.0.0'), b: tcp80('fd00::1'), rule: 'ipv4-wildcard' },
    { name: 'sees 0.0.0.0 overlap ::, as the scheduler does', a: tcp80('0.0.0.0'), b: tcp80('::'), rule: 'ipv4-wildcard' },
    { name: 'sees the same IPv6 spelling as the same port', a: tcp80('fd00::1'), b: tcp80('fd00::1'), rule: 'same-ip' },
    { name: 'sees :: against :: spelled alike as the same port', a: tcp80('::'), b: tcp80('::'), rule: 'same-ip' },
    { name: 'sees equal text that is no address as the same port', a: tcp80('localhost'), b: tcp80('localhost'), rule: 'same-ip' },

    // Stricter than the scheduler: :: in any spelling is a wildcard
    { name: 'sees :: overlap an IPv4 address', a: tcp80('::'), b: tcp80('10.0.0.1'), rule: 'ipv6-wildcard' },
    { name: 'sees an IPv4 address overlapped by ::', a: tcp80('10.0.0.1'), b: tcp80('::'), rule: 'ipv6-wildcard' },
    { name: 'sees 0:0:0:0:0:0:0:0 overlap an IPv4 address', a: tcp80('0:0:0:0:0:0:0:0'), b: tcp80('10.0.0.1'), rule: 'ipv6-wildcard' },
    { name: 'sees :: overlap an IPv6 address', a: tcp80('::'), b: tcp80('fd00::1'), rule: 'ipv6-wildcard' },
    { name: 'sees 0::0 overlap the IPv6 loopback', a: tcp80('0::0'), b: tcp80('::1'), rule: 'ipv6-wildcard' },
    { name: 'sees :: overlap 0:0:0:0:0:0:0:0', a: tcp80('::'), b: tcp80('0:0:0:0:0:0:0:0'), rule: 'ipv6-wildcard' },
    { name: 'sees :: overlap an IPv4-mapped address', a: tcp80('::'), b: tcp80('::ffff:10.0.0.1'), rule: 'ipv6-wildcard' },

    // Stricter than the scheduler: addresses compared after normalisation
    { name: 'sees fd00::1 and fd00:0:0:0:0:0:0:1 as one address', a: tcp80('fd00::1'), b: tcp80('fd00:0:0:0:0:0:0:1'), rule: 'same-ip-normalised' },
    { name: 'sees FD00::1 and fd00::1 as one address', a: tcp80('FD00::1'), b: tcp80('fd00::1'), rule: 'same-ip-normalised' },
    { name: 'sees fd00::0001 and fd00::1 as one address', a: tcp80('fd00::0001'), b: tcp80('fd00::1'), rule: 'same-ip-normalised' },
    { name: 'sees ::ffff:10.0.0.1 and 10.0.0.1 as one address', a: tcp80('::ffff:10.0.0.1'), b: tcp80('10.0.0.1'), rule: 'same-ip-normalised' },
    { name: 'sees 10.0.0.1 and ::ffff:a00:1 as one address', a: tcp80('10.0.0.1'), b: tcp80('::ffff:a00:1'), rule: 'same-ip-normalised' },

    // Different addresses
    { name: 'lets two IPv6 addresses share a port', a: tcp80('fd00::1'), b: tcp80('fd00::2'), rule: undefined },
    { name: 'lets the IPv6 and IPv4 loopbacks share a port', a: tcp80('::1'), b: tcp80('127.0.0.1'), rule: undefined },
    { name: 'lets ::ffff:10.0.0.1 and 10.0.0.2 share a port', a: tcp80('::ffff:10.0.0.1'), b: tcp80('10.0.0.2'), rule: undefined },
    { name: 'lets a name and an address share a port', a: tcp80('localhost'), b: tcp80('127.0.0.1'), rule: undefined },

    // Protocols and ports
    { name: 'lets TCP and UDP share a port on one address', a: ['TCP', '10.0.0.1', 80], b: ['UDP', '10.0.0.1', 80], rule: undefined },
    { name: 'lets TCP on 0.0.0.0 and UDP share a port', a: ['TCP', '0.0.0.0', 80], b: ['UDP', '10.0.0.1', 80], rule: undefined },
    { name: 'lets :: on TCP and UDP share a port', a: ['TCP', '::', 80], b: ['UDP', '::', 80], rule: undefined },
    { name: 'lets UDP and SCTP share a port', a: ['UDP', '0.0.0.0', 80], b: ['SCTP', '0.0.0.0', 80], rule: undefined },
    { name: 'lets TCP and SCTP share a port', a: ['TCP', '10.0.0.1', 80], b: ['SCTP', '10.0.0.1', 80], rule: undefined },
    { name: 'sees two SCTP ports on one address collide', a: ['SCTP', '10.0.0.1', 80], b: ['SCTP', '10.0.0.1', 80], rule: 'same-ip' },
    { name: 'sees SCTP on 0.0.0.0 overlap SCTP on an address', a: ['SCTP', '0.0.0.0', 80], b: ['SCTP', '10.0.0.1', 80], rule: 'ipv4-wildcard' },
    { name: 'sees SCTP on :: overlap SCTP on an IPv4 address', a: ['SCTP', '::', 80], b: ['SCTP', '10.0.0.1', 80], rule: 'ipv6-wildcard' },
    { name: 'lets two wildcards use different port numbers', a: ['TCP', '0.0.0.0', 80], b: ['TCP', '0.0.0.0', 81], rule: undefined },
    { name: 'lets :: use another port number than 0.0.0.0', a: ['TCP', '::', 80], b: ['TCP', '0.0.0.0', 81], rule: undefined },
  ];

  const triple = ([protocol, hostIP, port]: Triple) => ({ protocol, hostIP, port });

  it.each(rows)('$name', ({ a, b, rule }) => {
    expect(collision(triple(a), triple(b))).toBe(rule);
    expect(collision(triple(b), triple(a))).toBe(rule);
  });

  it('treats ::ffff:0.0.0.0 against 10.0.0.1 as a collision the scheduler does not see', () => {
    // The scheduler compares '::ffff:0.0.0.0' and '10.0.0.1' as strings: neither is '0.0.0.0'
    // and they differ, so it lets both pods run; only the kernel sees one wildcard.
    const rule = collision(triple(tcp80('::ffff:0.0.0.0')), triple(tcp80('10.0.0.1')));
    expect(rule).toBeDefined();
    expect(rule !== undefined && schedulerAgrees(rule)).toBe(false);
  });

  it('lets ::ffff:0.0.0.0 (the IPv4 wildcard, mapped) share a port with a native IPv6 address', () => {
    // A v4-mapped bind takes IPv4 addresses only (ipv6(7)), so [fd00::1]:80 stays free.
    expect(collision(triple(tcp80('::ffff:0.0.0.0')), triple(tcp80('fd00::1')))).toBeUndefined();
  });
});

describe('schedulerAgrees', () => {
  it.each([
    ['same-ip', true],
    ['ipv4-wildcard', true],
    ['ipv6-wildcard', false],
    ['same-ip-normalised', false],
  ] as const)('answers %s with %s', (rule, agrees) => {
    expect(schedulerAgrees(rule)).toBe(agrees);
  });
});

describe('samePod', () => {
  it.each([
    { name: 'matches the same namespace and name', a: ref('team-a/api', 'u1'), b: ref('team-a/api', 'u2'), same: true },
    { name: 'matches the same uid under another name', a: ref('team-a/api', 'u1'), b: ref('team-b/web', 'u1'), same: true },
    { name: 'keeps apart one name in two namespaces', a: ref('team-a/api', 'u1'), b: ref('team-b/api', 'u2'), same: false },
    { name: 'keeps apart two names in one namespace', a: ref('team-a/api', 'u1'), b: ref('team-a/web', 'u2'), same: false },
    { name: 'keeps apart two pods without names or uids', a: { namespace: 'team-a', name: '' }, b: { namespace: 'team-a', name: '' }, same: false },
    { name: 'keeps apart two pods with empty uids', a: { namespace: 'team-a', name: 'a', uid: '' }, b: { namespace: 'team-a', name: 'b', uid: '' }, same: false },
  ])('$name', ({ a, b, same }) => {
    expect(samePod(a, b)).toBe(same);
    expect(samePod(b, a)).toBe(same);
  });
});

describe('conflictsOn', () => {
  const incoming = [hostPort({ container: 'proxy' })];

  it('names the node, both ports, the holder and the rule', () => {
    const holder = occupant();
    expect(conflictsOn('worker-1', incoming, [holder], INCOMING)).toEqual([
      { kind: 'pod', node: 'worker-1', port: incoming[0], held: holder.ports[0], holder: holder.pod, holderTerminating: false, rule: 'ipv4-wildcard' },
    ]);
  });

  it('skips pods on other nodes', () => {
    expect(conflictsOn('worker-2', incoming, [occupant({ node: 'worker-1' })], INCOMING)).toEqual([]);
  });

  it('never lets a pod conflict with itself by namespace and name', () => {
    const self = occupant({ pod: { namespace: 'team-b', name: 'incoming' } });
    expect(conflictsOn('worker-1', incoming, [self], INCOMING)).toEqual([]);
  });

  it('never lets a pod conflict with itself by uid', () => {
    const self = occupant({ pod: { namespace: 'team-b', name: 'renamed', uid: 'uid-incoming' } });
    expect(conflictsOn('worker-1', incoming, [self], INCOMING)).toEqual([]);
  });

  it('skips what exclude says to skip and keeps the rest', () => {
    const mine = occupant({ pod: ref('team-b/mine'), owner: { kind: 'DaemonSet', name: 'agent', uid: 'ds-1' } });
    const other = occupant({ pod: ref('team-a/other') });
    const found = conflictsOn('worker-1', incoming, [mine, other], INCOMING, (o) => o.owner?.uid === 'ds-1');
    expect(found.map((c) => c.holder.name)).toEqual(['other']);
  });

  it('reports a terminating holder as terminating', () => {
    const found = conflictsOn('worker-1', incoming, [occupant({ terminating: true })], INCOMING);
    expect(found.map((c) => c.holderTerminating)).toEqual([true]);
  });

  it('finds nothing for a pod without ports', () => {
    expect(conflictsOn('worker-1', [], [occupant()], INCOMING)).toEqual([]);
  });

  it('reports every colliding pair, one conflict each', () => {
    const mine = [hostPort({ port: 80 }), hostPort({ port: 443 })];
    const holders = [
      occupant({ pod: ref('team-a/one'), ports: [hostPort({ port: 80, hostIP: '10.0.0.1' }), hostPort({ port: 443 })] }),
      occupant({ pod: ref('team-a/two'), ports: [hostPort({ port: 80, protocol: 'UDP' })] }),
    ];
    expect(conflictsOn('worker-1', mine, holders, INCOMING).map((c) => `${c.holder.name} ${c.port.port} ${c.rule}`)).toEqual([
      'one 80 ipv4-wildcard',
      'one 443 ipv4-wildcard',
    ]);
  });
});

describe('the conflicts findConflicts builds', () => {
  it("carry the holder's controller, so a DaemonSet pod can tell its predecessor apart", () => {
    const owner = { kind: 'DaemonSet', name: 'agent', uid: 'ds-1' };
    const found = conflictsOn('worker-1', [hostPort({ container: 'proxy' })], [occupant({ owner })], INCOMING);
    expect(found.map((c) => c.holderOwner)).toEqual([owner]);
  });

  it('leave holderOwner and the priority out for a pod without them', () => {
    const [found] = conflictsOn('worker-1', [hostPort({ container: 'proxy' })], [occupant()], INCOMING);
    expect(found === undefined ? [] : ['holderOwner', 'holderPriority', 'holderPriorityClassName'].filter((k) => k in found)).toEqual([]);
  });

  it("carry the holder's priority, or the class to resolve it from", () => {
    const found = conflictsOn('worker-1', [hostPort()], [occupant({ priority: 7 }), occupant({ pod: ref('team-a/b'), priorityClassName: 'low' })], INCOMING);
    expect(found.map((c) => [c.holder.name, c.holderPriority, c.holderPriorityClassName])).toEqual([
      ['api-7d9f', 7, undefined],
      ['b', undefined, 'low'],
    ]);
  });

  it('leave out what skip says, on any node', () => {
    const held = new HeldPorts();
    for (const o of [occupant({ node: 'worker-1' }), occupant({ pod: ref('team-a/b'), node: 'worker-2' })]) held.add(o);
    const search = findConflicts([hostPort()], (p) => held.collidingAnywhere(p), (o) => o.node === 'worker-1');
    expect(search.conflicts.map((c) => c.node)).toEqual(['worker-2']);
  });

  it('never name a pod with only a generateName as the incoming pod unless their uids are equal', () => {
    const generated = { namespace: 'team-a', name: 'api-', generated: true as const };
    const holder = occupant({ pod: { ...generated, uid: 'g-1' } });
    expect(conflictsOn('worker-1', [hostPort()], [holder], { ...generated, uid: 'g-2' })).toHaveLength(1);
    expect(conflictsOn('worker-1', [hostPort()], [holder], { ...generated, uid: 'g-1' })).toHaveLength(0);
  });
});

describe('reservedConflicts', () => {
  const KUBELET: readonly ReservedPort[] = [
    { owner: 'kubelet', protocol: 'TCP', port: 10250 },
    { owner: 'kubelet', protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 },
  ];

  it.each<[string, Triple, string[]]>([
    ['meets 10250/TCP on every address', ['', '', 10250], ['kubelet 10250 ipv4-wildcard']],
    ["meets 0.0.0.0:10248, which takes the kubelet's 127.0.0.1:10248", ['TCP', '0.0.0.0', 10248], ['kubelet 10248 ipv4-wildcard']],
    ["meets 127.0.0.1:10248 spelled as ::ffff:127.0.0.1", ['TCP', '::ffff:127.0.0.1', 10248], ['kubelet 10248 same-ip-normalised']],
    ['meets [::]:10248, which also takes the IPv4 port', ['TCP', '::', 10248], ['kubelet 10248 ipv6-wildcard']],
    ['lets 10.0.0.5:10248 be', ['TCP', '10.0.0.5', 10248], []],
    ['lets UDP 10250 be', ['UDP', '', 10250], []],
    ['lets 10251 be', ['TCP', '', 10251], []],
  ])('%s', (_name, triple, want) => {
    const found = reservedConflicts(null, heldBy([triple]), KUBELET);
    expect(found.map((c) => `${c.held.owner} ${c.held.port} ${c.rule}`)).toEqual(want);
    for (const c of found) expect(c.node).toBeNull();
  });

  it("names the pod's node when it is known", () => {
    expect(reservedConflicts('worker-2', heldBy([['', '', 10250]]), KUBELET).map((c) => c.node)).toEqual(['worker-2']);
  });

  it('finds nothing when no port is reserved', () => {
    expect(reservedConflicts(null, heldBy([['', '', 10250]]), [])).toEqual([]);
  });
});
