import type { ListPage, ListRequest, ListWatch, RejectedObject } from './list-watch.js';
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

/** What to do when a continue token expires while the collection is being paged. */
export type OnExpiry =
  /** List again in one unpaginated request (client-go's FullListIfExpired). */
  | 'whole'
  /** Page again from the start, once; a second expiry fails the list. */
  | 'again';

/** Receives a collection one page at a time. */
export interface PageVisitor<T> {
  /**
   * One page, in order. The page is not kept: whatever is needed of it must be taken now.
   * The next page is asked for once what this returns has settled.
   */
  page(page: ListPage<T>): void | Promise<void>;
  /** The pages handed over so far are void: the list starts over (an expired continue token). */
  restart(): void;
}

/**
 * Lists every page of `listWatch`, `pageSize` items at a time, following continue tokens,
 * and hands each page to `visitor` as it arrives, so only one page is held at a time. A
 * continue token outlives etcd's compaction (about 5 minutes) only on a list that pages
 * for that long; then the visitor is told to start over and the list is made again as
 * `onExpiry` says. Rejects with the list's error otherwise; resolves to the resourceVersion
 * of the list snapshot.
 */
export async function forEachPage<T>(
  resource: ResourceName,
  listWatch: ListWatch<T>,
  pageSize: number,
  signal: AbortSignal,
  logger: Logger,
  visitor: PageVisitor<T>,
  onExpiry: OnExpiry = 'whole',
): Promise<string> {
  let limit: number | undefined = pageSize;
  let continueToken: string | undefined;
  let restarts = 0;
  for (;;) {
    const request: ListRequest = {
      ...(limit === undefined ? {} : { limit }),
      ...(continueToken === undefined ? {} : { continueToken }),
    };
    let page;
    try {
      page = await listWatch.list(request, signal);
    } catch (error) {
      if (continueToken === undefined || !isGone(error) || (onExpiry === 'again' && restarts > 0)) throw error;
      restarts += 1;
      logger.info({ resource }, onExpiry === 'whole' ? 'list continue token expired; listing again in one piece' : 'list continue token expired; paging again');
      visitor.restart();
      if (onExpiry === 'whole') limit = undefined;
      continueToken = undefined;
      continue;
    }
    await visitor.page(page);
    if (page.continueToken === undefined) return page.resourceVersion;
    continueToken = page.continueToken;
  }
}

/**
 * Lists every page of `listWatch` and returns them all at once, for the informer, which
 * replaces the index in one step; an expired continue token lists again in one piece,
 * like client-go's pager, instead of paging into the same expiry again.
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
  const resourceVersion = await forEachPage(resource, listWatch, pageSize, signal, logger, {
    page(page) {
      items.push(...page.items);
      rejected.push(...page.rejected);
    },
    restart() {
      items.length = 0;
      rejected.length = 0;
    },
  });
  return { items, rejected, resourceVersion };
}
