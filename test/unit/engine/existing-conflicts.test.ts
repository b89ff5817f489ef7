import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { collision } from '../../../src/engine/conflicts.js';
import { conflictKey, conflictsAmong, MAX_COLLIDING_PORTS, podOrder } from '../../../src/engine/existing-conflicts.js';
import type { HostPort, Occupant } from '../../../src/engine/types.js';
import { hostPort, occupant, ref } from '../../fixtures/pods.js';

/** A pod `ns/name` on worker-1 holding `ports`. */
function holding(name: string, ...ports: Partial<HostPort>[]): Occupant {
  return occupant({ pod: ref(name), ports: ports.map((p) => hostPort(p)) });
}

/** Each conflict as `first + second @ ports`, the ports as `firstIP/secondIP:port/protocol`. */
function summary(node: string, occupants: readonly Occupant[]): string[] {
  return conflictsAmong(node, occupants).map(
    (c) => `${c.first.pod.name} + ${c.second.pod.name} @ ${c.ports.map((p) => `${p.first.hostIP}/${p.second.hostIP}:${p.first.port}/${p.first.protocol}`).join(' ')}`,
  );
}

describe('conflictsAmong', () => {
  const cases: readonly { name: string; occupants: readonly Occupant[]; want: readonly string[] }[] = [
    {
      name: 'finds two pods holding 0.0.0.0:8080/TCP',
      occupants: [holding('a/web-1', {}), holding('a/web-2', {})],
      want: ['web-1 + web-2 @ 0.0.0.0/0.0.0.0:8080/TCP'],
    },
    {
      name: 'finds nothing between TCP and UDP on one number',
      occupants: [holding('a/dns-tcp', { port: 53 }), holding('a/dns-udp', { port: 53, protocol: 'UDP' })],
      want: [],
    },
    {
      name: 'finds nothing between two different specific addresses',
      occupants: [holding('a/x', { hostIP: '10.0.0.1' }), holding('a/y', { hostIP: '10.0.0.2' })],
      want: [],
    },
    {
      name: 'finds 0.0.0.0 against a specific address',
      occupants: [holding('a/x', { hostIP: '10.0.0.1' }), holding('a/y', {})],
      want: ['x + y @ 10.0.0.1/0.0.0.0:8080/TCP'],
    },
    {
      name: 'finds [::] against an IPv4 address, as the kernel would (stricter than the scheduler)',
      occupants: [holding('a/v6', { hostIP: '::' }), holding('a/v4', { hostIP: '10.0.0.3' })],
      want: ['v4 + v6 @ 10.0.0.3/:::8080/TCP'],
    },
    {
      name: 'finds one address spelled two ways',
      occupants: [holding('a/x', { hostIP: 'fd00::1' }), holding('a/y', { hostIP: 'fd00:0:0:0:0:0:0:1' })],
      want: ['x + y @ fd00::1/fd00:0:0:0:0:0:0:1:8080/TCP'],
    },
    {
      name: 'finds a mapped IPv4 wildcard against an IPv4 address, and not against an IPv6 one',
      occupants: [holding('a/m', { hostIP: '::ffff:0.0.0.0' }), holding('a/v4', { hostIP: '10.0.0.9' }), holding('a/v6', { hostIP: 'fd00::9' })],
      want: ['m + v4 @ ::ffff:0.0.0.0/10.0.0.9:8080/TCP'],
    },
    {
      name: 'names every pair among three pods on one port, once each',
      occupants: [holding('a/c', {}), holding('a/b', {}), holding('a/a', {})],
      want: ['a + b @ 0.0.0.0/0.0.0.0:8080/TCP', 'a + c @ 0.0.0.0/0.0.0.0:8080/TCP', 'b + c @ 0.0.0.0/0.0.0.0:8080/TCP'],
    },
    {
      name: 'makes one conflict of two pods colliding on two ports, ordered by port',
      occupants: [holding('a/x', { port: 443 }, { port: 80 }), holding('a/y', { port: 80 }, { port: 443 })],
      want: ['x + y @ 0.0.0.0/0.0.0.0:80/TCP 0.0.0.0/0.0.0.0:443/TCP'],
    },
    {
      name: 'orders the pods of a conflict by namespace, then name',
      occupants: [holding('b/a', {}), holding('a/z', {})],
      want: ['z + a @ 0.0.0.0/0.0.0.0:8080/TCP'],
    },
  ];

  it.each(cases)('$name', ({ occupants, want }) => {
    expect(summary('worker-1', occupants)).toEqual(want);
  });

  it('looks only at the pods of the node asked about', () => {
    const elsewhere = occupant({ pod: ref('a/far'), node: 'worker-2' });
    expect(summary('worker-1', [holding('a/near', {}), elsewhere])).toEqual([]);
  });

  it('keeps at most MAX_COLLIDING_PORTS colliding ports of a pair, and says there are more', () => {
    const ports = Array.from({ length: 3000 }, (_v, i) => ({ port: 80, hostIP: `10.0.${Math.floor(i / 250)}.${i % 250}` }));
    const [c] = conflictsAmong('worker-1', [holding('a/x', ...ports), holding('a/y', ...ports)]);
    expect(c?.ports).toHaveLength(MAX_COLLIDING_PORTS);
    expect(c?.morePorts).toBe(true);
  });

  it('says there are no more ports when it found them all', () => {
    const [c] = conflictsAmong('worker-1', [holding('a/x', { port: 80 }), holding('a/y', { port: 80 })]);
    expect(c?.morePorts).toBe(false);
  });

  it('keys a conflict by node and both pods, uids included', () => {
    const [c] = conflictsAmong('worker-1', [holding('a/x', {}), holding('a/y', {})]);
    if (c === undefined) throw new Error('no conflict');
    expect(conflictKey(c)).toBe('worker-1|a/x/uid-x|a/y/uid-y');
    const recreated = occupant({ pod: ref('a/y', 'uid-y-2') });
    const [again] = conflictsAmong('worker-1', [holding('a/x', {}), recreated]);
    if (again === undefined) throw new Error('no conflict');
    expect(conflictKey(again)).not.toBe(conflictKey(c));
  });
});

describe('conflictsAmong, against collision() for every pair (property)', () => {
  const addresses = ['', '0.0.0.0', '::', '0:0::0', '::ffff:0.0.0.0', '10.0.0.1', '::ffff:10.0.0.1', '10.0.0.2', 'fd00::1', 'fd00:0::1', 'not-an-ip'];
  const portArb = fc.record({
    protocol: fc.constantFrom('TCP', 'UDP'),
    hostIP: fc.constantFrom(...addresses),
    port: fc.constantFrom(53, 80),
  });

  it('finds a conflict between two pods exactly when some pair of their ports collides', () => {
    fc.assert(
      fc.property(fc.array(fc.array(portArb, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 4 }), (podsPorts) => {
        const occupants = podsPorts.map((ports, i) => holding(`ns/p${i}`, ...ports));
        const found = new Set(conflictsAmong('worker-1', occupants).map((c) => `${c.first.pod.name}+${c.second.pod.name}`));
        for (let i = 0; i < occupants.length; i++) {
          for (let j = i + 1; j < occupants.length; j++) {
            const a = occupants[i];
            const b = occupants[j];
            if (a === undefined || b === undefined) continue;
            const collides = a.ports.some((x) => b.ports.some((y) => collision(x, y) !== undefined));
            const [first, second] = podOrder(a.pod, b.pod) <= 0 ? [a, b] : [b, a];
            expect(found.has(`${first.pod.name}+${second.pod.name}`)).toBe(collides);
          }
        }
      }),
    );
  });
});
