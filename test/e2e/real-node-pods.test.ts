/**
 * Pods the scheduler cannot judge, through the real API server and kubectl:
 *
 * - a static pod's mirror, created as the kubelet creates it (with the node's own client
 *   identity, signed by the cluster's CA), is admitted with a warning and holds its
 *   ports; the same pod from anyone else is decided like any pod;
 * - a pod on the kubelet's port 10250 is denied although nothing pins it;
 * - a hostNetwork pod that declares no ports is warned about, once per kubectl command
 *   however many such pods it applies.
 *
 * worker-1 is one of hack/cluster-up.sh's fake nodes: no kubelet there deletes a mirror
 * pod it has no static pod for. On a node with a kubelet, the mirror would come from a
 * manifest in its static pod folder instead.
 */
import path from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { nodeKubeconfig } from './support/certs.js';
import { kubectlOk } from './support/cluster.js';
import type { Manifest, PodOptions } from './support/manifests.js';
import { deployment, pod } from './support/manifests.js';
import { sampleValue } from './support/metrics.js';
import { e2eSuite } from './support/suite.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(240_000);

const suite = e2eSuite({ name: 'real-node-pods' });

/** The mirror-pod annotation the kubelet sets, with the hash of the static pod's manifest. */
const MIRROR_ANNOTATION = { 'kubernetes.io/config.mirror': 'e2e-static-manifest-hash' };

/** A pod as the kubelet mirrors a static pod: the annotation and a controller reference to its Node. */
function mirrorOf(o: PodOptions & { readonly nodeName: string }, nodeUid: string): Manifest {
  const base = pod(o);
  return {
    ...base,
    metadata: {
      name: o.name,
      namespace: o.namespace,
      annotations: MIRROR_ANNOTATION,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: o.nodeName, uid: nodeUid, controller: true }],
    },
  };
}

async function existingConflicts(): Promise<number> {
  return sampleValue(await suite.webhook().metrics(), 'hostport_guard_existing_conflicts_total', { mode: 'enforce' });
}

const denied = (file: string, message: string) => ({
  exitCode: 1,
  stdout: '',
  stderr: `Error from server (Forbidden): error when creating "${file}": admission webhook "pods.hostport-guard.io" denied the request: ${message}\n`,
});

describe("a static pod's mirror", () => {
  it('is admitted with a warning when its node sends it, holds its ports, and is decided like any pod from anyone else', async () => {
    const ns = await suite.namespace('mirror');
    const holder = suite.manifests.write('holder', pod({ name: 'holder', namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: 18193 }] }));
    expect(await suite.kubectl(['apply', '-f', holder])).toEqual({ exitCode: 0, stdout: 'pod/holder created\n', stderr: '' });
    await suite.waitForIndexToMatchCluster();

    const uid1 = (await kubectlOk(['get', 'node', 'worker-1', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const asKubelet1 = nodeKubeconfig(path.join(suite.manifests.dir, 'node-identity'), 'worker-1');
    const mirror = suite.manifests.write(
      'static-web',
      mirrorOf({ name: 'static-web-worker-1', namespace: ns, nodeName: 'worker-1', hostNetwork: true, container: 'static', ports: [{ containerPort: 18193 }] }, uid1),
    );
    const before = await existingConflicts();
    expect(await suite.kubectl(['--kubeconfig', asKubelet1, 'create', '-f', mirror])).toEqual({
      exitCode: 0,
      stdout: 'pod/static-web-worker-1 created\n',
      stderr: `Warning: static pod already running on node worker-1: hostNetwork port 18193/TCP is also used by pod ${ns}/holder\n`,
    });
    expect(await existingConflicts()).toBe(before + 1);
    // The webhook writes a request's log line once the connection is done with it.
    const line = await eventually("the mirror pod's log line", () => {
      const found = suite.webhook().logEntries().find((e) => e['name'] === 'static-web-worker-1' && e['msg'] === 'request answered');
      return Promise.resolve(found === undefined ? notYet('not logged yet') : done(found));
    });
    expect(line).toEqual(expect.objectContaining({ kind: 'Pod', mode: 'enforce', decision: 'warn', conflicts: 1, existing: true }));

    // The mirror pod holds its port for every later pod.
    const late = suite.manifests.write('late', pod({ name: 'late', namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: 18193 }] }));
    await suite.waitForIndexToMatchCluster();
    expect(await suite.kubectl(['apply', '-f', late])).toEqual(
      denied(
        'late.yaml',
        `hostNetwork port 18193/TCP on node worker-1 is already used by pod ${ns}/holder (container web) and pod ${ns}/static-web-worker-1 (container static); pick another port or node`,
      ),
    );

    // The annotation alone proves nothing: the API server lets any user set it ...
    const free = suite.manifests.write(
      'admin-mirror',
      mirrorOf({ name: 'admin-mirror', namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: 18194 }] }, uid1),
    );
    expect(await suite.kubectl(['create', '-f', free])).toEqual({ exitCode: 0, stdout: 'pod/admin-mirror created\n', stderr: '' });
    // ... only insisting that such a pod names its node ...
    const unbound = suite.manifests.write('unbound-mirror', { ...mirrorOf({ name: 'unbound-mirror', namespace: ns, nodeName: 'worker-1' }, uid1), spec: pod({ name: 'x', namespace: ns }).spec });
    const refused = await suite.kubectl(['create', '-f', unbound]);
    expect([refused.exitCode, refused.stderr]).toEqual([
      1,
      expect.stringContaining('metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "e2e-static-manifest-hash": must set spec.nodeName if mirror pod annotation is set'),
    ]);
    // ... so from a user, or from the kubelet of another node, it is decided like any pod.
    const copy = suite.manifests.write(
      'copy',
      mirrorOf({ name: 'copy', namespace: ns, nodeName: 'worker-1', hostNetwork: true, container: 'static', ports: [{ containerPort: 18193 }] }, uid1),
    );
    const deniedCopy = denied(
      'copy.yaml',
      `hostNetwork port 18193/TCP on node worker-1 is already used by pod ${ns}/holder (container web) and pod ${ns}/static-web-worker-1 (container static); pick another port or node`,
    );
    expect(await suite.kubectl(['create', '-f', copy])).toEqual(deniedCopy);
    // This cluster runs without the NodeRestriction plugin, so the API server lets worker-2's
    // kubelet create a pod bound to worker-1 and only the webhook refuses it; with the
    // plugin, the API server would refuse it first.
    const asKubelet2 = nodeKubeconfig(path.join(suite.manifests.dir, 'node-identity'), 'worker-2');
    const fromOtherNode = await suite.kubectl(['--kubeconfig', asKubelet2, 'create', '-f', copy]);
    expect(fromOtherNode).toEqual(
      fromOtherNode.stderr.includes('can only create pods with spec.nodeName set to itself') ? expect.objectContaining({ exitCode: 1 }) : deniedCopy,
    );
  });
});

describe("the kubelet's port", () => {
  it('denies a pod asking for 10250 though nothing pins it, and warns about a Deployment whose pods would', async () => {
    const ns = await suite.namespace('kubelet-port');
    const probe = suite.manifests.write('kubelet-port', pod({ name: 'probe', namespace: ns, hostNetwork: true, container: 'probe', ports: [{ containerPort: 10250 }] }));
    expect(await suite.kubectl(['apply', '-f', probe])).toEqual(
      denied(
        'kubelet-port.yaml',
        "hostNetwork port 10250/TCP is a node daemon's port: kubelet holds it on every node, and the scheduler cannot see it; the container could not bind it: pick another port",
      ),
    );

    const healthz = suite.manifests.write('healthz-port', pod({ name: 'healthz', namespace: ns, container: 'probe', ports: [{ containerPort: 8080, hostPort: 10248 }] }));
    expect(await suite.kubectl(['apply', '-f', healthz])).toEqual(
      denied(
        'healthz-port.yaml',
        "hostPort 10248/TCP is a node daemon's port: kubelet holds 127.0.0.1:10248/TCP on every node, and the scheduler cannot see it; the pod's NAT rule would take kubelet's traffic: pick another port",
      ),
    );

    const workload = suite.manifests.write('kubelet-deployment', deployment({ name: 'probe', namespace: ns, hostNetwork: true, container: 'probe', ports: [{ containerPort: 10250 }] }));
    expect(await suite.kubectl(['apply', '-f', workload])).toEqual({
      exitCode: 0,
      stdout: 'deployment.apps/probe created\n',
      stderr: "Warning: hostNetwork port 10250/TCP is a node daemon's port: kubelet holds it on every node, unseen by the scheduler\n",
    });
    // Its pods are denied when the ReplicaSet creates them.
    const refusal = await eventually("a FailedCreate event on the Deployment's ReplicaSet", async () => {
      const out = await suite.kubectl(['get', 'events', '-n', ns, '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={range .items[*]}{.involvedObject.kind} {.message}{"\\n"}{end}']);
      const [first] = out.stdout.split('\n').filter((l) => l !== '');
      return first === undefined ? notYet('no FailedCreate event') : done(first);
    });
    expect(refusal).toBe(
      'ReplicaSet Error creating: admission webhook "pods.hostport-guard.io" denied the request: ' +
        "hostNetwork port 10250/TCP is a node daemon's port: kubelet holds it on every node, and the scheduler cannot see it; the container could not bind it: pick another port",
    );
  });
});

describe('ports that no one declared', () => {
  const UNDECLARED = 'Warning: hostNetwork pod declares no ports: no check here or in the scheduler sees what it binds; declare containers[].ports\n';

  it('warns on kubectl apply of a hostNetwork pod or workload without ports, once for a hundred pods', async () => {
    const ns = await suite.namespace('undeclared');
    const one = suite.manifests.write('quiet', pod({ name: 'quiet', namespace: ns, hostNetwork: true }));
    expect(await suite.kubectl(['apply', '-f', one])).toEqual({ exitCode: 0, stdout: 'pod/quiet created\n', stderr: UNDECLARED });

    const names = Array.from({ length: 100 }, (_, i) => `quiet-${i}`);
    const hundred = suite.manifests.write('hundred', ...names.map((name) => pod({ name, namespace: ns, hostNetwork: true })));
    expect(await suite.kubectl(['apply', '-f', hundred])).toEqual({
      exitCode: 0,
      stdout: names.map((name) => `pod/${name} created\n`).join(''),
      stderr: UNDECLARED,
    });
    // Each pod got the warning; kubectl printed it once. (The log line is written once each
    // connection is done with its request, so the last ones may come a moment later.)
    const answered = await eventually('a log line for each of the hundred pods', () => {
      const lines = suite
        .webhook()
        .logEntries()
        .filter((e) => e['kind'] === 'Pod' && typeof e['name'] === 'string' && /^quiet-[0-9]+$/.test(e['name']) && e['msg'] === 'request answered');
      return Promise.resolve(lines.length === names.length ? done(lines) : notYet(`${lines.length} lines`));
    });
    expect(new Set(answered.map((e) => JSON.stringify([e['decision'], e['warnings']])))).toEqual(
      new Set([JSON.stringify(['warn', [UNDECLARED.slice('Warning: '.length, -1)]])]),
    );

    const workload = suite.manifests.write('quiet-deployment', deployment({ name: 'quiet', namespace: ns, hostNetwork: true }));
    expect(await suite.kubectl(['apply', '-f', workload])).toEqual({
      exitCode: 0,
      stdout: 'deployment.apps/quiet created\n',
      stderr: 'Warning: hostNetwork pods declare no ports: no check here or in the scheduler sees what they bind; declare containers[].ports\n',
    });
  });
});
