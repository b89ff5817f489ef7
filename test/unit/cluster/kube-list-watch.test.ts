import { describe, expect, it } from '@jest/globals';

import type { KubeHttp, KubeRequest, LineHandlers } from '../../../src/cluster/kube-http.js';
import { kubeListWatch } from '../../../src/cluster/kube-list-watch.js';
import type { WatchEvent } from '../../../src/cluster/list-watch.js';
import { ApiError, isGone } from '../../../src/cluster/list-watch.js';
import type { NodeEntry } from '../../../src/cluster/pod-index.js';
import { NODES, PODS } from '../../../src/cluster/resources.js';
import type { PodLike } from '../../../src/engine/types.js';

/**
 * A KubeHttp whose streams the test drives line by line, to check how watch lines are
 * decoded. Lists are tested against a local server in kube-http.test.ts.
 */
class FakeHttp implements KubeHttp {
  readonly requests: KubeRequest[] = [];
  readonly streams: { handlers: LineHandlers; aborted: boolean }[] = [];

  call(): Promise<never> {
    return Promise.reject(new Error('the watch tests make no typed calls'));
  }

  getJson(): Promise<never> {
    return Promise.reject(new Error('the watch tests list nothing'));
  }

  streamLines(request: KubeRequest, handlers: LineHandlers): { abort(): void } {
    this.requests.push(request);
    const stream = { handlers, aborted: false };
    this.streams.push(stream);
    return {
      abort: () => {
        stream.aborted = true;
      },
    };
  }
}

function params(request: KubeRequest | undefined): Record<string, string> {
  return Object.fromEntries(request?.query ?? []);
}

const wirePod = {
  metadata: { name: 'api', namespace: 'team-a', uid: 'u1', resourceVersion: '7' },
  spec: { nodeName: 'worker-1', containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: 80 }] }] },
};

describe('kubeListWatch watches', () => {
  function watchNodes(): { http: FakeHttp; events: WatchEvent<NodeEntry>[]; ends: (Error | undefined)[] } {
    const http = new FakeHttp();
    const events: WatchEvent<NodeEntry>[] = [];
    const ends: (Error | undefined)[] = [];
    kubeListWatch(http, NODES).watch(
      { resourceVersion: '12', timeoutSeconds: 200 },
      { onEvent: (e) => events.push(e), onEnd: (e) => ends.push(e) },
    );
    return { http, events, ends };
  }

  it('asks for a bookmarked, timed watch from the given resourceVersion', () => {
    const { http } = watchNodes();
    expect(params(http.requests[0])).toEqual({ watch: 'true', resourceVersion: '12', allowWatchBookmarks: 'true', timeoutSeconds: '200' });
    // Whole nodes: the scheduler's filters read their taints and cordon, which metadata leaves out.
    expect(http.requests[0]?.accept).toBe('application/json');
  });

  it('asks for a streaming list from the present, with no resourceVersion, when the initial events are wanted', () => {
    const http = new FakeHttp();
    kubeListWatch(http, PODS).watch({ resourceVersion: '', timeoutSeconds: 200, initialEvents: true }, { onEvent: () => undefined, onEnd: () => undefined });
    expect(params(http.requests[0])).toEqual({
      fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
      watch: 'true',
      sendInitialEvents: 'true',
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '200',
    });
  });

  const lines: readonly { readonly name: string; readonly line: unknown; readonly event: WatchEvent<NodeEntry> }[] = [
    {
      name: 'decodes an ADDED node with its resourceVersion',
      line: { type: 'ADDED', object: { metadata: { name: 'n1', resourceVersion: '13', labels: { 'kubernetes.io/hostname': 'h1' } } } },
      event: { type: 'ADDED', object: { name: 'n1', labels: { 'kubernetes.io/hostname': 'h1' }, taints: [], unschedulable: false }, resourceVersion: '13' },
    },
    {
      name: 'decodes a BOOKMARK',
      line: { type: 'BOOKMARK', object: { kind: 'Node', metadata: { resourceVersion: '20' } } },
      event: { type: 'BOOKMARK', resourceVersion: '20' },
    },
    {
      name: 'decodes the BOOKMARK that ends a streaming list’s initial events',
      line: { type: 'BOOKMARK', object: { kind: 'Node', metadata: { resourceVersion: '21', annotations: { 'k8s.io/initial-events-end': 'true' } } } },
      event: { type: 'BOOKMARK', resourceVersion: '21', initialEventsEnd: true },
    },
    {
      name: 'takes a BOOKMARK with other annotations for an ordinary one',
      line: { type: 'BOOKMARK', object: { kind: 'Node', metadata: { resourceVersion: '22', annotations: { 'k8s.io/initial-events-end': 'false', other: 'x' } } } },
      event: { type: 'BOOKMARK', resourceVersion: '22' },
    },
    {
      name: 'decodes an ERROR with its code',
      line: { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' } },
      event: { type: 'ERROR', code: 410, message: 'too old resource version: 1 (5)' },
    },
    {
      name: 'reports an object that does not decode, and goes on',
      line: { type: 'MODIFIED', object: { metadata: { namespace: 'x' } } },
      event: { type: 'REJECTED', rejected: { name: 'x/(unnamed)', errors: ["metadata must have required property 'name'"] } },
    },
  ];
  for (const { name, line, event } of lines) {
    it(name, () => {
      const { http, events, ends } = watchNodes();
      http.streams[0]?.handlers.onLine(JSON.stringify(line));
      expect(events).toEqual([event]);
      expect(ends).toEqual([]);
    });
  }

  const broken: readonly [string, string][] = [
    ['ends the watch on a line that is not JSON', '{"type":'],
    ['ends the watch on an event without object', '{"type":"ADDED"}'],
    ['ends the watch on an unknown event type', '{"type":"SURPRISE","object":{}}'],
  ];
  for (const [name, line] of broken) {
    it(name, () => {
      const { http, events, ends } = watchNodes();
      http.streams[0]?.handlers.onLine(line);
      expect(events).toEqual([]);
      expect(ends).toHaveLength(1);
      expect(ends[0]).toBeInstanceOf(ApiError);
      expect(http.streams[0]?.aborted).toBe(true);
    });
  }

  it('passes the end of the stream on', () => {
    const { http, ends } = watchNodes();
    const gone = new ApiError('GET /api/v1/nodes', 410, 'Gone');
    http.streams[0]?.handlers.onEnd(gone);
    expect(ends).toEqual([gone]);
    expect(isGone(ends[0])).toBe(true);
  });

  it('decodes pod events into the engine’s PodLike', () => {
    const http = new FakeHttp();
    const events: WatchEvent<PodLike>[] = [];
    kubeListWatch(http, PODS).watch({ resourceVersion: '1', timeoutSeconds: 1 }, { onEvent: (e) => events.push(e), onEnd: () => undefined });
    http.streams[0]?.handlers.onLine(JSON.stringify({ type: 'DELETED', object: wirePod }));
    expect(events).toEqual([
      {
        type: 'DELETED',
        resourceVersion: '7',
        object: {
          metadata: { name: 'api', namespace: 'team-a', uid: 'u1' },
          spec: { nodeName: 'worker-1', containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: 80 }] }] },
        },
      },
    ]);
  });
});
