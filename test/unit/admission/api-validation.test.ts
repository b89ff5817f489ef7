import { describe, expect, it } from '@jest/globals';

import { apiServerRefusal } from '../../../src/admission/api-validation.js';
import type { Mode } from '../../../src/admission/decide.js';
import { MODES } from '../../../src/admission/decide.js';
import type { Subject } from '../../../src/admission/subject.js';
import { container, pod, podSubject, portSpec, unboundSpec, workloadSubject } from '../../fixtures/pods.js';

/** Two containers `web` and `metrics`, both declaring host port 8080 (the second from containerPort 9090). */
const TWICE = [container('web', [portSpec(8080)]), container('metrics', [portSpec(8080, { containerPort: 9090 })])];
/** Two containers of a hostNetwork spec declaring containerPort 8080 without hostPort. */
const TWICE_ON_HOST_NETWORK = [container('web', [{ containerPort: 8080 }]), container('metrics', [{ containerPort: 8080 }])];

describe('apiServerRefusal', () => {
  it.each<[string, Subject, string | undefined]>([
    [
      'denies a pod declaring one host port in two containers, quoting the duplicate as the API server does',
      podSubject(pod({ spec: { hostNetwork: false, containers: TWICE } })),
      'the API server refuses this pod: spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080" (containers web and metrics both declare it)',
    ],
    [
      'denies a hostNetwork pod whose containerPorts become one host port',
      podSubject(pod({ spec: { containers: TWICE_ON_HOST_NETWORK } })),
      'the API server refuses this pod: spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080" (containers web and metrics both declare it)',
    ],
    [
      'denies a DaemonSet whose template repeats a hostPort itself',
      workloadSubject('DaemonSet', 'team-a/agent', unboundSpec({ hostNetwork: false, containers: TWICE })),
      'the API server refuses this DaemonSet: spec.template.spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080" (containers web and metrics both declare it)',
    ],
    [
      'denies a CronJob at its own path',
      workloadSubject('CronJob', 'team-a/backup', unboundSpec({ hostNetwork: false, containers: TWICE })),
      'the API server refuses this CronJob: spec.jobTemplate.spec.template.spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080" (containers web and metrics both declare it)',
    ],
    [
      'denies a Deployment whose hostNetwork template is stored but whose every pod is refused',
      workloadSubject('Deployment', 'team-a/api', unboundSpec({ containers: TWICE_ON_HOST_NETWORK })),
      'the API server refuses every pod of this Deployment: spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080" (containers web and metrics both declare it);' +
        ' on hostNetwork each containerPort is also a hostPort',
    ],
    ['lets a pod with distinct host ports through', podSubject(pod()), undefined],
    [
      'lets through "" and 0.0.0.0 for one port, which the API server compares as text',
      podSubject(pod({ spec: { hostNetwork: false, containers: [container('a', [portSpec(80)]), container('b', [portSpec(80, { hostIP: '0.0.0.0' })])] } })),
      undefined,
    ],
  ])('%s', (_name, subject, want) => {
    const d = apiServerRefusal(subject, 'enforce');
    expect(d === undefined ? undefined : d.kind === 'deny' ? d.message : d.kind).toBe(want);
  });

  it('denies whatever the mode, because the API server decides it', () => {
    const subject = podSubject(pod({ spec: { hostNetwork: false, containers: TWICE } }));
    expect(MODES.map((mode: Mode) => apiServerRefusal(subject, mode)?.kind)).toEqual(['deny', 'deny', 'deny']);
  });
});
