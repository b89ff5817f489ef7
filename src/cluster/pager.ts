import type { ListRequest, ListWatch, RejectedObject } from './list-watch.js';
import { isGone } from './list-watch.js';
import type { ResourceName } from './informer-events.js';
import type { Logger } from './logger.js';

/** A whole collection, listed page by page. */
export interface FullList<T> {
  readonly items: readonly T[];
  /** Objects that did not decode, with the reasons (never indexed). */
  readonly rejected: readonly RejectedObject[];
  /** The resourceVersion of the list snapshot: a watch resumes from here. */
  readonly resourceVersion: string;
}

/**
 * Lists every page of `listWatch`, `pageSize` items at a time, following continue tokens.
 * When a continue token outlives etcd's compaction (about 5 minutes) while the list is
 * being paged, the pages so far are dropped and the collection is listed again in one
 * unpaginated request, like client-go's pager (FullListIfExpired), instead of paging into
 * the same expiry again. Rejects with the list's error otherwise.
 */
export async function listAll<T>(
  resource: ResourceName,
  listWatch: ListWatch<T>,
  pageSize: number,
  signal: AbortSignal,
  logger: Logger,
): Promise<FullList<T>> {
  const items: T[] = [];
  const rejected: RejectedObject[] = [];
  let limit: number | undefined = pageSize;
  let continueToken: string | undefined;
  for (;;) {
    const request: ListRequest = {
      ...(limit === undefined ? {} : { limit }),
      ...(continueToken === undefined ? {} : { continueToken }),
    };
    let page;
    try {
      page = await listWatch.list(request, signal);
    } catch (error) {
      if (continueToken === undefined || !isGone(error)) throw error;
      logger.info({ resource }, 'list continue token expired; listing again in one piece');
      items.length = 0;
      rejected.length = 0;
      limit = undefined;
      continueToken = undefined;
      continue;
    }
    items.push(...page.items);
    rejected.push(...page.rejected);
    if (page.continueToken === undefined) return { items, rejected, resourceVersion: page.resourceVersion };
    continueToken = page.continueToken;
  }
}
