/**
 * Pods pinned to a node (spec.nodeName) bypass the scheduler, so without hostport-guard a
 * collision is only noticed by the kubelet, after the pod was accepted. With the webhook,
 * the second `kubectl apply` fails and names the pod that holds the port.
 *
 * Each case uses its own port, so no case depends on how fast an earlier one's pods
 * disappear from the webhook's view.
 */
import { describe, expect, it, jest } from '@jest/globals';
import type { PodOptions } from './support/manifests.js';
import { pod } from './support/manifests.js';
import { podFacts } from './support/pods.js';
import type { RunResult } from './support/process.js';
import { e2eSuite } from './support/suite.js';

jest.setTimeout(120_000);

const suite = e2eSuite({ name: 'pinned' });

const created = (name: string): RunResult => ({ exitCode: 0, stdout: `pod/${name} created\n`, stderr: '' });

const denied = (file: string, message: string): RunResult => ({
  exitCode: 1,
  stdout: '',
  stderr: `Error from server (Forbidden): error when creating "${file}": admission webhook "pods.hostport-guard.io" denied the request: ${message}\n`,
});

describe('a second hostNetwork pod pinned to the same node and port', () => {
  it('is denied naming the first pod, which stays untouched', async () => {
    const ns = await suite.namespace('pinned');
    const first = suite.manifests.write('web-1', pod({ name: 'web-1', namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: 18080 }] }));
    const second = suite.manifests.write('web-2', pod({ name: 'web-2', namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: 18080 }] }));

    expect(await suite.kubectl(['apply', '-f', first])).toEqual(created('web-1'));
    const holder = await podFacts(ns, 'web-1');

    expect(await suite.kubectl(['apply', '-f', second])).toEqual(
      denied('web-2.yaml', `hostNetwork port 18080/TCP on node worker-1 is already used by pod ${ns}/web-1 (container web); pick another port or node`),
    );
    expect(await podFacts(ns, 'web-2')).toBeUndefined();
    expect(holder).toEqual({ uid: expect.stringMatching(/.+/), nodeName: 'worker-1', deletionTimestamp: '' });
    expect(await podFacts(ns, 'web-1')).toEqual(holder);
  });
});

/** The holder of a case: a hostNetwork pod web-1 on worker-1 holding `port`/TCP. */
const holder = (ns: string, port: number): PodOptions => ({ name: 'web-1', namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: port }] });

type Newcomer = Omit<PodOptions, 'namespace' | 'name'>;

const deniedCases: [string, number, Newcomer, (ns: string) => string][] = [
  [
    'a hostPort pod (no hostNetwork) asking for the same port on the same node',
    18081,
    { nodeName: 'worker-1', container: 'api', ports: [{ containerPort: 80, hostPort: 18081 }] },
    (ns) => `hostPort 18081/TCP on node worker-1 is already used by pod ${ns}/web-1 (container web); pick another port or node`,
  ],
  [
    'a hostPort pod binding one address of a port the holder binds on every address',
    18082,
    { nodeName: 'worker-1', container: 'api', ports: [{ containerPort: 80, hostPort: 18082, hostIP: '127.0.0.1' }] },
    (ns) => `hostPort 127.0.0.1:18082/TCP on node worker-1 is already used by pod ${ns}/web-1 (container web, on 18082/TCP); pick another port or node`,
  ],
  [
    'a pod whose sidecar (an init container with restartPolicy Always) asks for the port',
    18083,
    { nodeName: 'worker-1', sidecarPorts: [{ containerPort: 18083, hostPort: 18083 }] },
    (ns) => `hostPort 18083/TCP on node worker-1 is already used by pod ${ns}/web-1 (container web); pick another port or node`,
  ],
];

describe('a pod pinned to a node where its port is held by another pod', () => {
  it.each(deniedCases)('denies %s', async (_name, port, newcomer, message) => {
    const ns = await suite.namespace('pinned');
    expect(await suite.kubectl(['apply', '-f', suite.manifests.write('web-1', pod(holder(ns, port)))])).toEqual(created('web-1'));

    const file = suite.manifests.write('newcomer', pod({ ...newcomer, name: 'newcomer', namespace: ns }));
    expect(await suite.kubectl(['apply', '-f', file])).toEqual(denied(file, message(ns)));
  });
});

const admittedCases: [string, number, Newcomer][] = [
  ['the same port on another node', 18084, { nodeName: 'worker-2', hostNetwork: true, ports: [{ containerPort: 18084 }] }],
  ['another port on the same node', 18085, { nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: 18086 }] }],
  ['the same port number over UDP on the same node', 18087, { nodeName: 'worker-1', ports: [{ containerPort: 53, hostPort: 18087, protocol: 'UDP' }] }],
];

describe('a pinned pod whose ports are free where it lands', () => {
  it.each(admittedCases)('admits %s without a word', async (_name, port, newcomer) => {
    const ns = await suite.namespace('pinned');
    expect(await suite.kubectl(['apply', '-f', suite.manifests.write('web-1', pod(holder(ns, port)))])).toEqual(created('web-1'));

    const file = suite.manifests.write('newcomer', pod({ ...newcomer, name: 'newcomer', namespace: ns }));
    expect(await suite.kubectl(['apply', '-f', file])).toEqual(created('newcomer'));
  });
});

describe('a pod that is deleted', () => {
  it('frees its port at once: another pod can take it', async () => {
    const ns = await suite.namespace('replace');
    const first = suite.manifests.write('web-1', pod(holder(ns, 18088)));
    const second = suite.manifests.write('web-2', pod({ ...holder(ns, 18088), name: 'web-2' }));
    expect(await suite.kubectl(['apply', '-f', first])).toEqual(created('web-1'));
    await suite.waitForIndexToMatchCluster();

    expect(await suite.kubectl(['delete', '-f', first, '--grace-period=0', '--force'])).toEqual({
      exitCode: 0,
      stdout: `pod "web-1" force deleted from ${ns} namespace\n`,
      stderr: 'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n',
    });
    await suite.waitForIndexToMatchCluster();

    expect(await suite.kubectl(['apply', '-f', second])).toEqual(created('web-2'));
  });
});
