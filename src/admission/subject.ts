import { podRef } from '../engine/occupancy.js';
import type { ObjectMetaLike, Occupant, PodLike, PodRef, PodSpecLike } from '../engine/types.js';

/** Controllers that keep their pod template at `spec.template`. */
export const TEMPLATE_KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'] as const;

/** Kinds hostport-guard decides: Pods, and the workloads that create them. */
export const SUPPORTED_KINDS: readonly string[] = ['Pod', ...TEMPLATE_KINDS, 'CronJob'];

/** A Pod as decoded from a request or manifest. */
export interface PodObject {
  readonly kind: 'Pod';
  readonly metadata: ObjectMetaLike;
  readonly spec: PodSpecLike;
  readonly status?: { readonly phase?: string };
}

/** How a DaemonSet replaces its pods; other kinds' strategies are not read. */
export interface UpdateStrategy {
  readonly type?: string;
  readonly rollingUpdate?: { readonly maxSurge?: number | string };
}

/** A controller with its pod template at `spec.template`. */
export interface TemplateObject {
  readonly kind: (typeof TEMPLATE_KINDS)[number];
  readonly metadata: ObjectMetaLike;
  readonly spec: { readonly template: { readonly spec: PodSpecLike }; readonly updateStrategy?: UpdateStrategy };
}

/** A CronJob, whose pod template sits one level deeper. */
export interface CronJobObject {
  readonly kind: 'CronJob';
  readonly metadata: ObjectMetaLike;
  readonly spec: { readonly jobTemplate: { readonly spec: { readonly template: { readonly spec: PodSpecLike } } } };
}

/** Every object shape hostport-guard decides. */
export type AdmittedObject = PodObject | TemplateObject | CronJobObject;

/** Who sent the request, as the API server's `request.userInfo` names them. */
export interface Requester {
  readonly username?: string;
  readonly groups?: readonly string[];
}

/** The annotation the kubelet puts on the mirror of a static pod. */
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** The group and user name prefix of a kubelet's credentials (the NodeRestriction plugin's node identity). */
const NODES_GROUP = 'system:nodes';
const NODE_USER_PREFIX = 'system:node:';

/** What is being admitted: a pod, or a workload whose template will become pods. */
export type Subject =
  | {
      readonly kind: 'Pod';
      readonly ref: PodRef;
      readonly pod: PodLike;
      /**
       * The mirror of a static pod, sent by the kubelet of the node it is bound to: the
       * kubelet runs the static pod whatever the answer, so a denial would only hide it.
       */
      readonly mirror: boolean;
    }
  | {
      readonly kind: 'Workload';
      readonly workloadKind: string;
      readonly ref: PodRef;
      readonly spec: PodSpecLike;
      /** A DaemonSet's `maxSurge` as written, when its rolling update surges (above 0). */
      readonly maxSurge?: string;
    };

/**
 * Whether a pod is the mirror of a static pod. The annotation alone proves nothing: the
 * API server only checks that such a pod names a node, and lets any user with
 * `pods/create` set it (only the NodeRestriction plugin, where enabled, limits what a
 * node creates). So it counts only when the request comes from the kubelet of the node
 * the pod is bound to (user `system:node:NODE` in group `system:nodes`). Without a
 * requester (manifests checked offline) nothing is a mirror: a person applying the
 * manifest would not be the node either.
 */
export function isMirrorPod(pod: PodLike, requester: Requester | undefined): boolean {
  if (pod.metadata.annotations?.[MIRROR_ANNOTATION] === undefined) return false;
  const node = pod.spec.nodeName;
  if (requester === undefined || node === undefined || node === '') return false;
  return requester.username === `${NODE_USER_PREFIX}${node}` && (requester.groups ?? []).includes(NODES_GROUP);
}

/** A surging DaemonSet's maxSurge (int or percentage above 0), as written; undefined otherwise. */
function surgeOf(object: TemplateObject): string | undefined {
  if (object.kind !== 'DaemonSet') return undefined;
  const strategy = object.spec.updateStrategy;
  // RollingUpdate is the default type; maxSurge means nothing to OnDelete.
  if (strategy?.type !== undefined && strategy.type !== 'RollingUpdate') return undefined;
  const surge = strategy?.rollingUpdate?.maxSurge;
  if (typeof surge === 'number') return surge > 0 ? String(surge) : undefined;
  // A percentage is rounded up against the node count, so any share above 0 surges.
  const percent = surge === undefined ? undefined : /^([0-9]+)%$/.exec(surge);
  return percent !== undefined && percent !== null && Number(percent[1]) > 0 ? surge : undefined;
}

/**
 * The subject of a decoded object; `namespace` applies where the object names none, and
 * `requester` (the review's userInfo) decides whether a mirror pod is the kubelet's.
 */
export function subjectOf(object: AdmittedObject, namespace: string, requester?: Requester): Subject {
  const metadata = { ...object.metadata, namespace: object.metadata.namespace ?? namespace };
  switch (object.kind) {
    case 'Pod': {
      const pod: PodLike = object.status === undefined
        ? { metadata, spec: object.spec }
        : { metadata, spec: object.spec, status: object.status };
      return { kind: 'Pod', ref: podRef(pod, namespace), pod, mirror: isMirrorPod(pod, requester) };
    }
    case 'CronJob': {
      const spec = object.spec.jobTemplate.spec.template.spec;
      return { kind: 'Workload', workloadKind: object.kind, ref: podRef({ metadata, spec }, namespace), spec };
    }
    default: {
      const spec = object.spec.template.spec;
      const subject: Subject = { kind: 'Workload', workloadKind: object.kind, ref: podRef({ metadata, spec }, namespace), spec };
      const maxSurge = surgeOf(object);
      return maxSurge === undefined ? subject : { ...subject, maxSurge };
    }
  }
}

/**
 * How a Deployment's ReplicaSets and a CronJob's Jobs are named: the owner's name, a dash,
 * then a pod-template hash (written in the alphabet of apimachinery's
 * rand.SafeEncodeString, no vowels and no dash) or the scheduled time in minutes.
 */
const GENERATED_SUFFIX: Readonly<Record<string, { via: string; suffix: RegExp }>> = {
  Deployment: { via: 'ReplicaSet', suffix: /^[bcdfghjklmnpqrstvwxz2456789]+$/ },
  CronJob: { via: 'Job', suffix: /^[0-9]+$/ },
};

/**
 * Whether an existing pod belongs to the workload being updated, so that an update does
 * not collide with the pods it is about to replace. Pods of Deployments and CronJobs are
 * owned through a ReplicaSet or Job named after them plus a generated suffix.
 */
export function ownedBy(subject: Subject, occupant: Occupant): boolean {
  if (subject.kind !== 'Workload' || occupant.owner === undefined) return false;
  if (occupant.pod.namespace !== subject.ref.namespace) return false;
  const owner = occupant.owner;
  if (subject.ref.uid !== undefined && subject.ref.uid !== '' && owner.uid === subject.ref.uid) return true;
  if (owner.kind === subject.workloadKind && owner.name === subject.ref.name) return true;
  const generated = GENERATED_SUFFIX[subject.workloadKind];
  const prefix = `${subject.ref.name}-`;
  return (
    generated !== undefined &&
    owner.kind === generated.via &&
    owner.name.startsWith(prefix) &&
    generated.suffix.test(owner.name.slice(prefix.length))
  );
}
