import { describe, expect, it } from '@jest/globals';

import type { ListContents } from '../../../src/admission/lists.js';
import { openList } from '../../../src/admission/lists.js';

describe('openList', () => {
  const cases: readonly [string, unknown, ListContents][] = [
    ['opens a List of any kinds as it is', { kind: 'List', items: [{ kind: 'Pod' }, { kind: 'Node' }] }, { kind: 'list', items: [{ kind: 'Pod' }, { kind: 'Node' }] }],
    [
      'gives the items of a typed list the kind and apiVersion they lack',
      { apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'a' } }, { kind: 'Other' }] },
      { kind: 'list', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } }, { kind: 'Other' }] },
    ],
    ['reads items: null (an empty Go slice) as no items', { kind: 'NodeList', items: null }, { kind: 'list', items: [] }],
    ['hands items that are not mappings over as they are', { kind: 'PodList', items: [3, null] }, { kind: 'list', items: [3, null] }],
    ['says what is wrong with items that are not a list', { kind: 'List', items: { a: 1 } }, { kind: 'broken', problem: 'List items must be a list, not a mapping' }],
    ['leaves a kind that merely ends in List, without items, alone', { kind: 'NetworkPolicyList2', metadata: {} }, { kind: 'not-a-list' }],
    ['leaves other objects alone', { kind: 'Pod', items: [] }, { kind: 'not-a-list' }],
    ['leaves values that are not mappings alone', [{ kind: 'List', items: [] }], { kind: 'not-a-list' }],
  ];
  it.each(cases)('%s', (_name, value, contents) => {
    expect(openList(value)).toEqual(contents);
  });
});
