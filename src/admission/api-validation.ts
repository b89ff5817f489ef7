/**
 * What the API server's own validation refuses before any webhook is called, decided for
 * `check`, which sees manifests that never reached an API server. The webhook never
 * receives such pods, so it needs no path for them.
 */
import type { DuplicateHostPort } from '../engine/host-ports.js';
import { duplicateHostPorts } from '../engine/host-ports.js';
import type { Decision, Mode } from './decide.js';
import { oneLine } from './messages.js';
import type { Subject } from './subject.js';

/** Where a workload keeps its pod spec, as the API server's field paths spell it. */
function templatePath(workloadKind: string): string {
  return workloadKind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
}

function whoDeclares(d: DuplicateHostPort): string {
  const [first, second] = d.containers;
  return first === second ? `container ${first} declares it twice` : `containers ${first} and ${second} both declare it`;
}

/** The API server's words for each duplicate (`field: Duplicate value: "TCP//8080"`), with who declares it. */
function quoted(prefix: string, duplicates: readonly DuplicateHostPort[]): string {
  return duplicates.map((d) => `${prefix}.${d.field}: Duplicate value: ${JSON.stringify(d.value)} (${whoDeclares(d)})`).join(', ');
}

/**
 * The denial of a pod or workload the API server would refuse because one host port is
 * declared twice, or undefined when it would not. A workload's template is refused when
 * it repeats a hostPort itself; when only the Pod defaulting of hostNetwork
 * (`hostPort = containerPort`) makes two ports equal, the template is stored and every
 * pod created from it is refused. Independent of the mode: the API server decides it.
 */
export function apiServerRefusal(subject: Subject, mode: Mode): Decision | undefined {
  const base = { mode, node: null, conflicts: [], conflictCount: 0, existing: false } as const;
  if (subject.kind === 'Pod') {
    const duplicates = duplicateHostPorts(subject.pod.spec, { defaultHostNetworkPorts: true });
    if (duplicates.length === 0) return undefined;
    return { ...base, kind: 'deny', message: oneLine(`the API server refuses this pod: ${quoted('spec', duplicates)}`) };
  }
  const own = duplicateHostPorts(subject.spec, { defaultHostNetworkPorts: false });
  if (own.length > 0) {
    const message = `the API server refuses this ${subject.workloadKind}: ${quoted(templatePath(subject.workloadKind), own)}`;
    return { ...base, kind: 'deny', message: oneLine(message) };
  }
  const ofPods = duplicateHostPorts(subject.spec, { defaultHostNetworkPorts: true });
  if (ofPods.length === 0) return undefined;
  const message =
    `the API server refuses every pod of this ${subject.workloadKind}: ${quoted('spec', ofPods)};` +
    ' on hostNetwork each containerPort is also a hostPort';
  return { ...base, kind: 'deny', message: oneLine(message) };
}
