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

/** A controller with its pod template at `spec.template`. */
export interface TemplateObject {
  readonly kind: (typeof TEMPLATE_KINDS)[number];
  readonly metadata: ObjectMetaLike;
  readonly spec: { readonly template: { readonly spec: PodSpecLike } };
}

/** A CronJob, whose pod template sits one level deeper. */
export interface CronJobObject {
  readonly kind: 'CronJob';
  readonly metadata: ObjectMetaLike;
  readonly spec: { readonly jobTemplate: { readonly spec: { readonly template: { readonly spec: PodSpecLike } } } };
}

/** Every object shape hostport-guard decides. */
export type AdmittedObject = PodObject | TemplateObject | CronJobObject;

/** What is being admitted: a pod, or a workload whose template will become pods. */
export type Subject =
  | { readonly kind: 'Pod'; readonly ref: PodRef; readonly pod: PodLike }
  | { readonly kind: 'Workload'; readonly workloadKind: string; readonly ref: PodRef; readonly spec: PodSpecLike };

/** The subject of a decoded object; `namespace` applies where the object names none. */
export function subjectOf(object: AdmittedObject, namespace: string): Subject {
  const metadata = { ...object.metadata, namespace: object.metadata.namespace ?? namespace };
  switch (object.kind) {
    case 'Pod': {
      const pod: PodLike = object.status === undefined
        ? { metadata, spec: object.spec }
        : { metadata, spec: object.spec, status: object.status };
      return { kind: 'Pod', ref: podRef(pod, namespace), pod };
    }
    case 'CronJob': {
      const spec = object.spec.jobTemplate.spec.template.spec;
      return { kind: 'Workload', workloadKind: object.kind, ref: podRef({ metadata, spec }, namespace), spec };
    }
    default: {
      const spec = object.spec.template.spec;
      return { kind: 'Workload', workloadKind: object.kind, ref: podRef({ metadata, spec }, namespace), spec };
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
