/**
 * Pod priorities, as the scheduler's preemption reads them. The API server's Priority
 * admission plugin writes `spec.priority` (and `spec.preemptionPolicy`) into every Pod it
 * creates, from the pod's PriorityClass or the global default class, before any
 * validating webhook sees it; pod templates and manifests never sent to an API server
 * lack them, so they are resolved here the way the plugin would
 * (plugin/pkg/admission/priority, Kubernetes 1.37).
 */
import type { PodSpecLike } from './types.js';

/** What a PriorityClass says. */
export interface PriorityClassInfo {
  readonly name: string;
  readonly value: number;
  /** The class pods without a priorityClassName get. */
  readonly globalDefault: boolean;
  /** `PreemptLowerPriority` (the API's default) or `Never`. */
  readonly preemptionPolicy?: string;
}

/** Where PriorityClasses are looked up: the live index, a state file, or a fixture. */
export interface PriorityClasses {
  /** The class named `name`, the built-in system classes included. */
  priorityClass(name: string): PriorityClassInfo | undefined;
  /** The global default class (the lowest one when several claim it), if any. */
  defaultPriorityClass(): PriorityClassInfo | undefined;
}

/**
 * The classes every API server creates at start (pkg/apis/scheduling/v1 SystemPriorityClasses):
 * known here by name even when a state file leaves them out.
 */
export const SYSTEM_PRIORITY_CLASSES: readonly PriorityClassInfo[] = [
  { name: 'system-node-critical', value: 2_000_001_000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority' },
  { name: 'system-cluster-critical', value: 2_000_000_000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority' },
];

/** The preemption policy that lets a pod evict lower-priority pods. */
export const PREEMPT_NEVER = 'Never';

/** A pod's priority, and whether it may preempt pods below it. */
export interface Priority {
  readonly value: number;
  readonly preempts: boolean;
}

/**
 * The priority of a pod (or of a template's pods): `spec.priority` when set, else its
 * class's value, else the global default class's, else 0. Undefined when it names a
 * class that does not exist (the API server would refuse such a pod). It may preempt
 * unless its `preemptionPolicy`, or its class's, is `Never`.
 */
export function podPriority(spec: PodSpecLike, classes: PriorityClasses): Priority | undefined {
  const name = spec.priorityClassName ?? '';
  const pc = name === '' ? classes.defaultPriorityClass() : classes.priorityClass(name);
  if (spec.priority === undefined && name !== '' && pc === undefined) return undefined;
  const value = spec.priority ?? pc?.value ?? 0;
  const policy = spec.preemptionPolicy ?? pc?.preemptionPolicy;
  return { value, preempts: policy !== PREEMPT_NEVER };
}

/**
 * The priority of a pod holding ports, from its `spec.priority` (`priority`), else from
 * the class it names; undefined when that class is unknown. A pod without either counts
 * as 0, as the scheduler counts it (corev1helpers.PodPriority).
 */
export function holderPriority(priority: number | undefined, className: string | undefined, classes: PriorityClasses): number | undefined {
  if (priority !== undefined) return priority;
  if (className === undefined || className === '') return 0;
  return classes.priorityClass(className)?.value;
}

/** A lookup over a fixed list of classes, the system classes added unless the list names them. */
export function priorityClassesOf(listed: readonly PriorityClassInfo[]): PriorityClasses {
  const byName = new Map<string, PriorityClassInfo>(SYSTEM_PRIORITY_CLASSES.map((c) => [c.name, c]));
  for (const c of listed) byName.set(c.name, c);
  const fallback = defaultOf(listed);
  return { priorityClass: (name) => byName.get(name), defaultPriorityClass: () => fallback };
}

/** The global default among `classes`: the lowest value when several claim it, as the plugin picks. */
export function defaultOf(classes: Iterable<PriorityClassInfo>): PriorityClassInfo | undefined {
  let found: PriorityClassInfo | undefined;
  for (const c of classes) {
    if (c.globalDefault && (found === undefined || c.value < found.value)) found = c;
  }
  return found;
}
