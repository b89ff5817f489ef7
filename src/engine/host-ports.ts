import { IPV4_ANY } from './ip.js';
import type { ContainerSpec, HostPort, PodSpecLike } from './types.js';

/** Protocol the API server assumes when a port names none. */
export const DEFAULT_PROTOCOL = 'TCP';

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
