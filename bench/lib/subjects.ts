/**
 * The pods the benchmarks ask about: pinned hostNetwork DaemonSet pods on chosen nodes of
 * a synthetic cluster, in variants that do and do not collide with what the node holds
 * (by the scheduler's rule: same protocol and port, and 0.0.0.0 on either side or equal
 * IPs).
 */
import { hostPortsOf } from '../../src/engine/host-ports.js';
import type { SubjectPort, SubjectSpec } from './wire.js';
import { nodeName, podsOnNode } from './synthetic.js';

/** A subject and whether the scheduler's rule says it collides on its node. */
export interface Variant {
  readonly label: string;
  readonly collides: boolean;
  readonly ports: readonly SubjectPort[];
  readonly sidecarPorts?: readonly SubjectPort[];
}

/** A scattered hostPort held on node `i`, if any (not a DaemonSet's). */
function scatteredPortOn(i: number): SubjectPort | undefined {
  for (const pod of podsOnNode(i)) {
    if (pod.spec.hostNetwork === true) continue;
    const [held] = hostPortsOf(pod.spec);
    if (held !== undefined) return { port: held.port, protocol: held.protocol };
  }
  return undefined;
}

/** The variants, in the order subjects cycle through them. */
function variantsFor(i: number): Variant[] {
  const scattered = scatteredPortOn(i);
  return [
    { label: '9100/TCP on 0.0.0.0 (node exporter holds it)', collides: true, ports: [{ port: 9100, protocol: 'TCP' }] },
    { label: '9101/TCP (free)', collides: false, ports: [{ port: 9101, protocol: 'TCP' }] },
    { label: '127.0.0.1:10249/TCP (kube-proxy holds that IP)', collides: true, ports: [{ port: 10249, protocol: 'TCP', hostIP: '127.0.0.1' }] },
    { label: '10.1.2.3:10249/TCP (another IP: free)', collides: false, ports: [{ port: 10249, protocol: 'TCP', hostIP: '10.1.2.3' }] },
    { label: '10.1.2.3:10256/TCP (kube-proxy holds 0.0.0.0)', collides: true, ports: [{ port: 10256, protocol: 'TCP', hostIP: '10.1.2.3' }] },
    { label: '9099/UDP (CNI agent holds TCP only: free)', collides: false, ports: [{ port: 9099, protocol: 'UDP' }] },
    scattered === undefined
      ? { label: '8081/TCP (free)', collides: false, ports: [{ port: 8081, protocol: 'TCP' }] }
      : { label: `${scattered.port}/${scattered.protocol} (a scattered hostPort pod holds it)`, collides: true, ports: [scattered] },
    { label: '9101/TCP and 4244/TCP (CNI agent holds 4244)', collides: true, ports: [{ port: 9101, protocol: 'TCP' }, { port: 4244, protocol: 'TCP' }] },
    { label: '53/UDP and 53/TCP (free)', collides: false, ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
    { label: 'sidecar on 9100/TCP (node exporter holds it)', collides: true, ports: [{ port: 9102, protocol: 'TCP' }], sidecarPorts: [{ port: 9100, protocol: 'TCP' }] },
  ];
}

/** How many variants there are. */
export const VARIANT_COUNT = variantsFor(0).length;

/** A subject with the variant it was built from. */
export interface Subject {
  readonly spec: SubjectSpec;
  readonly variant: Variant;
}

/**
 * `count` subjects on distinct nodes of a cluster of `nodes` nodes (count <= nodes),
 * cycling through the variants. Distinct nodes keep every answer independent of the
 * ports the webhook reserves for the pods it lets in.
 */
export function subjects(nodes: number, count: number, prefix: string): Subject[] {
  const out: Subject[] = [];
  const stride = Math.max(1, Math.floor(nodes / count));
  for (let k = 0; k < count; k++) {
    const i = (k * stride) % nodes;
    const variant = variantsFor(i)[k % VARIANT_COUNT];
    if (variant === undefined) throw new Error('no variant');
    out.push({
      variant,
      spec: {
        name: `${prefix}-${k}`,
        namespace: 'observability',
        uid: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
        node: nodeName(i),
        ports: variant.ports,
        ...(variant.sidecarPorts === undefined ? {} : { sidecarPorts: variant.sidecarPorts }),
      },
    });
  }
  return out;
}
