/**
 * Every value in values.yaml carries a helm-docs `# --` comment and has a row in the
 * values table of docs/install.md with its type and default, and the table names no
 * value that no longer exists.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CHART_DIR, REPO_ROOT, isJson, valuesOf } from './chart.js';

/** One documented value: `image.tag`, its default. */
interface Leaf {
  readonly key: string;
  readonly value: unknown;
}

/** The values a user sets: scalars, lists and empty mappings (non-empty mappings are walked). */
function leavesOf(values: Record<string, unknown>, prefix = ''): Leaf[] {
  return Object.entries(values).flatMap(([k, v]) => {
    const key = `${prefix}${k}`;
    return isJson(v) && Object.keys(v).length > 0 ? leavesOf(v, `${key}.`) : [{ key, value: v }];
  });
}

/** The keys of values.yaml whose comment block starts with `# --` (helm-docs' marker). */
function documentedKeys(yamlText: string): Set<string> {
  const documented = new Set<string>();
  const stack: { indent: number; key: string }[] = [];
  let comment: string[] = [];
  for (const line of yamlText.split('\n')) {
    if (line.trim() === '') {
      comment = [];
      continue;
    }
    const commentLine = /^\s*#\s?(.*)$/.exec(line);
    if (commentLine !== null) {
      comment.push(commentLine[1] ?? '');
      continue;
    }
    const keyLine = /^(\s*)([A-Za-z0-9_]+):/.exec(line);
    if (keyLine !== null) {
      const indent = (keyLine[1] ?? '').length;
      while (stack.length > 0 && (stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
      stack.push({ indent, key: keyLine[2] ?? '' });
      if (comment[0]?.startsWith('-- ') === true) documented.add(stack.map((s) => s.key).join('.'));
    }
    comment = [];
  }
  return documented;
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (Number.isInteger(value)) return 'int';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'object';
}

/** The rows of the values table: key -> [type, default as written]. */
function tableRows(markdown: string): Map<string, readonly [string, string]> {
  const rows = new Map<string, readonly [string, string]>();
  for (const line of markdown.split('\n')) {
    const row = /^\| `([^`]+)` \| (\w+) \| `(.*?)` \| .+ \|$/.exec(line);
    if (row !== null) rows.set(row[1] ?? '', [row[2] ?? '', row[3] ?? '']);
  }
  return rows;
}

const valuesText = readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8');
const leaves = leavesOf(valuesOf());
const rows = tableRows(readFileSync(path.join(REPO_ROOT, 'docs/install.md'), 'utf8'));

describe('the values documentation', () => {
  it('finds the values (a sanity check of the walk)', () => {
    expect(leaves.map((l) => l.key)).toEqual(expect.arrayContaining(['replicaCount', 'tls.mode', 'resources.requests.cpu', 'tls.certManager.issuerRef']));
  });

  it.each(leaves)('documents $key in values.yaml with a "# --" comment', ({ key }) => {
    expect(documentedKeys(valuesText).has(key)).toBe(true);
  });

  it.each(leaves)('lists $key in the docs/install.md values table with its type and default', ({ key, value }) => {
    expect(rows.get(key)).toEqual([typeOf(value), JSON.stringify(value)]);
  });

  it('lists no value that values.yaml does not have', () => {
    const known = new Set(leaves.map((l) => l.key));
    expect([...rows.keys()].filter((k) => !known.has(k))).toEqual([]);
  });
});
