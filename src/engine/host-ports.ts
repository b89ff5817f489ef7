import { IPV4_ANY } from './ip.js';
import type { ContainerSpec, HostPort, PodSpecLike, PortTriple } from './types.js';

/** Protocol the API server assumes when a port names none. */
export const DEFAULT_PROTOCOL = 'TCP';

/** The scheduler's protocol of a port: an empty one means TCP. */
export function protocolOf(port: Pick<PortTriple, 'protocol'>): string {
  return port.protocol === '' ? DEFAULT_PROTOCOL : port.protocol;
}

/**
 * Containers whose ports are held while the pod runs: regular containers and sidecars
 * (init containers with `restartPolicy: Always`, counted by the scheduler since 1.34 and
 * 1.33.x). Ordinary init containers exit before the app starts; ephemeral containers
 * cannot declare ports.
 */
export function runningContainers(spec: PodSpecLike): ContainerSpec[] {
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  return [...sidecars, ...spec.containers];
}

/**
 * The host ports a pod holds on its node, defaulted as the API server would.
 *
 * On a hostNetwork pod the API server sets `hostPort = containerPort` only when a Pod
 * is created; pod templates (and manifests never sent to an API server) keep 0 since
 * Kubernetes 1.28/1.31, so the default is applied here to whatever is passed in.
 */
export function hostPortsOf(spec: PodSpecLike): HostPort[] {
  const held: HostPort[] = [];
  const hostNetwork = spec.hostNetwork === true;
  for (const container of runningContainers(spec)) {
    for (const p of container.ports ?? []) {
      const declared = p.hostPort ?? 0;
      const port = hostNetwork && declared === 0 ? p.containerPort : declared;
      if (!(port > 0)) continue;
      held.push({
        protocol: p.protocol === undefined || p.protocol === '' ? DEFAULT_PROTOCOL : p.protocol,
        hostIP: p.hostIP === undefined || p.hostIP === '' ? IPV4_ANY : p.hostIP,
        port,
        container: container.name,
      });
    }
  }
  return held;
}

/** A host port that a pod declares twice, which the API server's validation refuses. */
export interface DuplicateHostPort {
  /** The API server's key of the port, `PROTOCOL/HOSTIP/PORT` with hostIP as written: `TCP//8080`. */
  readonly value: string;
  /** Where the second declaration sits, relative to the pod spec: `containers[1].ports[0].hostPort`. */
  readonly field: string;
  /** The containers declaring it, first and second (the same one when it repeats itself). */
  readonly containers: readonly [string, string];
}

/** Which pod-spec defaulting to apply before looking for duplicates. */
export interface DuplicateOptions {
  /**
   * Apply the API server's Pod defaulting of `hostPort = containerPort` on hostNetwork
   * pods: true for Pods and for the pods a template will become, false for the template
   * object itself (templates are not defaulted since Kubernetes 1.28/1.31).
   */
  readonly defaultHostNetworkPorts: boolean;
}

/**
 * The host ports declared twice, exactly as kube-apiserver refuses them
 * (pkg/apis/core/validation AccumulateUniqueHostPorts): the key is the port's protocol
 * (defaulted to TCP), its hostIP as written (so `""` and `0.0.0.0` differ) and its
 * hostPort; ports with hostPort 0 are skipped. Regular containers are compared with each
 * other; each init container, sidecars included, only with itself, because the API
 * server checks init containers one by one.
 */
export function duplicateHostPorts(spec: PodSpecLike, options: DuplicateOptions): DuplicateHostPort[] {
  const defaulted = options.defaultHostNetworkPorts && spec.hostNetwork === true;
  const found: DuplicateHostPort[] = [];
  const scan = (group: string, containers: readonly ContainerSpec[], offset: number): void => {
    const seen = new Map<string, string>();
    containers.forEach((container, i) => {
      (container.ports ?? []).forEach((p, j) => {
        const hostPort = defaulted && (p.hostPort ?? 0) === 0 ? p.containerPort : (p.hostPort ?? 0);
        if (hostPort === 0) return;
        const protocol = p.protocol === undefined || p.protocol === '' ? DEFAULT_PROTOCOL : p.protocol;
        const value = `${protocol}/${p.hostIP ?? ''}/${hostPort}`;
        const first = seen.get(value);
        if (first === undefined) seen.set(value, container.name);
        else found.push({ value, field: `${group}[${offset + i}].ports[${j}].hostPort`, containers: [first, container.name] });
      });
    });
  };
  scan('containers', spec.containers, 0);
  (spec.initContainers ?? []).forEach((container, i) => {
    scan('initContainers', [container], i);
  });
  return found;
}
