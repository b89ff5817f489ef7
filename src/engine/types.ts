/**
 * Plain data shapes the conflict engine works on. They describe only the parts of a
 * Pod that decide host-port collisions, so the engine never depends on a client
 * library's generated types and can be fed from a webhook request, a watch event or
 * a manifest on disk alike.
 */

/** One entry of `container.ports` as the API accepts it. */
export interface ContainerPortSpec {
  readonly containerPort: number;
  readonly hostPort?: number;
  readonly protocol?: string;
  readonly hostIP?: string;
  readonly name?: string;
}

/** The parts of a container that can hold a host port. */
export interface ContainerSpec {
  readonly name: string;
  readonly ports?: readonly ContainerPortSpec[];
  /** Only `Always` matters: it marks an init container as a sidecar that keeps running. */
  readonly restartPolicy?: string;
}

/** One `matchFields` / `matchExpressions` requirement of a node selector term. */
export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/** One term of `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`. */
export interface NodeSelectorTerm {
  readonly matchFields?: readonly NodeSelectorRequirement[];
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
}

/** The parts of a pod spec the engine reads. */
export interface PodSpecLike {
  readonly nodeName?: string;
  readonly hostNetwork?: boolean;
  readonly containers: readonly ContainerSpec[];
  readonly initContainers?: readonly ContainerSpec[];
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly affinity?: {
    readonly nodeAffinity?: {
      readonly requiredDuringSchedulingIgnoredDuringExecution?: {
        readonly nodeSelectorTerms: readonly NodeSelectorTerm[];
      };
    };
  };
}

/** The parts of pod metadata the engine reads. */
export interface ObjectMetaLike {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Only `kubernetes.io/config.mirror` is read: it marks the mirror of a static pod. */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly {
    readonly kind: string;
    readonly name: string;
    readonly uid: string;
    readonly controller?: boolean;
  }[];
}

/** One entry of `status.conditions`. */
export interface PodConditionLike {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

/**
 * The parts of a pod's status that are read: the phase everywhere; the reason, message
 * and conditions only where pods that cannot run are looked for (the scan).
 */
export interface PodStatusLike {
  readonly phase?: string;
  /** Why the pod is in its phase, e.g. `NodePorts` for a pod the kubelet refused. */
  readonly reason?: string;
  readonly message?: string;
  readonly conditions?: readonly PodConditionLike[];
}

/** A pod as far as host ports are concerned. */
export interface PodLike {
  readonly metadata: ObjectMetaLike;
  readonly spec: PodSpecLike;
  readonly status?: PodStatusLike;
}

/**
 * A port a pod holds on its node: the scheduler's (protocol, hostIP, hostPort) triple
 * after defaulting, plus the container that declared it (for messages).
 */
export interface HostPort {
  readonly protocol: string;
  readonly hostIP: string;
  readonly port: number;
  readonly container: string;
}

/** The scheduler's key of a held port: (protocol, hostIP, hostPort). */
export type PortTriple = Pick<HostPort, 'protocol' | 'hostIP' | 'port'>;

/**
 * A port that a node daemon (the kubelet, kube-proxy, a CNI agent) holds on every node
 * outside any pod. Neither the scheduler nor the kubelet's admission knows these ports.
 */
export interface ReservedPort {
  /** Who holds it, e.g. `kubelet`: named in messages. */
  readonly owner: string;
  readonly protocol: string;
  /** Absent means every address (`0.0.0.0`). */
  readonly hostIP?: string;
  readonly port: number;
}

/** Identifies a pod in messages and in the index. */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

/** A pod that holds host ports on a node: all the index keeps of it. */
export interface Occupant {
  readonly pod: PodRef;
  readonly node: string;
  readonly hostNetwork: boolean;
  /** Terminating pods (deletionTimestamp set) still hold their ports until they are gone. */
  readonly terminating: boolean;
  /** The controller that owns the pod, so a workload update can skip its own pods. */
  readonly owner?: OwnerRef;
  readonly ports: readonly HostPort[];
}

/** The controlling owner reference of a pod. */
export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}
