import { describeErrors } from '../admission/schema-errors.js';
import { nameOf } from './convert.js';
import type { KubeHttp, KubeRequest } from './kube-http.js';
import type { ListPage, ListWatch, RejectedObject, WatchEvent } from './list-watch.js';
import { ApiError } from './list-watch.js';
import type { WireStatus } from './object-schema.js';
import { isWireBookmark, isWireStatus, isWireWatchEvent } from './object-schema.js';
import type { PageQuery, ResourceSpec } from './resources.js';

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

function selectors<T>(spec: ResourceSpec<T>, query: URLSearchParams): URLSearchParams {
  if (spec.fieldSelector !== undefined) query.set('fieldSelector', spec.fieldSelector);
  if (spec.labelSelector !== undefined) query.set('labelSelector', spec.labelSelector);
  return query;
}

/**
 * The typed API hands timestamps over as Date objects, while decoding reads objects as
 * the API server spells them; deletionTimestamp is the only timestamp read.
 */
function asSpelled(item: unknown): unknown {
  if (typeof item !== 'object' || item === null || !('metadata' in item)) return item;
  const metadata = item.metadata;
  if (typeof metadata !== 'object' || metadata === null || !('deletionTimestamp' in metadata)) return item;
  const stamp = metadata.deletionTimestamp;
  if (!(stamp instanceof Date)) return item;
  const spelled = Number.isNaN(stamp.getTime()) ? String(stamp) : stamp.toISOString();
  return { ...item, metadata: { ...metadata, deletionTimestamp: spelled } };
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
    case 'BOOKMARK':
      if (!isWireBookmark(object)) return 'a BOOKMARK event has no resourceVersion';
      return { type, resourceVersion: object.metadata.resourceVersion };
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
      const query: PageQuery = {
        ...(spec.fieldSelector === undefined ? {} : { fieldSelector: spec.fieldSelector }),
        ...(spec.labelSelector === undefined ? {} : { labelSelector: spec.labelSelector }),
        ...(request.limit === undefined ? {} : { limit: request.limit }),
        ...(request.continueToken === undefined ? {} : { _continue: request.continueToken }),
      };
      const accept = spec.metadataOnly ? METADATA_LIST : JSON_ONLY;
      const body = await api.call(`GET ${spec.path}`, (apis) => spec.list(apis, query), { accept, signal, timeoutMs });
      if (body.items === undefined) throw new ApiError(`GET ${spec.path}`, 200, 'the answer is not a list');
      const items: T[] = [];
      const rejected: RejectedObject[] = [];
      for (const item of body.items ?? []) {
        const decoded = spec.decode(asSpelled(item));
        if (decoded.ok) items.push(decoded.value);
        else rejected.push({ name: nameOf(item), errors: decoded.errors });
      }
      const next = body.metadata?._continue;
      const remaining = body.metadata?.remainingItemCount;
      const page: ListPage<T> = {
        items,
        rejected,
        resourceVersion: body.metadata?.resourceVersion ?? '',
        ...(typeof remaining === 'number' && Number.isFinite(remaining) ? { remainingItemCount: remaining } : {}),
      };
      return next === undefined || next === '' ? page : { ...page, continueToken: next };
    },

    watch(request, handlers) {
      const query = selectors(spec, new URLSearchParams());
      query.set('watch', 'true');
      query.set('resourceVersion', request.resourceVersion);
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
