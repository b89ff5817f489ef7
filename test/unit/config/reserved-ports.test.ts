import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { ReservedPort } from '../../../src/engine/types.js';
import { parseReservedPort, reservedPortsFromFlags, reservedPortText } from '../../../src/config/reserved-ports.js';

describe('parseReservedPort', () => {
  it.each<[string, string, ReservedPort]>([
    ['reads a port on every address', 'kubelet=10250/TCP', { owner: 'kubelet', protocol: 'TCP', port: 10250 }],
    ['reads an IPv4 hostIP', 'kubelet=127.0.0.1:10248/TCP', { owner: 'kubelet', protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 }],
    ['reads a bracketed IPv6 hostIP', 'agent=[::1]:9099/UDP', { owner: 'agent', protocol: 'UDP', hostIP: '::1', port: 9099 }],
    ['keeps an owner with dots and spaces', 'my agent.v2=4240/SCTP', { owner: 'my agent.v2', protocol: 'SCTP', port: 4240 }],
  ])('%s', (_name, text, want) => {
    expect(parseReservedPort(text)).toEqual({ ok: true, port: want });
  });

  it.each([
    ['no owner', '=10250/TCP'],
    ['no protocol', 'kubelet=10250'],
    ['a colon instead of =', 'kubelet:10250/TCP'],
    ['an unbracketed IPv6 address', 'agent=::1:9099/TCP'],
    ['port 0', 'kubelet=0/TCP'],
    ['a hostname', 'kubelet=localhost:10248/TCP'],
    ['an empty hostIP', 'kubelet=:10248/TCP'],
    ['an unknown protocol', 'kubelet=10250/ICMP'],
  ])('refuses %s', (_name, text) => {
    expect(parseReservedPort(text).ok).toBe(false);
  });

  it('reads back what reservedPortText writes', () => {
    const ip = fc.oneof(fc.ipV4(), fc.ipV6());
    const entry = fc.record({
      owner: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
      protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'),
      port: fc.integer({ min: 1, max: 65535 }),
      hostIP: fc.option(ip, { nil: undefined }),
    });
    fc.assert(
      fc.property(entry, ({ hostIP, ...rest }) => {
        const port: ReservedPort = hostIP === undefined ? rest : { ...rest, hostIP };
        expect(parseReservedPort(reservedPortText(port))).toEqual({ ok: true, port });
      }),
    );
  });
});

describe('reservedPortsFromFlags', () => {
  it('lists every problem at once', () => {
    expect(reservedPortsFromFlags(['kubelet=10250/TCP', 'x', 'y=1/tcp'])).toEqual({
      ok: false,
      problems: [
        '"x" must be OWNER=[HOSTIP:]PORT/PROTOCOL, e.g. kubelet=10250/TCP or kubelet=127.0.0.1:10248/TCP',
        '"y=1/tcp": the protocol must be one of TCP, UDP, SCTP',
      ],
    });
  });

  it('takes none alone as the empty list, and refuses it among ports', () => {
    expect(reservedPortsFromFlags(['none'])).toEqual({ ok: true, ports: [] });
    expect(reservedPortsFromFlags(['none', 'kubelet=10250/TCP']).ok).toBe(false);
  });
});
