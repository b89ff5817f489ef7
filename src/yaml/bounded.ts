/**
 * Multi-document YAML (and JSON, which is YAML) read within limits, for every file the
 * CLI and the server read: manifests, cluster states and the configuration.
 *
 * Composing documents and turning them into values recurse once per level, and a few
 * hundred levels of flow collections already exhaust Node's default stack. So the nesting
 * is measured on the parser's tokens, without recursion, before anything is composed;
 * kubectl and the API server stop at 10,000 levels (go.yaml.in/yaml's max_flow_level and
 * max_indents, apimachinery's JSON maxDepth), hostport-guard much earlier. The parser
 * itself can run out of stack on some malformed inputs whatever their depth; such an
 * input is refused too.
 */
import type { Document, LineCounter } from 'yaml';
import { Composer, CST, Parser } from 'yaml';
import { jsonDepth } from './json-text.js';

/** An input breaks a limit on its size, its number of documents or its nesting. */
export const HPG_ERR_INPUT_LIMIT = 'HPG_ERR_INPUT_LIMIT';

/**
 * Collections nested in one another, at most. Real objects are far shallower: a Pod's
 * deepest path (affinity terms) is about 10 levels, a CRD's openAPIV3Schema two per
 * schema level, rarely past 60. 256 is a quarter of what the library survives.
 */
export const MAX_YAML_DEPTH = 256;

/** Documents in one input, at most: a large rendered Helm chart has hundreds. */
export const MAX_DOCUMENTS = 10_000;

/** The limits of one input. */
export interface YamlLimits {
  readonly maxDepth: number;
  readonly maxDocuments: number;
  /** UTF-8 bytes of one document, at most; unlimited when absent. */
  readonly maxDocumentBytes?: number;
  /** How the per-document limit is explained, e.g. `the 3 MiB the API server accepts for one object`. */
  readonly documentLimitText?: string;
}

/** The default limits: depth and document count only. */
export const DEFAULT_YAML_LIMITS: YamlLimits = { maxDepth: MAX_YAML_DEPTH, maxDocuments: MAX_DOCUMENTS };

/** Where an input broke a limit: a 1-based document (0 for the input as a whole), and what. */
export interface YamlLimitProblem {
  readonly document: number;
  /** e.g. `nested more than 256 levels deep, the most hostport-guard reads`. */
  readonly problem: string;
}

/** The composed documents, or the first limit the input breaks. */
export type BoundedYaml = { readonly ok: true; readonly documents: Document.Parsed[] } | ({ readonly ok: false } & YamlLimitProblem);

/** `3 MiB` for sizes in whole MiB, else the count of bytes. */
export function sizeText(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** An input larger than a reader takes; `message` is `more than 16 MiB`. */
export class InputTooLargeError extends Error {
  /** Always HPG_ERR_INPUT_LIMIT. */
  readonly code = HPG_ERR_INPUT_LIMIT;

  constructor(readonly limitBytes: number) {
    super(`more than ${sizeText(limitBytes)}`);
    this.name = 'InputTooLargeError';
  }
}

/** How deep the collections of `token` nest, measured with an explicit stack. */
function depthOf(token: CST.Token | undefined, stopAbove: number): number {
  let deepest = 0;
  const stack: { token: CST.Token; depth: number }[] = token === undefined ? [] : [{ token, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { token: t, depth } = next;
    if (!CST.isCollection(t)) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > stopAbove) return deepest;
    for (const item of t.items) {
      if (item.key !== undefined && item.key !== null) stack.push({ token: item.key, depth: level });
      if (item.value !== undefined) stack.push({ token: item.value, depth: level });
    }
  }
  return deepest;
}

/** The problem of an input nested past `maxDepth`. */
function tooDeep(maxDepth: number): string {
  return `nested more than ${maxDepth} levels deep, the most hostport-guard reads`;
}

/** The depth problem of a text JSON.parse took, as parseYamlWithin words it, or undefined. */
export function jsonDepthProblem(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): string | undefined {
  return jsonDepth(text, limits.maxDepth) > limits.maxDepth ? tooDeep(limits.maxDepth) : undefined;
}

/**
 * Parses every document of `text`, or says which limit it breaks first: too many
 * documents, a document too large, or nested too deep. `lineCounter` learns the lines,
 * for messages about the documents' own errors.
 */
export function parseYamlWithin(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS, lineCounter?: LineCounter): BoundedYaml {
  try {
    return parseWithin(text, limits, lineCounter);
  } catch (error) {
    // The parser itself recurses too: after some malformed lines it keeps every following
    // item open inside the one before, and closing them all at once can exhaust the stack
    // whatever the depth the input means to have.
    if (error instanceof RangeError) return { ok: false, document: 0, problem: PARSER_STACK };
    throw error;
  }
}

/** The problem of an input whose parsing ran out of stack. */
const PARSER_STACK = 'structured more deeply than the YAML parser can follow';

/** parseYamlWithin, but throwing the RangeError of a parser that ran out of stack. */
function parseWithin(text: string, limits: YamlLimits, lineCounter: LineCounter | undefined): BoundedYaml {
  const tokens = Array.from(new Parser(lineCounter?.addNewLine).parse(text));
  const documents = tokens.filter((t): t is CST.Document => t.type === 'document');
  if (documents.length > limits.maxDocuments) {
    return { ok: false, document: 0, problem: `more than ${limits.maxDocuments} documents, the most hostport-guard reads in one input` };
  }
  for (const [i, doc] of documents.entries()) {
    if (limits.maxDocumentBytes !== undefined) {
      const next = documents[i + 1];
      const bytes = Buffer.byteLength(text.slice(doc.offset, next === undefined ? text.length : next.offset));
      if (bytes > limits.maxDocumentBytes) {
        const limit = limits.documentLimitText ?? `the ${sizeText(limits.maxDocumentBytes)} allowed`;
        return { ok: false, document: i + 1, problem: `${bytes} bytes, more than ${limit}` };
      }
    }
    if (depthOf(doc.value, limits.maxDepth) > limits.maxDepth) {
      return { ok: false, document: i + 1, problem: tooDeep(limits.maxDepth) };
    }
  }
  return { ok: true, documents: Array.from(new Composer().compose(tokens)) };
}
