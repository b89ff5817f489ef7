/**
 * Conflict Events written through the API server (core/v1 Events, which `kubectl describe
 * pod` and `kubectl get events` show), with the typed CoreV1Api.
 */
import { CoreV1Event, V1EventSource, V1ObjectMeta, V1ObjectReference } from '@kubernetes/client-node';

import type { ConflictEvent, EventSink } from './conflict-events.js';
import { CONFLICT_REASON } from './conflict-events.js';
import type { KubeHttp } from './kube-http.js';
import { ApiError } from './list-watch.js';

/** An Event write that does not answer within this long is given up (and retried by the queue). */
const EVENT_REQUEST_TIMEOUT_MS = 10_000;

/** The component named as the Events' source. */
export const EVENT_COMPONENT = 'hostport-guard';

/** Writes conflict Events; `instance` names the writing replica (reportingInstance). */
export function kubeEventSink(api: KubeHttp, instance: string): EventSink {
  return {
    async create(event: ConflictEvent) {
      const namespace = event.pod.namespace;
      const time = new Date(event.time);
      // The typed API's models are classes: the body is built as instances.
      const metadata = new V1ObjectMeta();
      metadata.name = event.name;
      metadata.namespace = namespace;
      const involved = new V1ObjectReference();
      involved.apiVersion = 'v1';
      involved.kind = 'Pod';
      involved.namespace = namespace;
      involved.name = event.pod.name;
      if (event.pod.uid !== undefined) involved.uid = event.pod.uid;
      const source = new V1EventSource();
      source.component = EVENT_COMPONENT;
      const body = new CoreV1Event();
      body.apiVersion = 'v1';
      body.kind = 'Event';
      body.metadata = metadata;
      body.involvedObject = involved;
      body.reason = CONFLICT_REASON;
      body.message = event.message;
      body.type = 'Warning';
      body.source = source;
      body.reportingComponent = EVENT_COMPONENT;
      body.reportingInstance = instance;
      body.firstTimestamp = time;
      body.lastTimestamp = time;
      body.count = 1;
      try {
        await api.call(`POST /api/v1/namespaces/${namespace}/events`, (c) => c.core.createNamespacedEvent({ namespace, body }), {
          accept: 'application/json',
          signal: new AbortController().signal,
          timeoutMs: EVENT_REQUEST_TIMEOUT_MS,
        });
        return 'created';
      } catch (error) {
        // AlreadyExists: this conflict's Event was written before (by this replica or another).
        if (error instanceof ApiError && error.status === 409) return 'exists';
        throw error;
      }
    },
  };
}
