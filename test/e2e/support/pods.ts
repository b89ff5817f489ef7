/** Reading pods and events back from the cluster, decoded by the product's own decoders. */
import { decodePod } from '../../../src/cluster/convert.js';
import { occupantOf } from '../../../src/engine/occupancy.js';
import type { PodLike } from '../../../src/engine/types.js';
import { kubectl, kubectlJson } from './cluster.js';
import type { WaitOptions } from '../../support/wait.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** What the tests check on a pod: which incarnation it is, where it is, and whether it is going. */
export interface PodFacts {
  readonly uid: string;
  readonly nodeName: string;
  readonly deletionTimestamp: string;
}

/** The pod's facts, or undefined when it does not exist. */
export async function podFacts(namespace: string, name: string): Promise<PodFacts | undefined> {
  const result = await kubectl([
    'get', 'pod', name, '-n', namespace,
    '-o', 'jsonpath={.metadata.uid}{"\\t"}{.spec.nodeName}{"\\t"}{.metadata.deletionTimestamp}',
  ]);
  if (result.exitCode !== 0) return undefined;
  const [uid = '', nodeName = '', deletionTimestamp = ''] = result.stdout.split('\t');
  return { uid, nodeName, deletionTimestamp };
}

function items(list: unknown): unknown[] {
  if (typeof list !== 'object' || list === null || !('items' in list) || !Array.isArray(list.items)) {
    throw new Error('kubectl did not print a list');
  }
  const found: unknown[] = list.items;
  return found;
}

/** Every pod of the cluster (or of `namespace`) as the API server returns it. */
export async function rawPods(namespace?: string): Promise<unknown[]> {
  return items(await kubectlJson(['get', 'pods', ...(namespace === undefined ? ['-A'] : ['-n', namespace])]));
}

/** Decodes pods with the same decoder the webhook's watch uses. */
export function decodePods(raw: readonly unknown[]): PodLike[] {
  return raw.map((value) => {
    const decoded = decodePod(value);
    if (!decoded.ok) throw new Error(`a pod from kubectl does not decode: ${decoded.errors.join('; ')}`);
    return decoded.value;
  });
}

/** How many pods of the cluster hold host ports on a node: what the webhook's index should show. */
export async function hostPortPodCount(): Promise<number> {
  return decodePods(await rawPods()).filter((p) => occupantOf(p) !== undefined).length;
}

/** Waits until the pod is bound to a node, and returns the node. */
export async function waitForNode(namespace: string, name: string, options: WaitOptions = {}): Promise<string> {
  return eventually(`pod ${namespace}/${name} to be bound to a node`, async () => {
    const facts = await podFacts(namespace, name);
    return facts !== undefined && facts.nodeName !== '' ? done(facts.nodeName) : notYet(facts === undefined ? 'no such pod' : 'not bound');
  }, options);
}

/** One event as kubectl prints it. */
export interface EventFacts {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
}

/**
 * The events of `namespace` about object `name` with `reason`; with `since`, only those
 * last seen at or after it (events keep whole seconds, so `since` is taken to its second).
 */
export async function eventsFor(namespace: string, name: string, reason: string, since?: Date): Promise<EventFacts[]> {
  const list = await kubectlJson(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name},reason=${reason}`]);
  const from = since === undefined ? undefined : Math.floor(since.getTime() / 1000) * 1000;
  return items(list).flatMap((e) => {
    if (typeof e !== 'object' || e === null) return [];
    const field = (key: string): string => {
      const value: unknown = key in e ? Object.getOwnPropertyDescriptor(e, key)?.value : undefined;
      return typeof value === 'string' ? value : '';
    };
    if (from !== undefined) {
      const last = Date.parse(field('lastTimestamp') || field('eventTime') || field('firstTimestamp'));
      if (!(last >= from)) return [];
    }
    return [{ type: field('type'), reason: field('reason'), message: field('message') }];
  });
}
