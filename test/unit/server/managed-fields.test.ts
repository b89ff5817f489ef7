import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { endOfJsonValue, MAX_LISTS, MAX_SKIP_DEPTH, parseLeavingManagedFields, withoutManagedFields } from '../../../src/server/managed-fields.js';

/** Whether JSON.parse takes the text. */
function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** endOfJsonValue from the text's start. */
function endOf(text: string): number {
  return endOfJsonValue(text, 0);
}

/** A review as the API server sends one: a pod with managedFields, and an old object with its own. */
function review(managedFields: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const pod = (name: string): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'x' }, managedFields, ...extra },
    spec: { hostNetwork: true, containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] },
  });
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', object: pod('new'), oldObject: pod('old') } };
}

const FIELDS = [
  {
    manager: 'kube-controller-manager',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-11-30T12:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:ports': {} } } } },
  },
];

describe('endOfJsonValue', () => {
  it.each([
    ['a string with every escape', '"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9"'],
    ['numbers in every form', '[0,-0,12,-3.25,1e5,1E+5,2.5e-3]'],
    ['the literals', '[true,false,null]'],
    ['empty containers, with and without space inside', '[[],{}, [ ] ,{ } ]'],
    ['objects in arrays in objects, with space between every token', '{ "a" : [ { "b" : 1 } , 2 ] , "c" : { } }'],
    ['a key holding escaped quotes', '{"k:{\\"name\\":\\"c\\"}":{}}'],
  ])('finds the end of %s', (_name, text) => {
    expect(endOf(`${text} ,"next"`)).toBe(text.length);
  });

  it.each([
    ['a string that never ends', '"abc'],
    ['a raw control character in a string', '"a\tb"'],
    ['an unknown escape', '"a\\x"'],
    ['a short unicode escape', '"\\u12g4"'],
    ['a leading zero', '[01]'],
    ['a bare minus', '[-]'],
    ['a dot without digits', '[1.]'],
    ['an exponent without digits', '[1e]'],
    ['a misspelt literal', '[nul]'],
    ['a literal running on', '[truex]'],
    ['a trailing comma in an array', '[1,]'],
    ['a trailing comma in an object', '{"a":1,}'],
    ['a key without a colon', '{"a" 1}'],
    ['a key that is not a string', '{a:1}'],
    ['a mismatched closer', '[1}'],
    ['a list that breaks off', '[1,[2'],
    ['single quotes', "['a']"],
  ])('refuses %s', (_name, text) => {
    expect(parses(text)).toBe(false);
    expect(endOf(text)).toBe(-1);
  });

  it(`leaves values nested past ${MAX_SKIP_DEPTH} levels to JSON.parse`, () => {
    expect(endOf(`${'['.repeat(MAX_SKIP_DEPTH)}${']'.repeat(MAX_SKIP_DEPTH)}`)).toBe(2 * MAX_SKIP_DEPTH);
    expect(endOf(`${'['.repeat(MAX_SKIP_DEPTH + 1)}1${']'.repeat(MAX_SKIP_DEPTH + 1)}`)).toBe(-1);
  });

  it('takes any character past the control characters in strings, lone surrogates too', () => {
    const text = '["é☃😀\uFFFD","\uD800"]';
    expect(parses(text)).toBe(true);
    expect(endOf(`${text},`)).toBe(text.length);
  });

  it('finds the end of any JSON value, compact or indented', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 1, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(endOf(`${text}]`)).toBe(text.length);
      }),
    );
  });

  it('never takes what JSON.parse refuses: every end it finds closes a value JSON.parse takes', () => {
    const alphabet = fc.constantFrom(...'{}[]",:\\ 0123456789-+.eEtrufalsn\t\nax/bu'.split(''));
    const nearJson = fc.tuple(fc.jsonValue(), fc.array(fc.tuple(fc.nat(), alphabet, fc.boolean()), { maxLength: 3 })).map(([value, edits]) => {
      let text = JSON.stringify(value);
      for (const [at, c, insert] of edits) {
        const i = text.length === 0 ? 0 : at % text.length;
        text = `${text.slice(0, i)}${c}${text.slice(insert ? i : i + 1)}`;
      }
      return text;
    });
    fc.assert(
      fc.property(fc.oneof(nearJson, fc.string({ unit: alphabet, maxLength: 30 })), (text) => {
        const end = endOf(text);
        if (end !== -1) expect(parses(text.slice(0, end))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('withoutManagedFields', () => {
  it("empties the object's and the old object's managedFields, and keeps the rest as parsed", () => {
    const sent = review(FIELDS);
    const text = withoutManagedFields(JSON.stringify(sent, null, 2));
    expect(text).toBeDefined();
    expect(JSON.parse(text ?? '')).toEqual(review([]));
  });

  it(`empties up to ${MAX_LISTS} lists, and leaves a text with more to be parsed whole`, () => {
    const items = (n: number): string => JSON.stringify({ items: Array.from({ length: n }, () => ({ managedFields: [{ a: 1 }] })) });
    expect(JSON.parse(withoutManagedFields(items(MAX_LISTS)) ?? '')).toEqual({ items: Array.from({ length: MAX_LISTS }, () => ({ managedFields: [] })) });
    expect(withoutManagedFields(items(MAX_LISTS + 1))).toBeUndefined();
  });

  it('leaves a body without managedFields to be parsed whole', () => {
    expect(withoutManagedFields(JSON.stringify({ request: { uid: 'u' } }))).toBeUndefined();
  });

  it.each<[string, string]>([
    ['a label of that name (its value is no list)', JSON.stringify(review(FIELDS, { labels: { managedFields: 'x' } }))],
    ['a key that only ends in the name, holding a list', JSON.stringify({ request: { object: { data: { 'x"managedFields': [1] } } } })],
    ['managedFields that are not valid JSON', JSON.stringify(review([])).replace('"managedFields":[]', '"managedFields":[{"a":nope}]')],
    ['managedFields that break off', '{"metadata":{"managedFields":[{"a":1}'],
  ])('leaves a body with %s to be parsed whole', (_name, body) => {
    expect(withoutManagedFields(body)).toBeUndefined();
  });

  it('leaves the name alone inside a string, where its quotes are escaped', () => {
    const note = { annotations: { note: '{"managedFields":[1]}', other: '\\"managedFields":[2]' } };
    const text = withoutManagedFields(JSON.stringify(review(FIELDS, note)));
    expect(JSON.parse(text ?? '')).toEqual(review([], note));
  });

  it('gives the same value as parsing the whole body, for any managedFields', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 4 }), fc.constantFrom(undefined, 2), (fields, indent) => {
        const text = withoutManagedFields(JSON.stringify(review(fields), null, indent));
        expect(JSON.parse(text ?? '')).toEqual(review([]));
      }),
    );
  });
});

describe('parseLeavingManagedFields', () => {
  /** What JSON.parse throws for the text, as [name, message]. */
  function thrown(parse: () => unknown): [string, string] {
    try {
      parse();
    } catch (error) {
      return error instanceof Error ? [error.name, error.message] : ['', String(error)];
    }
    throw new Error('it parsed');
  }

  it("parses a review with both objects' managedFields empty", () => {
    expect(parseLeavingManagedFields(JSON.stringify(review(FIELDS)))).toEqual(review([]));
  });

  it('parses text without managedFields as JSON.parse does', () => {
    expect(parseLeavingManagedFields('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
  });

  it.each([
    ['inside managedFields', '{"metadata":{"managedFields":[{"a":nope}]}}'],
    ['after managedFields, where the shortened text would put it elsewhere', `{"metadata":{"managedFields":${JSON.stringify(FIELDS)},nope:1}}`],
    ['before managedFields', '{"a":nope,"managedFields":[]}'],
  ])('throws what JSON.parse throws for the whole text, for malformed JSON %s', (_name, text) => {
    expect(thrown(() => parseLeavingManagedFields(text))).toEqual(thrown(() => JSON.parse(text)));
  });
});
