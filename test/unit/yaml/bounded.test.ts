import { describe, expect, it } from '@jest/globals';

import { MAX_DOCUMENTS, MAX_YAML_DEPTH, parseYamlWithin, sizeText } from '../../../src/yaml/bounded.js';

/** `depth` block mappings nested in one another. */
function blockMaps(depth: number): string {
  return `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`;
}

/** `depth` flow sequences nested in one another. */
function flowSeqs(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}\n`;
}

/** `depth` block sequences nested in one another. */
function blockSeqs(depth: number): string {
  return `${Array.from({ length: depth }, (_, i) => `${' '.repeat(2 * i)}-`).join('\n')} 1\n`;
}

const DEEP = `nested more than ${MAX_YAML_DEPTH} levels deep, the most hostport-guard reads`;

describe('parseYamlWithin', () => {
  it.each([
    ['block mappings', blockMaps],
    ['flow sequences', flowSeqs],
    ['block sequences', blockSeqs],
  ])('reads %s nested exactly as deep as the limit', (_name, shape) => {
    const parsed = parseYamlWithin(shape(MAX_YAML_DEPTH));
    expect(parsed.ok && parsed.documents.map((d) => d.errors)).toEqual([[]]);
  });

  it.each([
    ['block mappings', blockMaps],
    ['flow sequences', flowSeqs],
    ['block sequences', blockSeqs],
  ])('refuses %s one level deeper, naming the document and the limit', (_name, shape) => {
    expect(parseYamlWithin(`a: 1\n---\n${shape(MAX_YAML_DEPTH + 1)}`)).toEqual({ ok: false, document: 2, problem: DEEP });
  });

  it('refuses 100,000 levels without running out of stack', () => {
    expect(parseYamlWithin(flowSeqs(100_000))).toEqual({ ok: false, document: 1, problem: DEEP });
  });

  it('refuses, without throwing, an input whose parsing runs out of stack', () => {
    // A line indented out of place, then many items and a dedent: the parser recurses once
    // per item (found by the check fuzzer, HPG_FUZZ_SEED=855294150).
    const item = '        - containerPort: 1\n          protocol: tcp\n          hostIP: 10.0.0.1\n          name: x\n          hostPort: 80\n';
    const text = `   x       hostIP: 1\n${item.repeat(2_000)}  initContainers:\n`;
    expect(parseYamlWithin(text)).toEqual({ ok: false, document: 0, problem: 'structured more deeply than the YAML parser can follow' });
  });

  it('counts a collection used as a key', () => {
    expect(parseYamlWithin(`? ${flowSeqs(MAX_YAML_DEPTH)}: 1\n`)).toEqual({ ok: false, document: 1, problem: DEEP });
  });

  it(`refuses more than ${MAX_DOCUMENTS} documents and reads as many`, () => {
    const docs = (n: number): string => Array.from({ length: n }, (_, i) => `i: ${i}`).join('\n---\n');
    expect(parseYamlWithin(docs(MAX_DOCUMENTS)).ok).toBe(true);
    expect(parseYamlWithin(docs(MAX_DOCUMENTS + 1))).toEqual({ ok: false, document: 0, problem: `more than ${MAX_DOCUMENTS} documents, the most hostport-guard reads in one input` });
  });

  it('refuses a document larger than asked for, in bytes, and says why that is the limit', () => {
    // The second document, `---\nb: ` and a newline around n two-byte letters, is 8 + 2n bytes.
    const limits = { maxDepth: 10, maxDocuments: 10, maxDocumentBytes: 22, documentLimitText: 'the 22 bytes of the test' };
    expect(parseYamlWithin(`a: 1\n---\nb: ${'é'.repeat(7)}\n`, limits).ok).toBe(true);
    expect(parseYamlWithin(`a: 1\n---\nb: ${'é'.repeat(8)}\n`, limits)).toEqual({ ok: false, document: 2, problem: '24 bytes, more than the 22 bytes of the test' });
  });

  it('says sizes in MiB when they are whole', () => {
    expect([sizeText(3 * 1024 * 1024), sizeText(1000)]).toEqual(['3 MiB', '1000 bytes']);
  });
});
