import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { collision } from '../../../src/engine/conflicts.js';
import type { ExistingConflict } from '../../../src/engine/existing-conflicts.js';
import { conflictKey, conflictsAmong, contesterKey, MAX_NAMED_OTHERS, podOrder, schedulerSees } from '../../../src/engine/existing-conflicts.js';
import type { HostPort, Occupant } from '../../../src/engine/types.js';
import { hostPort, occupant, ref } from '../../fixtures/pods.js';

/** A pod `ns/name` on worker-1 holding `ports`. */
function holding(name: string, ...ports: Partial<HostPort>[]): Occupant {
  return occupant({ pod: ref(name), ports: ports.map((p) => hostPort(p)) });
}

/** Each conflict as `port/protocol: pod -> others, ...`. */
function summary(conflicts: readonly ExistingConflict[]): string[] {
  return conflicts.map(
    (c) => `${c.port}/${c.protocol}: ${c.contesters.map((k) => `${k.occupant.pod.name} -> ${k.others.map((o) => o.pod.name).join('+')}${k.moreOthers ? '+more' : ''}`).join(', ')}`,
  );
}

function among(...occupants: Occupant[]): string[] {
  return summary(conflictsAmong('worker-1', occupants));
}

describe('conflictsAmong', () => {
  const cases: readonly { name: string; occupants: readonly Occupant[]; want: readonly string[] }[] = [
    {
      name: 'finds two pods holding 0.0.0.0:8080/TCP',
      occupants: [holding('a/web-1', {}), holding('a/web-2', {})],
      want: ['8080/TCP: web-1 -> web-2, web-2 -> web-1'],
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
      name: 'puts a wildcard and two addresses in one conflict, each address naming only the wildcard',
      occupants: [holding('a/x', { hostIP: '10.0.0.1' }), holding('a/y', { hostIP: '10.0.0.2' }), holding('a/z', {})],
      want: ['8080/TCP: x -> z, y -> z, z -> x+y'],
    },
    {
      name: 'finds [::] against an IPv4 address, as the kernel would (stricter than the scheduler)',
      occupants: [holding('a/v6', { hostIP: '::' }), holding('a/v4', { hostIP: '10.0.0.3' })],
      want: ['8080/TCP: v4 -> v6, v6 -> v4'],
    },
    {
      name: 'finds one address spelled two ways',
      occupants: [holding('a/x', { hostIP: 'fd00::1' }), holding('a/y', { hostIP: 'fd00:0:0:0:0:0:0:1' })],
      want: ['8080/TCP: x -> y, y -> x'],
    },
    {
      name: 'finds a mapped IPv4 wildcard against an IPv4 address, and leaves an IPv6 one out',
      occupants: [holding('a/m', { hostIP: '::ffff:0.0.0.0' }), holding('a/v4', { hostIP: '10.0.0.9' }), holding('a/v6', { hostIP: 'fd00::9' })],
      want: ['8080/TCP: m -> v4, v4 -> m'],
    },
    {
      name: 'makes one conflict per contested port, ordered by port',
      occupants: [holding('a/x', { port: 443 }, { port: 80 }), holding('a/y', { port: 80 }, { port: 443 })],
      want: ['80/TCP: x -> y, y -> x', '443/TCP: x -> y, y -> x'],
    },
    {
      name: 'orders the pods by namespace, then name',
      occupants: [holding('b/a', {}), holding('a/z', {})],
      want: ['8080/TCP: z -> a, a -> z'],
    },
    {
      name: 'names at most MAX_NAMED_OTHERS others per pod, and says there are more',
      occupants: ['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => holding(`a/${n}`, {})),
      want: ['8080/TCP: p1 -> p2+p3+p4+more, p2 -> p1+p3+p4+more, p3 -> p1+p2+p4+more, p4 -> p1+p2+p3+more, p5 -> p1+p2+p3+more'],
    },
  ];

  it.each(cases)('$name', ({ occupants, want }) => {
    expect(among(...occupants)).toEqual(want);
    expect(MAX_NAMED_OTHERS).toBe(3);
  });

  it('looks only at the pods of the node asked about', () => {
    expect(among(holding('a/near', {}), occupant({ pod: ref('a/far'), node: 'worker-2' }))).toEqual([]);
  });

  it('makes one conflict of 2,000 pods on one port, not 2 million pairs', () => {
    const pods = Array.from({ length: 2_000 }, (_v, i) => holding(`a/p${String(i).padStart(4, '0')}`, {}));
    const conflicts = conflictsAmong('worker-1', pods);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.contesters).toHaveLength(2_000);
    expect(conflicts[0]?.contesters.every((c) => c.others.length === MAX_NAMED_OTHERS && c.moreOthers)).toBe(true);
  });

  it('finds the one shared address of two pods declaring thousands of addresses on one port', () => {
    const addresses = Array.from({ length: 3_000 }, (_v, i) => ({ port: 80, hostIP: `10.0.${Math.floor(i / 250)}.${i % 250}` }));
    // Only the last address of x is one of y's, and it is y's first.
    const others = Array.from({ length: 3_000 }, (_v, i) => ({ port: 80, hostIP: `10.1.${Math.floor(i / 250)}.${i % 250}` }));
    const [c] = conflictsAmong('worker-1', [holding('a/x', ...addresses), holding('a/y', addresses.at(-1) ?? {}, ...others.slice(1))]);
    expect(c?.contesters.map((k) => [k.occupant.pod.name, k.ports.length, k.others.map((o) => o.pod.name)])).toEqual([
      ['x', 3_000, ['y']],
      ['y', 3_000, ['x']],
    ]);
  });

  it('keys a conflict by node, protocol and port, and a pod in it by uid too', () => {
    const [c] = conflictsAmong('worker-1', [holding('a/x', {}), holding('a/y', {})]);
    if (c === undefined) throw new Error('no conflict');
    expect(conflictKey(c)).toBe('worker-1|TCP/8080');
    expect(contesterKey(c, ref('a/x'))).toBe('worker-1|TCP/8080|a/x/uid-x');
    expect(contesterKey(c, ref('a/x', 'uid-x-2'))).not.toBe(contesterKey(c, ref('a/x')));
  });

  it('says whether the scheduler would see the conflict too', () => {
    const [seen] = conflictsAmong('worker-1', [holding('a/x', {}), holding('a/y', { hostIP: '10.0.0.1' })]);
    const [unseen] = conflictsAmong('worker-1', [holding('a/x', { hostIP: '::' }), holding('a/y', { hostIP: '10.0.0.1' })]);
    if (seen === undefined || unseen === undefined) throw new Error('no conflict');
    expect([schedulerSees(seen), schedulerSees(unseen)]).toEqual([true, false]);
  });
});

describe('conflictsAmong, against collision() for every pair (property)', () => {
  const addresses = ['', '0.0.0.0', '::', '0:0::0', '::ffff:0.0.0.0', '10.0.0.1', '::ffff:10.0.0.1', '10.0.0.2', 'fd00::1', 'fd00:0::1', 'not-an-ip'];
  const portArb = fc.record({
    protocol: fc.constantFrom('TCP', 'UDP'),
    hostIP: fc.constantFrom(...addresses),
    port: fc.constantFrom(53, 80),
  });

  it('makes a pod a contester of a port exactly when it collides there with another pod, naming the first of them in order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(portArb, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 6 }), (podsPorts) => {
        const occupants = podsPorts.map((ports, i) => holding(`ns/p${i}`, ...ports));
        const conflicts = conflictsAmong('worker-1', occupants);
        for (const protocol of ['TCP', 'UDP']) {
          for (const number of [53, 80]) {
            const here = (o: Occupant): HostPort[] => o.ports.filter((p) => p.protocol === protocol && p.port === number);
            const want = occupants
              .map((o) => ({
                pod: o.pod.name,
                others: occupants
                  .filter((q) => q !== o && here(o).some((x) => here(q).some((y) => collision(x, y) !== undefined)))
                  .sort((a, b) => podOrder(a.pod, b.pod))
                  .map((q) => q.pod.name),
              }))
              .filter((w) => w.others.length > 0)
              .sort((a, b) => podOrder(ref(`ns/${a.pod}`), ref(`ns/${b.pod}`)));
            const found = conflicts.find((c) => c.protocol === protocol && c.port === number);
            const got = (found?.contesters ?? []).map((k) => ({ pod: k.occupant.pod.name, others: k.others.map((o) => o.pod.name), more: k.moreOthers }));
            expect(got).toEqual(want.map((w) => ({ pod: w.pod, others: w.others.slice(0, MAX_NAMED_OTHERS), more: w.others.length > MAX_NAMED_OTHERS })));
          }
        }
      }),
    );
  });
});

describe('conflictsAmong with node daemons\' reserved ports', () => {
  const kubelet = [
    { owner: 'kubelet', protocol: 'TCP', port: 10250 },
    { owner: 'kubelet', protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 },
  ];
  const withDaemons = (...occupants: Occupant[]): string[] =>
    conflictsAmong('worker-1', occupants, kubelet).map(
      (c) => `${c.port}/${c.protocol} [${c.daemons.map((d) => d.owner).join(',')}]: ${c.contesters.map((k) => `${k.occupant.pod.name} -> ${[...k.others.map((o) => o.pod.name), ...k.daemons.map((d) => `daemon ${d.owner}`)].join('+')}`).join(', ')}`,
    );

  it.each([
    ['makes one pod on the kubelet\'s 10250 a conflict with the daemon', [holding('a/agent', { port: 10250 })], ['10250/TCP [kubelet]: agent -> daemon kubelet']],
    ['takes the kubelet\'s 127.0.0.1:10248 with 0.0.0.0:10248', [holding('a/agent', { port: 10248 })], ['10248/TCP [kubelet]: agent -> daemon kubelet']],
    ['leaves 10.0.0.5:10248 next to 127.0.0.1:10248', [holding('a/agent', { port: 10248, hostIP: '10.0.0.5' })], []],
    ['leaves UDP 10250 next to TCP 10250', [holding('a/agent', { port: 10250, protocol: 'UDP' })], []],
    [
      'names both the other pod and the daemon',
      [holding('a/x', { port: 10250 }), holding('a/y', { port: 10250 })],
      ['10250/TCP [kubelet]: x -> y+daemon kubelet, y -> x+daemon kubelet'],
    ],
  ])('%s', (_name, occupants, want) => {
    expect(withDaemons(...occupants)).toEqual(want);
  });

  it('says the scheduler does not see a conflict with a daemon only', () => {
    const [c] = conflictsAmong('worker-1', [holding('a/agent', { port: 10250 })], kubelet);
    if (c === undefined) throw new Error('no conflict');
    expect(schedulerSees(c)).toBe(false);
  });
});
