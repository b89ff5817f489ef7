/**
 * Small manifests with overrides, written as YAML files the way a user keeps them, so
 * kubectl's messages quote a file name (`error when creating "web-2.yaml"`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

/** Never pulled: pods on the fake nodes never run. */
export const IMAGE = 'pause';

/** One container port. */
export interface PortSpec {
  readonly containerPort: number;
  readonly hostPort?: number;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly hostIP?: string;
}

/** A pod as the tests need it. */
export interface PodOptions {
  readonly name: string;
  readonly namespace: string;
  /** Pins the pod (bypassing the scheduler); without it the scheduler places it. */
  readonly nodeName?: string;
  /**
   * Pins the pod the way the DaemonSet controller does: the scheduler still places it,
   * but only on this node (one required `matchFields metadata.name In [NODE]` term).
   */
  readonly daemonSetNode?: string;
  readonly hostNetwork?: boolean;
  /** Name of the one container (default `web`). */
  readonly container?: string;
  readonly ports?: readonly PortSpec[];
  /** Ports of a sidecar (an init container with restartPolicy Always). */
  readonly sidecarPorts?: readonly PortSpec[];
  readonly labels?: Readonly<Record<string, string>>;
  /** What a pod meant to run on a real node runs: its image and command. */
  readonly run?: ContainerRun;
  readonly tolerations?: readonly Readonly<Record<string, string>>[];
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Required node affinity terms (ORed), besides the one `daemonSetNode` writes. */
  readonly nodeSelectorTerms?: readonly Manifest[];
  readonly priorityClassName?: string;
  /** Seconds a kubelet gives the pod to stop (default 0: deletes are immediate). */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * Seconds the kubelet sleeps in the container's preStop hook: with a grace period as
   * long, a deleted pod stays terminating that long on a real node, as it does forever on
   * the fake ones.
   */
  readonly preStopSleepSeconds?: number;
}

/** The image and command of a container that really runs. */
export interface ContainerRun {
  readonly image: string;
  readonly imagePullPolicy?: 'Never' | 'IfNotPresent' | 'Always';
  readonly command?: readonly string[];
  readonly env?: readonly Readonly<Record<string, unknown>>[];
}

/** A plain object manifest. */
export type Manifest = Readonly<Record<string, unknown>>;

function podSpec(o: Omit<PodOptions, 'name' | 'namespace' | 'labels'>): Record<string, unknown> {
  const container = {
    name: o.container ?? 'web',
    image: IMAGE,
    ...(o.run ?? {}),
    ...(o.ports === undefined ? {} : { ports: o.ports }),
    ...(o.preStopSleepSeconds === undefined ? {} : { lifecycle: { preStop: { sleep: { seconds: o.preStopSleepSeconds } } } }),
  };
  const terms = [
    ...(o.daemonSetNode === undefined ? [] : [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [o.daemonSetNode] }] }]),
    ...(o.nodeSelectorTerms ?? []),
  ];
  return {
    ...(o.nodeName === undefined ? {} : { nodeName: o.nodeName }),
    ...(terms.length === 0 ? {} : { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } }),
    ...(o.priorityClassName === undefined ? {} : { priorityClassName: o.priorityClassName }),
    ...(o.hostNetwork === true ? { hostNetwork: true } : {}),
    ...(o.nodeSelector === undefined ? {} : { nodeSelector: o.nodeSelector }),
    ...(o.tolerations === undefined ? {} : { tolerations: o.tolerations }),
    // No kubelet ever stops pods on the fake nodes; a zero grace period keeps deletes
    // immediate there, and quick on real nodes.
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? 0,
    ...(o.sidecarPorts === undefined
      ? {}
      : { initContainers: [{ name: 'sidecar', image: IMAGE, restartPolicy: 'Always', ports: o.sidecarPorts }] }),
    containers: [container],
  };
}

/** A Pod manifest. */
export function pod(o: PodOptions): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, ...(o.labels === undefined ? {} : { labels: o.labels }) },
    spec: podSpec(o),
  };
}

/** How a DaemonSet replaces its pods: `spec.updateStrategy`. */
export interface UpdateStrategy {
  readonly type: 'RollingUpdate' | 'OnDelete';
  readonly rollingUpdate?: { readonly maxSurge?: number | string; readonly maxUnavailable?: number | string };
}

/** A DaemonSet manifest whose pods carry `app: <name>` (and `labels`, which change the template). */
export function daemonSet(o: Omit<PodOptions, 'nodeName'> & { readonly updateStrategy?: UpdateStrategy }): Manifest {
  const selector = { app: o.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      selector: { matchLabels: selector },
      ...(o.updateStrategy === undefined ? {} : { updateStrategy: o.updateStrategy }),
      template: { metadata: { labels: { ...o.labels, ...selector } }, spec: podSpec(o) },
    },
  };
}

/** A Deployment manifest of `replicas` pods carrying `app: <name>`. */
export function deployment(o: Omit<PodOptions, 'nodeName'> & { readonly replicas?: number }): Manifest {
  const labels = { app: o.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: podSpec(o) },
    },
  };
}

/** A temporary directory of manifest files. */
export interface ManifestDir {
  readonly dir: string;
  /** Writes `<name>.yaml` and returns its file name (relative to `dir`). */
  write(name: string, ...manifests: Manifest[]): string;
  remove(): void;
}

/** A fresh directory for one test file's manifests. */
export function manifestDir(): ManifestDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'hpg-e2e-'));
  return {
    dir,
    write(name, ...manifests) {
      const file = `${name}.yaml`;
      writeFileSync(path.join(dir, file), manifests.map((m) => stringify(m)).join('---\n'));
      return file;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
