import { describe, expect, it } from '@jest/globals';

import { ApiError } from '../../../src/cluster/list-watch.js';
import type { ListPage } from '../../../src/cluster/list-watch.js';
import type { OnExpiry } from '../../../src/cluster/pager.js';
import { forEachPage, listAll } from '../../../src/cluster/pager.js';
import { FakeListWatch, page } from './fake-list-watch.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const gone = (): ApiError => new ApiError('GET /api/v1/pods', 410, 'The provided continue parameter is too old');

/** Runs forEachPage and records what the visitor was told, in order. */
async function visit(lw: FakeListWatch<string>, onExpiry?: OnExpiry): Promise<{ calls: string[]; rv: string }> {
  const calls: string[] = [];
  const rv = await forEachPage('pods', lw, 2, new AbortController().signal, quiet, {
    page: (p: ListPage<string>) => {
      calls.push(`page ${p.items.join(',')}`);
    },
    restart: () => calls.push('restart'),
  }, onExpiry);
  return { calls, rv };
}

describe('forEachPage', () => {
  it('hands over each page as it comes, following continue tokens with the same limit', async () => {
    const lw = new FakeListWatch<string>();
    lw.respond(page(['a', 'b'], '7', 'c1'), page(['c'], '7'));
    expect(await visit(lw)).toEqual({ calls: ['page a,b', 'page c'], rv: '7' });
    expect(lw.listCalls).toEqual([{ limit: 2 }, { limit: 2, continueToken: 'c1' }]);
  });

  it('restarts and lists in one piece when a continue token expired (whole)', async () => {
    const lw = new FakeListWatch<string>();
    lw.respond(page(['a', 'b'], '7', 'c1'), gone(), page(['a', 'b', 'c'], '9'));
    expect(await visit(lw, 'whole')).toEqual({ calls: ['page a,b', 'restart', 'page a,b,c'], rv: '9' });
    expect(lw.listCalls.at(-1)).toEqual({});
  });

  it('restarts and pages again once when a continue token expired (again), and fails on the second expiry', async () => {
    const lw = new FakeListWatch<string>();
    lw.respond(page(['a', 'b'], '7', 'c1'), gone(), page(['a', 'b'], '9', 'c2'), gone());
    await expect(visit(lw, 'again')).rejects.toThrow('The provided continue parameter is too old');
    expect(lw.listCalls).toEqual([{ limit: 2 }, { limit: 2, continueToken: 'c1' }, { limit: 2 }, { limit: 2, continueToken: 'c2' }]);
  });

  it('fails with any other error at once', async () => {
    const lw = new FakeListWatch<string>();
    lw.respond(page(['a', 'b'], '7', 'c1'), new ApiError('GET /api/v1/pods', 500, 'etcd is down'));
    await expect(visit(lw)).rejects.toThrow('etcd is down');
  });

  it('fails with a 410 on the first page, which no restart can help', async () => {
    const lw = new FakeListWatch<string>();
    lw.respond(gone());
    await expect(visit(lw)).rejects.toThrow('too old');
  });
});

describe('listAll', () => {
  it('returns the items of every page, and only those of the list that completed', async () => {
    const lw = new FakeListWatch<string>();
    lw.respond(page(['a', 'b'], '7', 'c1'), gone(), page(['x', 'y', 'z'], '9'));
    const list = await listAll('pods', lw, 2, new AbortController().signal, quiet);
    expect(list).toEqual({ items: ['x', 'y', 'z'], rejected: [], resourceVersion: '9' });
  });
});
