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

/** One entry of a pod's `tolerations`: empty key, effect and operator mean any key, any effect, Equal. */
export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

/** One entry of a node's `spec.taints`. */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  /** NoSchedule, PreferNoSchedule or NoExecute. */
  readonly effect: string;
}

/** The parts of a pod spec the engine reads. */
export interface PodSpecLike {
  readonly nodeName?: string;
  readonly hostNetwork?: boolean;
  readonly containers: readonly ContainerSpec[];
  readonly initContainers?: readonly ContainerSpec[];
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly Toleration[];
  /** Set on every Pod by the API server's Priority admission plugin; absent on templates. */
  readonly priority?: number;
  readonly priorityClassName?: string;
  /** `PreemptLowerPriority` (the default) or `Never`. */
  readonly preemptionPolicy?: string;
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

/** One port held on a node, and the pod holding it: what a lookup of the held ports returns. */
export interface HeldPort {
  readonly occupant: Occupant;
  readonly held: HostPort;
}

/** Identifies a pod in messages and in the index. */
export interface PodRef {
  readonly namespace: string;
  /** The pod's name, or its `generateName` prefix when `generated`. */
  readonly name: string;
  readonly uid?: string;
  /**
   * The pod names only a `generateName` (a manifest never sent to the API server): `name`
   * is a prefix shared by every such pod, so only the uid tells two of them apart.
   */
  readonly generated?: true;
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
  /** The pod's `spec.priority`: whether a pod the scheduler places may preempt it. */
  readonly priority?: number;
  /** Kept only when `priority` is absent (a pod in a hand-written state file), to resolve it later. */
  readonly priorityClassName?: string;
}

/** The controlling owner reference of a pod. */
export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}
