/**
 * Host IP normalisation. The scheduler compares hostIPs as plain strings and knows only
 * `0.0.0.0` as a wildcard; the kernel does not care how an address is spelled, and on
 * Linux a socket bound to `[::]` also takes the IPv4 port unless `net.ipv6.bindv6only`
 * is set (ipv6(7)). hostport-guard therefore compares addresses in one canonical form.
 */

/** The scheduler's wildcard, also the default of an empty hostIP. */
export const IPV4_ANY = '0.0.0.0';

/** A parsed address: its canonical text and whether it binds every address. */
export interface CanonicalIP {
  readonly text: string;
  readonly wildcard: boolean;
  readonly family: 4 | 6 | 0;
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const g of text.split(':')) {
    if (!HEX_GROUP.test(g)) return undefined;
    groups.push(parseInt(g, 16));
  }
  return groups;
}

/** Parses an IPv6 address (with an optional dotted IPv4 tail) into its 8 groups. */
function parseIPv6(text: string): number[] | undefined {
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.includes('.', lastColon)) {
    const v4 = parseIPv4(body.slice(lastColon + 1));
    if (!v4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    tail.push((a << 8) | b, (c << 8) | d);
    // Keep a `::` that ends right before the IPv4 tail; drop a lone separating colon.
    body = body.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  if (!head) return undefined;
  if (halves.length === 1) {
    const groups = [...head, ...tail];
    return groups.length === 8 ? groups : undefined;
  }
  const rest = parseGroups(halves[1] ?? '');
  if (!rest) return undefined;
  const missing = 8 - head.length - rest.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
}

/**
 * Canonical form of a hostIP. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) become
 * their IPv4 address because that is the address the socket really holds. Text that is
 * not an address is kept as it is (family 0), so it still equals itself.
 */
export function canonicalIP(hostIP: string): CanonicalIP {
  const text = hostIP === '' ? IPV4_ANY : hostIP;
  const v4 = parseIPv4(text);
  if (v4) {
    const canon = v4.join('.');
    return { text: canon, wildcard: canon === IPV4_ANY, family: 4 };
  }
  const v6 = parseIPv6(text);
  if (!v6) return { text, wildcard: false, family: 0 };
  const mapped = v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff;
  if (mapped) {
    const hi = v6[6] ?? 0;
    const lo = v6[7] ?? 0;
    const canon = [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
    return { text: canon, wildcard: canon === IPV4_ANY, family: 4 };
  }
  return {
    text: v6.map((g) => g.toString(16)).join(':'),
    wildcard: v6.every((g) => g === 0),
    family: 6,
  };
}
