import { describeErrors } from '../admission/schema-errors.js';
import { nameOf } from './convert.js';
import type { KubeHttp, KubeRequest } from './kube-http.js';
import type { ListPage, ListWatch, RejectedObject, WatchEvent } from './list-watch.js';
import { ApiError } from './list-watch.js';
import type { WireStatus } from './object-schema.js';
import { isWireBookmark, isWireStatus, isWireWatchEvent } from './object-schema.js';
import type { ResourceSpec } from './resources.js';

/**
 * Per-page timeout of a list, the answer included: the API server's own limit for a
 * request that is not a watch (--request-timeout, 60 s by default), so a hung connection
 * is noticed long before the watchdog and a page the server still works on is not cut.
 */
export const LIST_PAGE_TIMEOUT_MS = 60_000;

// Metadata-only responses (PartialObjectMetadata, meta.k8s.io/v1), with plain JSON as
// the fallback: the same media types client-go's metadata client asks for.
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const JSON_ONLY = 'application/json';

/** The annotation of the BOOKMARK that ends a streaming list's initial events. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

function selectors<T>(spec: ResourceSpec<T>, query: URLSearchParams): URLSearchParams {
  if (spec.fieldSelector !== undefined) query.set('fieldSelector', spec.fieldSelector);
  if (spec.labelSelector !== undefined) query.set('labelSelector', spec.labelSelector);
  return query;
}

/** A list page's items and list metadata as the API server spells them, or undefined when the answer is no list. */
function listOf(body: unknown): { readonly items: readonly unknown[]; readonly metadata: Readonly<Record<string, unknown>> } | undefined {
  if (typeof body !== 'object' || body === null || !('items' in body)) return undefined;
  const { items } = body;
  const metadata = 'metadata' in body && typeof body.metadata === 'object' && body.metadata !== null ? (body.metadata as Readonly<Record<string, unknown>>) : {};
  // Go encodes an empty slice as null.
  if (items === null) return { items: [], metadata };
  return Array.isArray(items) ? { items, metadata } : undefined;
}

/** Decodes one watch stream line, or says how the line breaks the watch protocol. */
function decodeEvent<T>(spec: ResourceSpec<T>, line: string): WatchEvent<T> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return 'a watch line is not JSON';
  }
  if (!isWireWatchEvent(parsed)) return `a watch event is malformed: ${describeErrors(isWireWatchEvent.errors).join('; ')}`;
  const { type, object } = parsed;
  switch (type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED': {
      const decoded = spec.decode(object);
      if (!decoded.ok) return { type: 'REJECTED', rejected: { name: nameOf(object), errors: decoded.errors } };
      const resourceVersion = isWireBookmark(object) ? object.metadata.resourceVersion : '';
      return { type, object: decoded.value, resourceVersion };
    }
    case 'BOOKMARK': {
      if (!isWireBookmark(object)) return 'a BOOKMARK event has no resourceVersion';
      const { resourceVersion, annotations } = object.metadata;
      return annotations?.[INITIAL_EVENTS_END] === 'true' ? { type, resourceVersion, initialEventsEnd: true } : { type, resourceVersion };
    }
    case 'ERROR': {
      const status: WireStatus = isWireStatus(object) ? object : {};
      return { type, code: status.code, message: status.message ?? status.reason ?? 'unknown error' };
    }
    default:
      return `unknown watch event type ${type}`;
  }
}

/** Options of kubeListWatch. */
export interface ListWatchOptions {
  /** LIST_PAGE_TIMEOUT_MS unless given. */
  readonly pageTimeoutMs?: number;
}

/** Lists and watches `spec` through `api`. */
export function kubeListWatch<T>(api: KubeHttp, spec: ResourceSpec<T>, options: ListWatchOptions = {}): ListWatch<T> {
  const timeoutMs = options.pageTimeoutMs ?? LIST_PAGE_TIMEOUT_MS;
  return {
    async list(request, signal) {
      const query = selectors(spec, new URLSearchParams());
      if (request.limit !== undefined) query.set('limit', String(request.limit));
      if (request.continueToken !== undefined) query.set('continue', request.continueToken);
      const accept = spec.metadataOnly ? METADATA_LIST : JSON_ONLY;
      const list = listOf(await api.getJson({ path: spec.path, query, accept }, { signal, timeoutMs }));
      if (list === undefined) throw new ApiError(`GET ${spec.path}`, 200, 'the answer is not a list');
      const items: T[] = [];
      const rejected: RejectedObject[] = [];
      for (const item of list.items) {
        const decoded = spec.decode(item);
        if (decoded.ok) items.push(decoded.value);
        else rejected.push({ name: nameOf(item), errors: decoded.errors });
      }
      const { resourceVersion, continue: next, remainingItemCount: remaining } = list.metadata;
      const page: ListPage<T> = {
        items,
        rejected,
        resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : '',
        ...(typeof remaining === 'number' && Number.isFinite(remaining) ? { remainingItemCount: remaining } : {}),
      };
      return typeof next !== 'string' || next === '' ? page : { ...page, continueToken: next };
    },

    watch(request, handlers) {
      const query = selectors(spec, new URLSearchParams());
      query.set('watch', 'true');
      if (request.initialEvents === true) {
        // A streaming list (KEP-3157). Without a resourceVersion the server starts from a
        // consistent read of the present, so a re-list never goes back in time.
        query.set('sendInitialEvents', 'true');
        query.set('resourceVersionMatch', 'NotOlderThan');
      } else {
        query.set('resourceVersion', request.resourceVersion);
      }
      // Bookmarks move the resourceVersion on while events for other objects pass by,
      // so a resumed watch is not refused with 410 for an aged-out resourceVersion.
      query.set('allowWatchBookmarks', 'true');
      query.set('timeoutSeconds', String(request.timeoutSeconds));
      const kubeRequest: KubeRequest = { path: spec.path, query, accept: spec.metadataOnly ? METADATA_WATCH : JSON_ONLY };
      const handle = api.streamLines(kubeRequest, {
        onLine(line) {
          const event = decodeEvent(spec, line);
          if (typeof event !== 'string') {
            handlers.onEvent(event);
            return;
          }
          handle.abort();
          handlers.onEnd(new ApiError(`GET ${spec.path}`, 200, event));
        },
        onEnd(error) {
          handlers.onEnd(error);
        },
      });
      return handle;
    },
  };
}
