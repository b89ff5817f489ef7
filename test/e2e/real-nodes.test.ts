/**
 * The chart installed for real on the local cluster, and what it does on nodes that run
 * pods: `helm install` with the image of this tree, two webhook replicas on the real
 * nodes, called by the API server through the chart's Service. Then the stories of
 * support/release-stories.ts (shared with `make e2e-kind`): a host-networked pod that
 * really serves on its port, the denial that names it, the kubelet's own refusal when
 * the webhook is not asked, a crash loop on an undeclared port.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseFinalStage } from '../../hack/image/assemble.js';
import { field, text, valuesOf } from '../integration/chart/chart.js';
import { clusterEnv, kubectl, kubectlJson, kubectlOk, REPO_ROOT } from './support/cluster.js';
import { daemonSet, manifestDir, pod } from './support/manifests.js';
import { createNamespace, deleteNamespaces, namespaceName } from './support/namespaces.js';
import { decodePods, eventsFor, rawPods } from './support/pods.js';
import type { RealNode } from './support/real-nodes.js';
import { httpServer, LOCAL_IMAGES, ON_REAL_NODES, realNodes } from './support/real-nodes.js';
import type { Release } from './support/release.js';
import { helmUninstall, helmUpgradeInstall, localReleaseValues, release, waitForReadyWebhooks, webhookConfigurations, webhookPods } from './support/release.js';
import type { ReleaseTarget } from './support/release-stories.js';
import { eventLines, releaseStories, waitForAnswer, waitForPod } from './support/release-stories.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(300_000);

const EXEMPT = 'hpg-e2e-exempt';
const manifests = manifestDir();
const testNamespaces: string[] = [];
const hpg: Release = release('hpg-real', 'hostport-guard-real');
let nodes: RealNode[] = [];

beforeAll(async () => {
  nodes = await realNodes();
  if (nodes.length < 2) throw new Error(`the local cluster has ${nodes.length} real node(s); the stories need two (HPG_REAL_NODES)`);
  await deleteNamespaces([EXEMPT]);
  await createNamespace(EXEMPT);
  await helmUpgradeInstall(hpg, [...localReleaseValues(), '--set', 'replicaCount=2', '--set', `config.exemptNamespaces[0]=${EXEMPT}`]);
});

afterEach(async () => {
  await deleteNamespaces(testNamespaces.splice(0));
});

afterAll(async () => {
  await helmUninstall(hpg);
  await deleteNamespaces([EXEMPT, hpg.namespace]);
  manifests.remove();
});

describe('the chart installed on the real nodes', () => {
  it('runs its webhook pods on the real nodes, ready only once synced, with the ServiceAccount token and no kubeconfig', async () => {
    const pods = await waitForReadyWebhooks(hpg, 2);
    expect(new Set(pods.map((p) => p.node))).toEqual(new Set(nodes.map((n) => n.name)));
    for (const p of pods) {
      // The kubelet's readiness probe turned the pod Ready no earlier than the second in
      // which the server logged its first sync: /readyz is gated on it.
      const log = await kubectlOk(['logs', p.name, '-n', hpg.namespace]);
      const synced = log.split('\n').filter((l) => l.includes('"cluster index synced"')).flatMap((l) => {
        const entry: unknown = JSON.parse(l);
        return typeof entry === 'object' && entry !== null && 'time' in entry && typeof entry.time === 'number' ? [entry.time] : [];
      });
      const readySince = await kubectlOk(['get', 'pod', p.name, '-n', hpg.namespace, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].lastTransitionTime}']);
      expect(synced.length).toBeGreaterThan(0);
      expect(Date.parse(readySince)).toBeGreaterThanOrEqual(Math.floor((synced[0] ?? Infinity) / 1000) * 1000);
    }
    const deployment = await kubectlJson(['get', 'deployment', hpg.fullname, '-n', hpg.namespace]);
    expect(JSON.stringify(deployment)).not.toContain('kubeconfig');
    expect(await webhookConfigurations()).toContain(hpg.fullname);
    // With the chart's RBAC, one of the two pods holds the release's Lease (its identity
    // starts with its hostname, the pod's name): it writes the conflict Events.
    const holder = await eventually('a webhook pod to hold the Lease', async () => {
      const got = await kubectl(['get', 'lease', hpg.fullname, '-n', hpg.namespace, '-o', 'jsonpath={.spec.holderIdentity}']);
      const pod = pods.find((p) => got.stdout.startsWith(`${p.name}_`));
      return pod === undefined ? notYet(`${got.stdout}${got.stderr}`) : done(pod.name);
    });
    expect(pods.map((p) => p.name)).toContain(holder);
  });
});

describe("the webhook process under the chart's memory limit", () => {
  it("runs with the chart's nodeOptions, so V8 does not size its heap from that limit", async () => {
    const values = valuesOf();
    const nodeOptions = text(values, 'nodeOptions');
    expect(text(values, 'resources', 'limits', 'memory')).toBe('256Mi');
    const [first] = await waitForReadyWebhooks(hpg, 2);
    if (first === undefined) throw new Error('no ready webhook pod');
    // A second Node.js in the webhook's container: its cgroup, and PID 1's environment.
    const script = [
      "const environ = require('fs').readFileSync('/proc/1/environ', 'utf8').split('\\0');",
      'console.log(JSON.stringify({',
      "  pid1: environ.find((e) => e.startsWith('NODE_OPTIONS=')) ?? null,",
      '  constrained: process.constrainedMemory(),',
      "  heapLimit: require('v8').getHeapStatistics().heap_size_limit,",
      '}));',
    ].join('\n');
    const seen: unknown = JSON.parse(await kubectlOk(['exec', first.name, '-n', hpg.namespace, '-c', 'webhook', '--', '/nodejs/bin/node', '-e', script]));
    expect(seen).toEqual({ pid1: `NODE_OPTIONS=${nodeOptions}`, constrained: 256 * 2 ** 20, heapLimit: expect.any(Number) });
    // Sized from the limit, the heap would stop near 256 MiB (259 MiB seen at 256Mi).
    expect(field(seen, 'heapLimit')).toBeGreaterThanOrEqual(2048 * 2 ** 20);
  });
});

describe('the conflict Events of the installed release', () => {
  it('are written by the replica holding the Lease, once on each pod of a conflict, in a namespace the webhook never decides', async () => {
    // Two pods pinned to a fake node on one port: let in, since the webhook never sees EXEMPT.
    const file = manifests.write('exempt-twins', ...['twin-a', 'twin-b'].map((name) => pod({ name, namespace: EXEMPT, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: 18196 }] })));
    await kubectlOk(['apply', '-f', file], { cwd: manifests.dir });
    try {
      for (const [self, other] of [['twin-a', 'twin-b'], ['twin-b', 'twin-a']] as const) {
        const events = await eventually(`the HostPortConflict Event on ${self}`, async () => {
          const found = await eventsFor(EXEMPT, self, 'HostPortConflict');
          return found.length > 0 ? done(found) : notYet('none yet');
        });
        expect(events).toEqual([{ type: 'Warning', reason: 'HostPortConflict', message: `host port 18196/TCP on node worker-1 is also held by pod ${EXEMPT}/${other} (container web): the pods conflict` }]);
      }
    } finally {
      await kubectl(['delete', 'pod', 'twin-a', 'twin-b', '-n', EXEMPT, '--grace-period=0', '--force']);
    }
  });
});

describe('the webhook image the nodes run', () => {
  it("is the Dockerfile's final stage: its user, entrypoint, command, ports and workdir, and the files it copies", () => {
    const imageDir = process.env['HPG_IMAGE_DIR'] ?? execFileSync('bash', [path.join(REPO_ROOT, 'hack/cluster-env.sh'), '--get', 'HPG_IMAGE_DIR'], { encoding: 'utf8' }).trim();
    const archive = path.join(imageDir, 'webhook.tar');
    const tar = (...args: string[]): string => execFileSync('tar', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const manifest: unknown = JSON.parse(tar('-xOf', archive, './manifest.json'));
    const entry: unknown = Array.isArray(manifest) ? manifest[0] : undefined;
    if (typeof entry !== 'object' || entry === null || !('Config' in entry) || !('Layers' in entry) || !Array.isArray(entry.Layers)) throw new Error('no manifest entry');
    const layers: unknown[] = entry.Layers;
    const image: unknown = JSON.parse(tar('-xOf', archive, `./${String(entry.Config)}`));
    const stage = parseFinalStage(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));

    expect(image).toMatchObject({
      os: 'linux',
      architecture: 'amd64',
      config: {
        User: stage.user,
        WorkingDir: stage.workdir,
        Entrypoint: stage.entrypoint,
        Cmd: stage.cmd,
        ExposedPorts: Object.fromEntries(stage.exposedPorts.map((p) => [p, {}])),
      },
    });
    // Every file a layer holds, with the path the container sees.
    const files = new Set(layers.flatMap((layer) => {
      const listing = execFileSync('sh', ['-c', 'tar -xOf "$1" "./$2" | tar -t', 'sh', archive, String(layer)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      return listing.split('\n').map((f) => f.replace(/^\.\//, '/').replace(/(.)\/$/, '$1'));
    }));
    for (const copy of stage.copies) expect(files).toContain(copy.dest);
    for (const file of ['/app/dist/cli/main.js', '/app/bin/hostport-guard.js', '/app/node_modules/@kubernetes/client-node/package.json', stage.entrypoint[0] ?? '', '/etc/passwd']) {
      expect(files).toContain(file);
    }
    // Only production dependencies, as the Dockerfile's `npm prune --omit=dev` leaves.
    expect(files).not.toContain('/app/node_modules/jest/package.json');
    expect(files).not.toContain('/app/node_modules/typescript/package.json');
  });
});

releaseStories((): ReleaseTarget => ({
  nodes,
  serverImage: LOCAL_IMAGES.busybox,
  podExtras: { tolerations: ON_REAL_NODES.tolerations ?? [] },
  exemptNamespace: EXEMPT,
  manifests,
  async namespace(prefix, labels = {}) {
    const name = namespaceName(prefix);
    testNamespaces.push(name);
    return createNamespace(name, labels);
  },
}));

describe('a DaemonSet rollout on the real nodes (maxUnavailable 1, the default)', () => {
  /** Creates DaemonSet `agent` serving on `port`, rolls it once, and returns the rollout's seconds. */
  async function rollout(ns: string, port: number): Promise<number> {
    const file = manifests.write(`agent-${ns}`, daemonSet({
      name: 'agent', namespace: ns, hostNetwork: true, ...ON_REAL_NODES, terminationGracePeriodSeconds: 5,
      run: httpServer(port), ports: [{ containerPort: port }],
    }));
    await kubectlOk(['apply', '-f', file], { cwd: manifests.dir });
    await kubectlOk(['rollout', 'status', 'daemonset/agent', '-n', ns, '--timeout=180s'], { timeoutMs: 200_000 });
    const first = await kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=agent', '-o', 'jsonpath={.items[*].metadata.name}']);

    const started = process.hrtime.bigint();
    await kubectlOk(['set', 'env', 'daemonset/agent', '-n', ns, 'ROLLOUT=2']);
    await kubectlOk(['rollout', 'status', 'daemonset/agent', '-n', ns, '--timeout=180s'], { timeoutMs: 200_000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    // New pods on every node, each answering on the port. The rollout is complete once
    // the new pods are available; an old pod can still be terminating on its node then.
    const pods = decodePods(await rawPods(ns)).filter((p) => p.metadata.name?.startsWith('agent-') === true && p.metadata.deletionTimestamp === undefined);
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(nodes.map((n) => n.name));
    for (const p of pods) {
      const name = p.metadata.name ?? '';
      expect(first.split(' ')).not.toContain(name);
      const node = nodes.find((n) => n.name === p.spec.nodeName);
      if (node === undefined) throw new Error(`${name} is not on a real node`);
      await waitForAnswer(node.address, port, name);
    }
    return seconds;
  }

  it('completes with the webhook causing no FailedCreate; its time is compared with the same rollout without the webhook', async () => {
    const ns = namespaceName('rollout');
    testNamespaces.push(ns);
    await createNamespace(ns);
    const withWebhook = await rollout(ns, 18190);
    expect((await eventLines(ns, 'agent')).filter((l) => l.includes('FailedCreate'))).toEqual([]);

    const withoutWebhook = await rollout(EXEMPT, 18191);
    console.log(`DaemonSet rollout over ${nodes.length} real nodes: ${withWebhook.toFixed(1)} s with the webhook, ${withoutWebhook.toFixed(1)} s without (ratio ${(withWebhook / withoutWebhook).toFixed(2)})`);
    await kubectl(['delete', 'daemonset', 'agent', '-n', EXEMPT, '--wait=true']);
  });
});

describe('a static pod on a real node', () => {
  it("is run by the kubelet whatever the webhook says, so its mirror pod is admitted with a warning naming the kubelet's own port", async () => {
    const [node] = nodes;
    if (node === undefined) throw new Error('no real node');
    const ns = namespaceName('static');
    testNamespaces.push(ns);
    await createNamespace(ns);
    // A static pod declaring 10250, the kubelet's own port on every node: the scheduler
    // and the kubelet know only pods' ports, so nothing stops it but the bind itself.
    const manifest = path.join(clusterEnv().clusterDir, 'nodes', node.name, 'manifests', `${ns}.yaml`);
    const staticPod = pod({ name: 'agent', namespace: ns, hostNetwork: true, run: httpServer(10250), ports: [{ containerPort: 10250 }], terminationGracePeriodSeconds: 1 });
    writeFileSync(manifest, JSON.stringify(staticPod));
    try {
      const mirror = `agent-${node.name}`;
      await waitForPod(ns, mirror, 'to be mirrored and fail to bind', (st) => st.restarts >= 1 && st.exitCode === 1, 180_000);
      expect(await kubectlOk(['get', 'pod', mirror, '-n', ns, '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/config\\.mirror}'])).not.toBe('');
      expect((await kubectl(['logs', mirror, '-n', ns])).stdout).toBe('httpd: bind: Address already in use\n');

      // The release's answer to the kubelet: admitted as a conflict that already exists.
      const line = await eventually(`the webhook's log line for ${ns}/${mirror}`, async () => {
        for (const p of await webhookPods(hpg)) {
          const log = await kubectlOk(['logs', p.name, '-n', hpg.namespace]);
          const found = log.split('\n').find((l) => l.includes(`"namespace":"${ns}"`) && l.includes(`"name":"${mirror}"`));
          if (found !== undefined) return done(found);
        }
        return notYet('no log line yet');
      });
      expect(line).toContain('"decision":"warn"');
      expect(line).toContain('"existing":true');
      expect(line).toContain(`static pod already running on node ${node.name}: hostNetwork port 10250/TCP is also used by`);
      // The release's audit holds the kubelet's port as reserved: the mirror is in a
      // conflict with the node daemon, told once in an Event on it.
      const events = await eventually(`the HostPortConflict Event on ${mirror}`, async () => {
        const found = await eventsFor(ns, mirror, 'HostPortConflict');
        return found.length > 0 ? done(found) : notYet('none yet');
      });
      expect(events).toEqual([{ type: 'Warning', reason: 'HostPortConflict', message: `host port 10250/TCP on node ${node.name} is also held by node daemon kubelet (10250/TCP): the pod cannot bind it` }]);
    } finally {
      rmSync(manifest, { force: true });
    }
    await eventually('the kubelet to remove the static pod and its mirror', async () => {
      const r = await kubectl(['get', 'pods', '-n', ns, '-o', 'name']);
      return r.stdout === '' ? done(undefined) : notYet(r.stdout);
    }, { timeoutMs: 120_000 });
  });
});
