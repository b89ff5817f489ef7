import { describe, expect, it } from '@jest/globals';

import type { StateSource } from '../../../src/cli/state-file.js';
import { MAX_STATE_BYTES, readStateOrLive } from '../../../src/cli/state-file.js';
import { InputTooLargeError } from '../../../src/yaml/bounded.js';

type Read = { readonly ok: true; readonly from: string };

/** A source whose file holds `text` and whose parse says where the text came from; overrides replace any part. */
function source(overrides: Partial<StateSource<Read>> = {}): StateSource<Read> & { asked: [string, number][] } {
  const asked: [string, number][] = [];
  return {
    file: 'state.yaml',
    readFile: (path, maxBytes) => {
      asked.push([path, maxBytes]);
      return 'text';
    },
    fromText: (text, file) => (text === 'bad' ? { ok: false, errors: [`${file}: bad`] } : { ok: true, from: `${file}: ${text}` }),
    live: () => Promise.resolve({ ok: true, from: 'live' }),
    liveUnavailable: 'no live cluster here: pass --state',
    ...overrides,
    asked,
  };
}

describe('readStateOrLive', () => {
  it('reads the state file, at most MAX_STATE_BYTES, and not the live cluster, when a file is given', async () => {
    const s = source();
    expect(await readStateOrLive(s)).toEqual({ ok: true, from: 'state.yaml: text' });
    expect(s.asked).toEqual([['state.yaml', MAX_STATE_BYTES]]);
  });

  it.each<[string, Partial<StateSource<Read>>, readonly string[]]>([
    ['a file that cannot be read', { readFile: () => { throw new Error('ENOENT: no such file'); } }, ['cannot read state.yaml: ENOENT: no such file']],
    ['a file past the limit', { readFile: () => { throw new InputTooLargeError(MAX_STATE_BYTES); } }, [`state.yaml: ${new InputTooLargeError(MAX_STATE_BYTES).message}, the most hostport-guard reads for a cluster state (read a larger cluster live instead)`]],
    ['a file with problems', { readFile: () => 'bad' }, ['state.yaml: bad']],
    ['no file and no live access', { file: undefined, live: undefined }, ['no live cluster here: pass --state']],
    ['no file and a cluster that cannot be reached', { file: undefined, live: () => Promise.reject(new Error('connect ECONNREFUSED')) }, ['cannot read the cluster: connect ECONNREFUSED']],
  ])('reports %s as errors, never throwing', async (_name, overrides, errors) => {
    expect(await readStateOrLive(source(overrides))).toEqual({ ok: false, errors });
  });

  it('reads the live cluster, and no file, when no file is given', async () => {
    const s = source({ file: undefined });
    expect(await readStateOrLive(s)).toEqual({ ok: true, from: 'live' });
    expect(s.asked).toEqual([]);
  });
});
