/**
 * The installed release on a kind cluster (`make e2e-kind`): the chart's webhook, running
 * from the image built from this checkout by Docker, behind its Helm-generated CA. The
 * stories are those the local cluster's real nodes tell (test/e2e/real-nodes.test.ts),
 * from test/e2e/support/release-stories.ts, told here on kind's workers.
 *
 * It needs KUBECONFIG, KUBECTL and HELM of a kind cluster with the release installed
 * with config.exemptNamespaces[0]=hpg-e2e-exempt (hack/e2e-kind.sh does both), and does not
 * run in `make test`: kind needs a Docker engine.
 */
import { afterAll, afterEach, beforeAll, jest } from '@jest/globals';

import { manifestDir } from '../e2e/support/manifests.js';
import { createNamespace, deleteNamespaces, namespaceName } from '../e2e/support/namespaces.js';
import type { RealNode } from '../e2e/support/real-nodes.js';
import { realNodes } from '../e2e/support/real-nodes.js';
import { releaseStories } from '../e2e/support/release-stories.js';

jest.setTimeout(300_000);

/** The namespace hack/e2e-kind.sh gives the chart's exemptNamespaces. */
const EXEMPT = 'hpg-e2e-exempt';
/** Public busybox, which kind's nodes pull: sh and httpd, as the local busybox image has. */
const SERVER_IMAGE = 'busybox:1.36';

const manifests = manifestDir();
const namespaces: string[] = [];
let workers: RealNode[] = [];

beforeAll(async () => {
  if (process.env['HPG_E2E_TARGET'] !== 'kind') {
    throw new Error('test/kind runs against a kind cluster with the release installed: use make e2e-kind');
  }
  workers = await realNodes('!node-role.kubernetes.io/control-plane');
  if (workers.length < 2) throw new Error(`the kind cluster has ${workers.length} worker(s); the stories need two`);
  await deleteNamespaces([EXEMPT]);
  await createNamespace(EXEMPT);
});

afterEach(async () => {
  await deleteNamespaces(namespaces.splice(0));
});

afterAll(async () => {
  await deleteNamespaces([EXEMPT]);
  manifests.remove();
});

releaseStories(() => ({
  nodes: workers,
  serverImage: SERVER_IMAGE,
  podExtras: {},
  exemptNamespace: EXEMPT,
  manifests,
  async namespace(prefix, labels = {}) {
    const name = namespaceName(prefix);
    namespaces.push(name);
    return createNamespace(name, labels);
  },
}));
