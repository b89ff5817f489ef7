import { describe, expect, it } from '@jest/globals';

import type { CanonicalIP } from '../../../src/engine/ip.js';
import { canonicalIP, IPV4_ANY } from '../../../src/engine/ip.js';

interface Row {
  readonly name: string;
  readonly input: string;
  readonly want: CanonicalIP;
}

const v4 = (text: string, wildcard = false): CanonicalIP => ({ text, wildcard, family: 4 });
const v6 = (text: string, wildcard = false): CanonicalIP => ({ text, wildcard, family: 6 });
const kept = (text: string): CanonicalIP => ({ text, wildcard: false, family: 0 });

const FD00_1 = 'fd00:0:0:0:0:0:0:1';
const ANY6 = '0:0:0:0:0:0:0:0';

const rows: readonly Row[] = [
  // IPv4
  { name: 'keeps a plain IPv4 address', input: '10.0.0.1', want: v4('10.0.0.1') },
  { name: 'keeps the loopback address', input: '127.0.0.1', want: v4('127.0.0.1') },
  { name: 'keeps the highest IPv4 address', input: '255.255.255.255', want: v4('255.255.255.255') },
  { name: 'marks 0.0.0.0 as the IPv4 wildcard', input: '0.0.0.0', want: v4(IPV4_ANY, true) },
  { name: 'reads an empty hostIP as 0.0.0.0, the API default', input: '', want: v4(IPV4_ANY, true) },

  // IPv6, one address in many spellings
  { name: 'expands a compressed IPv6 address', input: 'fd00::1', want: v6(FD00_1) },
  { name: 'keeps a full IPv6 address without zero padding', input: 'fd00:0:0:0:0:0:0:1', want: v6(FD00_1) },
  { name: 'drops leading zeros inside groups', input: 'fd00:0000:0000:0000:0000:0000:0000:0001', want: v6(FD00_1) },
  { name: 'drops leading zeros of a compressed spelling', input: 'fd00::0001', want: v6(FD00_1) },
  { name: 'lower-cases upper-case hex digits', input: 'FD00::1', want: v6(FD00_1) },
  { name: 'lower-cases mixed-case hex digits', input: 'Fd00:0:0:0:0:0:0:0001', want: v6(FD00_1) },
  { name: 'expands a :: in the middle', input: 'fd00:1::2:3', want: v6('fd00:1:0:0:0:0:2:3') },
  { name: 'expands a trailing ::', input: 'fe80::', want: v6('fe80:0:0:0:0:0:0:0') },
  { name: 'expands a :: standing for one group', input: '1:2:3:4:5:6:7::', want: v6('1:2:3:4:5:6:7:0') },
  { name: 'expands a leading :: standing for one group', input: '::2:3:4:5:6:7:8', want: v6('0:2:3:4:5:6:7:8') },
  { name: 'keeps the IPv6 loopback as an address, not a wildcard', input: '::1', want: v6('0:0:0:0:0:0:0:1') },
  { name: 'marks :: as the IPv6 wildcard', input: '::', want: v6(ANY6, true) },
  { name: 'marks 0:0:0:0:0:0:0:0 as the IPv6 wildcard', input: '0:0:0:0:0:0:0:0', want: v6(ANY6, true) },
  { name: 'marks a zero-padded all-zero address as the IPv6 wildcard', input: '0000:0000:0000:0000:0000:0000:0000:0000', want: v6(ANY6, true) },
  { name: 'marks ::0 as the IPv6 wildcard', input: '::0', want: v6(ANY6, true) },
  { name: 'marks 0:: as the IPv6 wildcard', input: '0::', want: v6(ANY6, true) },
  { name: 'marks 0::0 as the IPv6 wildcard', input: '0::0', want: v6(ANY6, true) },

  // IPv4 inside IPv6
  { name: 'turns IPv4-mapped ::ffff:10.0.0.1 into 10.0.0.1', input: '::ffff:10.0.0.1', want: v4('10.0.0.1') },
  { name: 'turns upper-case ::FFFF:10.0.0.1 into 10.0.0.1', input: '::FFFF:10.0.0.1', want: v4('10.0.0.1') },
  { name: 'turns hex-spelled mapped ::ffff:a00:1 into 10.0.0.1', input: '::ffff:a00:1', want: v4('10.0.0.1') },
  { name: 'turns the fully written mapped form into IPv4', input: '0:0:0:0:0:ffff:0a00:0001', want: v4('10.0.0.1') },
  { name: 'turns mapped ::ffff:0.0.0.0 into the IPv4 wildcard', input: '::ffff:0.0.0.0', want: v4(IPV4_ANY, true) },
  { name: 'reads an IPv4 tail after six groups', input: '1:2:3:4:5:6:10.0.0.1', want: v6('1:2:3:4:5:6:a00:1') },
  { name: 'reads an IPv4 tail right after ::', input: '64:ff9b::192.0.2.33', want: v6('64:ff9b:0:0:0:0:c000:221') },
  { name: 'reads the deprecated IPv4-compatible ::10.0.0.1 as IPv6', input: '::10.0.0.1', want: v6('0:0:0:0:0:0:a00:1') },
  { name: 'reads ::0.0.0.0 as the IPv6 wildcard', input: '::0.0.0.0', want: v6(ANY6, true) },

  // Not addresses: kept as they are, so they still equal themselves
  { name: 'keeps a host name as it is', input: 'localhost', want: kept('localhost') },
  { name: 'keeps an IPv4 address with leading zeros as it is', input: '010.0.0.1', want: kept('010.0.0.1') },
  { name: 'keeps an IPv4 octet above 255 as it is', input: '10.0.0.256', want: kept('10.0.0.256') },
  { name: 'keeps three octets as they are', input: '10.0.1', want: kept('10.0.1') },
  { name: 'keeps five octets as they are', input: '10.0.0.1.5', want: kept('10.0.0.1.5') },
  { name: 'keeps an address with a port as it is', input: '10.0.0.1:80', want: kept('10.0.0.1:80') },
  { name: 'keeps surrounding spaces as they are', input: ' 10.0.0.1', want: kept(' 10.0.0.1') },
  { name: 'keeps two :: as they are', input: '1::2::3', want: kept('1::2::3') },
  { name: 'keeps ::: as it is', input: ':::', want: kept(':::') },
  { name: 'keeps nine groups as they are', input: '1:2:3:4:5:6:7:8:9', want: kept('1:2:3:4:5:6:7:8:9') },
  { name: 'keeps seven groups without :: as they are', input: '1:2:3:4:5:6:7', want: kept('1:2:3:4:5:6:7') },
  { name: 'keeps eight groups plus :: as they are', input: '1:2:3:4:5:6:7:8::', want: kept('1:2:3:4:5:6:7:8::') },
  { name: 'keeps a five-digit group as it is', input: 'fd00::00001', want: kept('fd00::00001') },
  { name: 'keeps a non-hex group as it is', input: 'fd00::g', want: kept('fd00::g') },
  { name: 'keeps a single leading colon as it is', input: ':1:2:3:4:5:6:7', want: kept(':1:2:3:4:5:6:7') },
  { name: 'keeps a zone index as it is', input: 'fe80::1%eth0', want: kept('fe80::1%eth0') },
  { name: 'keeps brackets as they are', input: '[fd00::1]', want: kept('[fd00::1]') },
  { name: 'keeps a broken IPv4 tail as it is', input: '::ffff:10.0.0', want: kept('::ffff:10.0.0') },
  { name: 'keeps an IPv4 tail with no room left as it is', input: '1:2:3:4:5:6:7:10.0.0.1', want: kept('1:2:3:4:5:6:7:10.0.0.1') },
  { name: 'keeps an IPv4 tail after a full :: spelling with no room as it is', input: '1:2:3:4:5:6::10.0.0.1', want: kept('1:2:3:4:5:6::10.0.0.1') },
  { name: 'keeps a lone colon before an IPv4 address as it is', input: ':10.0.0.1', want: kept(':10.0.0.1') },
];

describe('canonicalIP', () => {
  it.each(rows)('$name ($input)', ({ input, want }) => {
    expect(canonicalIP(input)).toEqual(want);
  });

  it('gives every spelling of one IPv6 address the same text', () => {
    const spellings = ['fd00::1', 'FD00::1', 'fd00:0::1', 'fd00:0:0:0:0:0:0:1', 'fd00:0000:0000:0000:0000:0000:0000:0001', 'fd00::0:0:1'];
    expect(new Set(spellings.map((s) => canonicalIP(s).text))).toEqual(new Set([FD00_1]));
  });

  it('gives every spelling of 10.0.0.1 the IPv4 text', () => {
    const spellings = ['10.0.0.1', '::ffff:10.0.0.1', '::FFFF:10.0.0.1', '0:0:0:0:0:ffff:10.0.0.1', '::ffff:a00:1'];
    expect(new Set(spellings.map((s) => canonicalIP(s).text))).toEqual(new Set(['10.0.0.1']));
  });
});
