import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';

const ROOT = new URL('../../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function declaredCodes(): string[] {
  const codes = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/export const (HPG_ERR_[A-Z_]+) = '([A-Z_]+)'/g)) {
      codes.add(match[2] ?? '');
    }
  }
  return [...codes].sort();
}

describe('docs/errors.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const codes = declaredCodes();

  it('finds the error codes declared in src/', () => {
    expect(codes).toContain('HPG_ERR_MALFORMED_JSON');
    expect(codes.length).toBeGreaterThan(10);
  });

  it.each(codes)('documents %s', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });

  it('documents no code that src/ does not declare', () => {
    const documented = [...doc.matchAll(/`(HPG_ERR_[A-Z_]+)`/g)].map((m) => m[1] ?? '');
    expect(documented.filter((code) => !codes.includes(code))).toEqual([]);
  });
});
