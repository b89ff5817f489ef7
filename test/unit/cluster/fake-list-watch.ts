/**
 * A scripted ListWatch: list pages are handed out in order as the test supplies them (a
 * list waits until one is there), and each watch is exposed so the test can push events
 * into it or end it.
 */
import type {
  ListPage,
  ListRequest,
  ListWatch,
  WatchEvent,
  WatchHandlers,
  WatchHandle,
  WatchRequest,
} from '../../../src/cluster/list-watch.js';

/** One watch opened by the code under test. */
export class FakeWatch<T> {
  aborted = false;
  #ended = false;

  constructor(
    readonly request: WatchRequest,
    readonly handlers: WatchHandlers<T>,
  ) {}

  /** Delivers an event, as the server would. */
  emit(event: WatchEvent<T>): void {
    if (!this.aborted && !this.#ended) this.handlers.onEvent(event);
  }

  /** Ends the stream: normally without an error. */
  end(error?: Error): void {
    if (this.aborted || this.#ended) return;
    this.#ended = true;
    this.handlers.onEnd(error);
  }

  /** Whether the code under test still listens. */
  get open(): boolean {
    return !this.aborted && !this.#ended;
  }
}

/** A page of `items` with resourceVersion `rv`, and a continue token when more follow. */
export function page<T>(items: readonly T[], rv: string, continueToken?: string): ListPage<T> {
  const base: ListPage<T> = { items, resourceVersion: rv, rejected: [] };
  return continueToken === undefined ? base : { ...base, continueToken };
}

type Response<T> = ListPage<T> | Error;

/** The fake collaborator. */
export class FakeListWatch<T> implements ListWatch<T> {
  readonly listCalls: ListRequest[] = [];
  readonly watches: FakeWatch<T>[] = [];
  #responses: Response<T>[] = [];
  #waiting: (() => void)[] = [];

  /** Queues responses for the next list calls (a page, or an error to reject with). */
  respond(...responses: Response<T>[]): void {
    this.#responses.push(...responses);
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /** The most recent watch. */
  get lastWatch(): FakeWatch<T> {
    const last = this.watches.at(-1);
    if (last === undefined) throw new Error('no watch was opened');
    return last;
  }

  async list(request: ListRequest, signal: AbortSignal): Promise<ListPage<T>> {
    this.listCalls.push(request);
    for (;;) {
      if (signal.aborted) throw new Error('aborted');
      const next = this.#responses.shift();
      if (next instanceof Error) throw next;
      if (next !== undefined) return next;
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  watch(request: WatchRequest, handlers: WatchHandlers<T>): WatchHandle {
    const watch = new FakeWatch(request, handlers);
    this.watches.push(watch);
    return {
      abort: () => {
        watch.aborted = true;
      },
    };
  }
}
