/**
 * The stories an installed release tells on nodes that really run pods. They are shared:
 * test/e2e/real-nodes.test.ts tells them on the local cluster's real nodes, and
 * test/kind/release.test.ts on a kind cluster (`make e2e-kind`). Each story asserts what
 * a user sees: kubectl's exact words, the pod's status, and a real request to the port.
 */
import { describe, expect, it } from '@jest/globals';
import { kubectl, kubectlJson } from './cluster.js';
import type { ManifestDir, PodOptions } from './manifests.js';
import { pod } from './manifests.js';
import type { HttpAnswer, RealNode } from './real-nodes.js';
import { httpGet, httpServer } from './real-nodes.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** Where the stories run. */
export interface ReleaseTarget {
  /** Nodes that run pods (at least two), in a stable order. */
  readonly nodes: readonly RealNode[];
  /** An image with busybox's sh and httpd. */
  readonly serverImage: string;
  /** What pods need to be allowed onto `nodes` (tolerations; nodeName pins bypass selectors). */
  readonly podExtras: Pick<PodOptions, 'tolerations'>;
  /** A namespace the release never sees (the chart's exemptNamespaces); it exists. */
  readonly exemptNamespace: string;
  /** Creates a namespace that is removed after the test. */
  namespace(prefix: string, labels?: Readonly<Record<string, string>>): Promise<string>;
  readonly manifests: ManifestDir;
}

/** The kubelet's own refusal of a pod whose declared host port is taken (kubelet 1.37). */
export const KUBELET_NODEPORTS_MESSAGE = "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports";
/** The webhook's warning for a hostNetwork pod that declares no ports. */
export const UNDECLARED_WARNING = 'hostNetwork pod declares no ports: no check here or in the scheduler sees what it binds; declare containers[].ports';
/** The kubelet's Warning event for that refusal. */
export const KUBELET_NODEPORTS_EVENT = "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The facts of a pod the stories look at: phase, reason, message and its container's state. */
export interface PodStatus {
  readonly phase: string;
  readonly reason: string;
  readonly message: string;
  readonly restarts: number;
  readonly waitingReason: string;
  /** The exit code of the container's last run, when it is not running. */
  readonly exitCode: number | undefined;
  readonly ready: boolean;
}

/** The pod's status, or undefined when it does not exist. */
export async function podStatus(namespace: string, name: string): Promise<PodStatus | undefined> {
  const result = await kubectl(['get', 'pod', name, '-n', namespace, '-o', 'json']);
  if (result.exitCode !== 0) return undefined;
  const parsed: unknown = JSON.parse(result.stdout);
  const status = isRecord(parsed) && isRecord(parsed['status']) ? parsed['status'] : {};
  const containers = Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : [];
  const first: unknown = containers[0];
  const c = isRecord(first) ? first : {};
  const waiting = isRecord(c['state']) && isRecord(c['state']['waiting']) ? c['state']['waiting'] : {};
  const terminated = isRecord(c['state']) && isRecord(c['state']['terminated']) ? c['state']['terminated'] : {};
  return {
    phase: typeof status['phase'] === 'string' ? status['phase'] : '',
    reason: typeof status['reason'] === 'string' ? status['reason'] : '',
    message: typeof status['message'] === 'string' ? status['message'] : '',
    restarts: typeof c['restartCount'] === 'number' ? c['restartCount'] : 0,
    waitingReason: typeof waiting['reason'] === 'string' ? waiting['reason'] : '',
    exitCode: typeof terminated['exitCode'] === 'number' ? terminated['exitCode'] : undefined,
    ready: c['ready'] === true,
  };
}

/** Waits until the pod's status passes `accept`, and returns it. */
export async function waitForPod(namespace: string, name: string, what: string, accept: (s: PodStatus) => boolean, timeoutMs = 120_000): Promise<PodStatus> {
  return eventually(`pod ${namespace}/${name} ${what}`, async () => {
    const s = await podStatus(namespace, name);
    return s !== undefined && accept(s) ? done(s) : notYet(JSON.stringify(s ?? 'no such pod'));
  }, { timeoutMs, intervalMs: 500 });
}

/** Waits until GET address:port answers with `body`. */
export async function waitForAnswer(address: string, port: number, body: string): Promise<HttpAnswer> {
  return eventually(`http://${address}:${port}/ to answer ${body}`, async () => {
    const answer = await httpGet(address, port);
    return 'body' in answer && answer.body.trim() === body ? done(answer) : notYet(JSON.stringify(answer));
  }, { timeoutMs: 60_000, intervalMs: 500 });
}

/** The events about an object (newest last), as `reason: message`. */
export async function eventLines(namespace: string, name: string): Promise<string[]> {
  const list = await kubectlJson(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name}`]);
  const items = isRecord(list) && Array.isArray(list['items']) ? list['items'] : [];
  return items.flatMap((e) => (isRecord(e) ? [`${String(e['type'])} ${String(e['reason'])}: ${String(e['message'])}`] : []));
}

/** Defines the shared stories; `target()` is called inside each test, after setup. */
export function releaseStories(target: () => ReleaseTarget): void {
  const serverPod = (t: ReleaseTarget, name: string, ns: string, node: RealNode, port: number, declared = true) =>
    t.manifests.write(name, pod({
      name, namespace: ns, nodeName: node.name, hostNetwork: true, ...t.podExtras,
      run: httpServer(port, t.serverImage),
      ...(declared ? { ports: [{ containerPort: port }] } : {}),
    }));
  const apply = (t: ReleaseTarget, file: string) => kubectl(['apply', '-f', file], { cwd: t.manifests.dir });
  /**
   * Waits until a server-side dry run of `file` gets through: the namespace's mode label
   * has reached the webhook's watch, which until then answers in its default mode (the
   * label arrives by a watch event, a moment after the namespace is created).
   */
  const admittedOnDryRun = (t: ReleaseTarget, file: string, what: string) =>
    eventually(what, async () => {
      const result = await kubectl(['create', '--dry-run=server', '-f', file], { cwd: t.manifests.dir });
      return result.exitCode === 0 ? done(undefined) : notYet(`exit ${result.exitCode}: ${result.stderr.trim()}`);
    }, { timeoutMs: 60_000, intervalMs: 500 });

  describe('a host-networked pod on a node that really runs it', () => {
    it('runs and answers on its port; a second pod pinned there on that port is denied at apply time, naming the first', async () => {
      const t = target();
      const [node] = t.nodes;
      if (node === undefined) throw new Error('no node');
      const ns = await t.namespace('real');
      const port = 18180;

      expect(await apply(t, serverPod(t, 'web-1', ns, node, port))).toEqual({ exitCode: 0, stdout: 'pod/web-1 created\n', stderr: '' });
      await waitForPod(ns, 'web-1', 'to run and be ready', (s) => s.phase === 'Running' && s.ready);
      await waitForAnswer(node.address, port, 'web-1');

      expect(await apply(t, serverPod(t, 'web-2', ns, node, port))).toEqual({
        exitCode: 1,
        stdout: '',
        stderr:
          `Error from server (Forbidden): error when creating "web-2.yaml": admission webhook "pods.hostport-guard.io" denied the request: ` +
          `hostNetwork port ${port}/TCP on node ${node.name} is already used by pod ${ns}/web-1 (container web); pick another port or node\n`,
      });
      expect((await kubectl(['get', 'pod', 'web-2', '-n', ns])).stderr).toBe(`Error from server (NotFound): pods "web-2" not found\n`);
      expect(await httpGet(node.address, port)).toEqual({ status: 200, body: 'web-1\n' });
    });

    it('without the webhook (an exempt namespace) the kubelet refuses the second pod itself: Failed, NodePorts, naming nobody', async () => {
      const t = target();
      const [node] = t.nodes;
      if (node === undefined) throw new Error('no node');
      const ns = t.exemptNamespace;
      const port = 18181;
      await kubectl(['delete', 'pod', 'web-1', 'web-2', '-n', ns, '--ignore-not-found', '--wait=true']);

      expect(await apply(t, serverPod(t, 'web-1', ns, node, port))).toEqual({ exitCode: 0, stdout: 'pod/web-1 created\n', stderr: '' });
      await waitForPod(ns, 'web-1', 'to run and be ready', (s) => s.phase === 'Running' && s.ready);
      await waitForAnswer(node.address, port, 'web-1');

      // Accepted: nothing at apply time says anything is wrong.
      expect(await apply(t, serverPod(t, 'web-2', ns, node, port))).toEqual({ exitCode: 0, stdout: 'pod/web-2 created\n', stderr: '' });
      const refused = await waitForPod(ns, 'web-2', 'to be refused by the kubelet', (s) => s.phase === 'Failed');
      expect(refused).toMatchObject({ phase: 'Failed', reason: 'NodePorts', message: KUBELET_NODEPORTS_MESSAGE });
      expect(await eventLines(ns, 'web-2')).toContain(`Warning NodePorts: ${KUBELET_NODEPORTS_EVENT}`);
      expect(await httpGet(node.address, port)).toEqual({ status: 200, body: 'web-1\n' });
      await kubectl(['delete', 'pod', 'web-1', 'web-2', '-n', ns, '--wait=true']);
    });

    it('two nodes hold the same port at once, as two machines would', async () => {
      const t = target();
      const [a, b] = t.nodes;
      if (a === undefined || b === undefined) throw new Error('the stories need two nodes');
      const ns = await t.namespace('two-nodes');
      const port = 18182;

      expect((await apply(t, serverPod(t, 'web-a', ns, a, port))).exitCode).toBe(0);
      expect((await apply(t, serverPod(t, 'web-b', ns, b, port))).exitCode).toBe(0);
      await waitForAnswer(a.address, port, 'web-a');
      await waitForAnswer(b.address, port, 'web-b');
    });

    it('a pod that does not declare the port it binds is admitted with a warning, then fails over and over with "Address already in use"', async () => {
      const t = target();
      const [node] = t.nodes;
      if (node === undefined) throw new Error('no node');
      const ns = await t.namespace('undeclared');
      const port = 18183;

      expect((await apply(t, serverPod(t, 'web-1', ns, node, port))).exitCode).toBe(0);
      await waitForAnswer(node.address, port, 'web-1');
      // Nothing can check a port nobody declared: the webhook can only say so.
      expect(await apply(t, serverPod(t, 'quiet', ns, node, port, false))).toEqual({
        exitCode: 0,
        stdout: 'pod/quiet created\n',
        stderr: `Warning: ${UNDECLARED_WARNING}\n`,
      });
      // The kubelet restarts it with a growing back-off; between runs it shows the last one.
      await waitForPod(ns, 'quiet', 'to fail twice', (s) => s.restarts >= 2 && s.exitCode === 1 && !s.ready, 180_000);
      expect(await kubectl(['logs', 'quiet', '-n', ns])).toEqual({ exitCode: 0, stdout: 'httpd: bind: Address already in use\n', stderr: '' });
      expect(await httpGet(node.address, port)).toEqual({ status: 200, body: 'web-1\n' });
    });

    it('admits the same collision with a warning in a namespace labelled warn', async () => {
      const t = target();
      const [node] = t.nodes;
      if (node === undefined) throw new Error('no node');
      const ns = await t.namespace('real-warn', { 'hostport-guard.io/mode': 'warn' });
      const port = 18184;

      expect((await apply(t, serverPod(t, 'warn-1', ns, node, port))).exitCode).toBe(0);
      const second = serverPod(t, 'warn-2', ns, node, port);
      await admittedOnDryRun(t, second, `the webhook to see the warn label of ${ns}`);
      expect(await apply(t, second)).toEqual({
        exitCode: 0,
        stdout: 'pod/warn-2 created\n',
        stderr: `Warning: hostNetwork port ${port}/TCP on node ${node.name} is used by pod ${ns}/warn-1 (container web)\n`,
      });
    });
  });
}
