/**
 * The pod list alone, in a fresh process, two ways into the real PodIndex: the paginated
 * list the informer uses (INFORMER_PAGE_SIZE a page, each page indexed as it arrives), or a streaming
 * initial list (a watch with sendInitialEvents=true, which kube-apiserver serves as
 * ADDED events ending with a bookmark marked k8s.io/initial-events-end). Prints one JSON
 * line: how long it took, the longest event-loop stall, peak and steady heap.
 *
 * Usage: node --expose-gc list-probe.js KUBECONFIG paginated|streaming
 */
import { decodePod } from '../src/cluster/convert.js';
import { INFORMER_PAGE_SIZE } from '../src/cluster/informer.js';
import { loadKubeConfig } from '../src/cluster/kube-config.js';
import { kubeHttp } from '../src/cluster/kube-http.js';
import { kubeListWatch } from '../src/cluster/kube-list-watch.js';
import type { Logger } from '../src/cluster/logger.js';
import { forEachPage } from '../src/cluster/pager.js';
import { PodIndex } from '../src/cluster/pod-index.js';
import { listInto, RELIST_CHUNK } from '../src/cluster/reflector.js';
import { PODS } from '../src/cluster/resources.js';
import type { PodLike } from '../src/engine/types.js';
import { watched } from './lib/watched.js';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function initialEventsEnd(object: unknown): boolean {
  if (typeof object !== 'object' || object === null || !('metadata' in object)) return false;
  const meta = object.metadata;
  if (typeof meta !== 'object' || meta === null || !('annotations' in meta)) return false;
  const annotations = meta.annotations;
  return typeof annotations === 'object' && annotations !== null && 'k8s.io/initial-events-end' in annotations;
}

async function paginated(kubeconfig: string, index: PodIndex): Promise<number> {
  const api = kubeHttp(loadKubeConfig({ path: kubeconfig }));
  // The informer's own way from pages to the index, without an informer around it.
  const list = listInto(index.relistPods());
  await forEachPage('pods', kubeListWatch(api, PODS), INFORMER_PAGE_SIZE, new AbortController().signal, silent, list.visitor);
  list.relist.finish();
  return list.count();
}

function streaming(kubeconfig: string, index: PodIndex): Promise<number> {
  const api = kubeHttp(loadKubeConfig({ path: kubeconfig }));
  const relist = index.relistPods();
  const query = new URLSearchParams({
    watch: 'true',
    sendInitialEvents: 'true',
    resourceVersionMatch: 'NotOlderThan',
    allowWatchBookmarks: 'true',
    fieldSelector: PODS.fieldSelector ?? '',
  });
  let count = 0;
  let chunk: PodLike[] = [];
  return new Promise((resolve, reject) => {
    const handle = api.streamLines(
      { path: PODS.path, query, accept: 'application/json' },
      {
        onLine(line) {
          const event: unknown = JSON.parse(line);
          if (typeof event !== 'object' || event === null || !('type' in event) || !('object' in event)) throw new Error(`not a watch event: ${line.slice(0, 200)}`);
          if (event.type === 'ADDED') {
            const decoded = decodePod(event.object);
            if (decoded.ok) chunk.push(decoded.value);
            count += 1;
            if (chunk.length >= RELIST_CHUNK) {
              relist.add(chunk);
              chunk = [];
            }
          } else if (event.type === 'BOOKMARK' && initialEventsEnd(event.object)) {
            relist.add(chunk);
            relist.finish();
            handle.abort();
            resolve(count);
          } else if (event.type === 'ERROR') {
            reject(new Error(`watch error: ${line.slice(0, 300)}`));
          }
        },
        onEnd(error) {
          reject(error ?? new Error('the watch ended before the initial events did'));
        },
      },
    );
  });
}

async function main(): Promise<void> {
  const [kubeconfig, how] = process.argv.slice(2);
  if (kubeconfig === undefined || (how !== 'paginated' && how !== 'streaming')) throw new Error('usage: list-probe.js KUBECONFIG paginated|streaming');
  const index = new PodIndex();
  const run = await watched(() => (how === 'paginated' ? paginated(kubeconfig, index) : streaming(kubeconfig, index)));
  process.stdout.write(
    `${JSON.stringify({
      how,
      listed: run.value,
      indexedPods: index.size().pods,
      listMs: run.ms,
      stallMaxMs: run.stallMaxMs,
      stallP99Ms: run.stallP99Ms,
      heapPeakMB: run.heapPeakMB,
      heapSteadyMB: run.heapSteadyMB,
    })}\n`,
  );
  process.exit(0);
}

await main();
