/**
 * The real nodes of the local cluster (hack/nodes.sh): kubelets with containerd and runc
 * that really start pods, each in network and mount namespaces of its own. A
 * host-networked pod on node-1 binds in node-1's namespace, reachable from here on the
 * node's address, as a pod on another machine would be.
 */
import { request } from 'node:http';
import type { ContainerRun, PodOptions } from './manifests.js';
import { kubectlJson } from './cluster.js';

/** The taint and label real nodes register with: only pods meant for them land there. */
export const REAL_NODE_KEY = 'hostport-guard.dev/real-node';

/** Lets a pod onto a real node, and keeps it off the fake ones. */
export const ON_REAL_NODES: Pick<PodOptions, 'tolerations' | 'nodeSelector'> = {
  tolerations: [{ key: REAL_NODE_KEY, operator: 'Exists', effect: 'NoSchedule' }],
  nodeSelector: { [REAL_NODE_KEY]: 'true' },
};

/** Images assembled locally and imported into every real node (never pulled). */
export const LOCAL_IMAGES = {
  busybox: 'hostport-guard.local/busybox:1',
  webhook: { repository: 'hostport-guard', tag: 'dev' },
} as const;

/**
 * A container that serves HTTP on `port` with busybox httpd, answering every GET with
 * its pod's name. If the port is taken it prints busybox's `bind: Address already in
 * use` and exits, as any server would.
 */
export function httpServer(port: number, image: string = LOCAL_IMAGES.busybox): ContainerRun {
  return {
    image,
    imagePullPolicy: image === LOCAL_IMAGES.busybox ? 'Never' : 'IfNotPresent',
    command: ['sh', '-c', `mkdir -p /tmp/www && echo "$POD_NAME" >/tmp/www/index.html && exec httpd -f -v -p ${port} -h /tmp/www`],
    env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
  };
}

/** A real node: its name and the address its host-networked pods answer on. */
export interface RealNode {
  readonly name: string;
  readonly address: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The nodes matching a label selector (default: the local cluster's real nodes), by name. */
export async function realNodes(selector = `${REAL_NODE_KEY}=true`): Promise<RealNode[]> {
  const list = await kubectlJson(['get', 'nodes', '-l', selector]);
  const items = isRecord(list) && Array.isArray(list['items']) ? list['items'] : [];
  const nodes: RealNode[] = [];
  for (const item of items) {
    if (!isRecord(item) || !isRecord(item['metadata']) || !isRecord(item['status'])) continue;
    const name = item['metadata']['name'];
    const addresses = Array.isArray(item['status']['addresses']) ? item['status']['addresses'] : [];
    const internal = addresses.find((a): a is Record<string, unknown> => isRecord(a) && a['type'] === 'InternalIP');
    if (typeof name === 'string' && typeof internal?.['address'] === 'string') nodes.push({ name, address: internal['address'] });
  }
  return nodes.sort((a, b) => a.name.localeCompare(b.name));
}

/** What a GET to a node's port got: the body, or the connection error's code. */
export type HttpAnswer = { readonly status: number; readonly body: string } | { readonly error: string };

/** GET http://address:port/ with a short timeout. */
export function httpGet(address: string, port: number): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/', timeout: 3000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => {
        resolve({ error: e.message });
      });
    });
    req.on('timeout', () => {
      req.destroy(new Error('timeout'));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      resolve({ error: e.code ?? e.message });
    });
    req.end();
  });
}
