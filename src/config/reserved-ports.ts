/**
 * The text form of a node daemon's reserved port, as `--reserved-port` and
 * HOSTPORT_GUARD_RESERVED_PORTS take it: `OWNER=[HOSTIP:]PORT/PROTOCOL`, written like the
 * ports in hostport-guard's messages, e.g. `kubelet=10250/TCP`,
 * `kubelet=127.0.0.1:10248/TCP`, `cilium=[fd00::1]:4240/TCP`.
 */
import { canonicalIP } from '../engine/ip.js';
import type { ReservedPort } from '../engine/types.js';

/** How a reserved port is written on the command line. */
export const RESERVED_PORT_FORMAT = 'OWNER=[HOSTIP:]PORT/PROTOCOL';

/** The word that stands for an empty list, since a repeatable flag cannot be given zero times on purpose. */
export const NO_RESERVED_PORTS = 'none';

/** Protocols Kubernetes accepts in a container port. */
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** A parsed reserved port, or what is wrong with the text. */
export type ReservedPortParse = { readonly ok: true; readonly port: ReservedPort } | { readonly ok: false; readonly problem: string };

const SHAPE = /^([^=]+)=(?:\[([^\]]*)\]:|([^:[\]]*):)?([0-9]+)\/([A-Za-z]+)$/;

/** Whether a hostIP is an address the kernel could bind (IPv4 or IPv6, any spelling). */
export function isIPAddress(text: string): boolean {
  return text !== '' && canonicalIP(text).family !== 0;
}

/** Parses one `OWNER=[HOSTIP:]PORT/PROTOCOL`. */
export function parseReservedPort(text: string): ReservedPortParse {
  const match = SHAPE.exec(text);
  if (match === null) {
    return { ok: false, problem: `${JSON.stringify(text)} must be ${RESERVED_PORT_FORMAT}, e.g. kubelet=10250/TCP or kubelet=127.0.0.1:10248/TCP` };
  }
  const [, owner = '', bracketed, plain, digits = '', protocol = ''] = match;
  const hostIP = bracketed ?? plain;
  const port = Number(digits);
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    return { ok: false, problem: `${JSON.stringify(text)}: the protocol must be one of ${PROTOCOLS.join(', ')}` };
  }
  if (port < 1 || port > 65535) return { ok: false, problem: `${JSON.stringify(text)}: the port must be 1 to 65535` };
  if (hostIP !== undefined && !isIPAddress(hostIP)) {
    return { ok: false, problem: `${JSON.stringify(text)}: ${JSON.stringify(hostIP)} is not an IP address` };
  }
  return { ok: true, port: hostIP === undefined ? { owner, protocol, port } : { owner, protocol, hostIP, port } };
}

/** The text form of a reserved port, the inverse of parseReservedPort. */
export function reservedPortText(p: ReservedPort): string {
  const ip = p.hostIP === undefined ? '' : p.hostIP.includes(':') ? `[${p.hostIP}]:` : `${p.hostIP}:`;
  return `${p.owner}=${ip}${p.port}/${p.protocol}`;
}

/**
 * The values of a list of reserved ports given as text: each parsed entry as an object,
 * each unparseable one kept as its text so the schema reports it with its source.
 * `none` alone is the empty list.
 */
export function reservedPortValues(texts: readonly string[]): unknown[] {
  if (texts.length === 1 && texts[0] === NO_RESERVED_PORTS) return [];
  return texts.map((text) => {
    const parsed = parseReservedPort(text);
    return parsed.ok ? parsed.port : text;
  });
}

/** Reserved ports from repeated flags, or every problem with them (for `check`, which reads no config file). */
export function reservedPortsFromFlags(texts: readonly string[]): { ok: true; ports: ReservedPort[] } | { ok: false; problems: string[] } {
  if (texts.length === 1 && texts[0] === NO_RESERVED_PORTS) return { ok: true, ports: [] };
  const parsed = texts.map(parseReservedPort);
  const problems = parsed.flatMap((p) => (p.ok ? [] : [p.problem]));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, ports: parsed.flatMap((p) => (p.ok ? [p.port] : [])) };
}
