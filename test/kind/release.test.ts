/**
 * The installed release on a cluster with real kubelets (`make e2e-kind`): the chart's
 * webhook, running from the image built from this checkout behind its Helm-generated CA,
 * refuses a pinned collision on a kind worker and warns in a warn-mode namespace.
 *
 * It needs KUBECONFIG, KUBECTL and HELM of a kind cluster with the release installed
 * (hack/e2e-kind.sh sets them), and does not run in `make test`: the local control plane
 * has no kubelet and no container runtime to run the image.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

import { kubectl, kubectlOk } from '../e2e/support/cluster.js';
import { manifestDir, pod } from '../e2e/support/manifests.js';
import { createNamespace, deleteNamespaces, namespaceName } from '../e2e/support/namespaces.js';

jest.setTimeout(180_000);

const manifests = manifestDir();
const namespaces: string[] = [];
let worker = '';

beforeAll(async () => {
  if (process.env['HPG_E2E_TARGET'] !== 'kind') {
    throw new Error('test/kind runs against a kind cluster with the release installed: use make e2e-kind');
  }
  const names = await kubectlOk(['get', 'nodes', '-l', '!node-role.kubernetes.io/control-plane', '-o', 'jsonpath={.items[*].metadata.name}']);
  worker = names.split(' ').filter((n) => n !== '').sort()[0] ?? '';
  if (worker === '') throw new Error('the kind cluster has no worker node');
});

afterAll(async () => {
  await deleteNamespaces(namespaces);
  manifests.remove();
});

async function namespace(prefix: string, labels: Readonly<Record<string, string>> = {}): Promise<string> {
  const name = await createNamespace(namespaceName(prefix), labels);
  namespaces.push(name);
  return name;
}

describe('the release installed by the chart', () => {
  it('denies a second hostNetwork pod pinned to a worker on the same port, naming the first', async () => {
    const ns = await namespace('kind');
    const first = manifests.write('web-1', pod({ name: 'web-1', namespace: ns, nodeName: worker, hostNetwork: true, ports: [{ containerPort: 18080 }] }));
    const second = manifests.write('web-2', pod({ name: 'web-2', namespace: ns, nodeName: worker, hostNetwork: true, ports: [{ containerPort: 18080 }] }));

    expect(await kubectl(['apply', '-f', first], { cwd: manifests.dir })).toEqual({ exitCode: 0, stdout: 'pod/web-1 created\n', stderr: '' });
    expect(await kubectl(['apply', '-f', second], { cwd: manifests.dir })).toEqual({
      exitCode: 1,
      stdout: '',
      stderr:
        `Error from server (Forbidden): error when creating "web-2.yaml": admission webhook "pods.hostport-guard.io" denied the request: ` +
        `hostNetwork port 18080/TCP on node ${worker} is already used by pod ${ns}/web-1 (container web); pick another port or node\n`,
    });
  });

  it('admits the same collision with a warning in a namespace labelled warn', async () => {
    const ns = await namespace('kind-warn', { 'hostport-guard.io/mode': 'warn' });
    const first = manifests.write('warn-1', pod({ name: 'warn-1', namespace: ns, nodeName: worker, hostNetwork: true, ports: [{ containerPort: 18081 }] }));
    const second = manifests.write('warn-2', pod({ name: 'warn-2', namespace: ns, nodeName: worker, hostNetwork: true, ports: [{ containerPort: 18081 }] }));

    expect((await kubectl(['apply', '-f', first], { cwd: manifests.dir })).exitCode).toBe(0);
    expect(await kubectl(['apply', '-f', second], { cwd: manifests.dir })).toEqual({
      exitCode: 0,
      stdout: 'pod/warn-2 created\n',
      stderr: `Warning: port 18081/TCP on node ${worker} is used by pod ${ns}/warn-1 (container web)\n`,
    });
  });
});
