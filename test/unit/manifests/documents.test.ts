import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import type { Documents } from '../../../src/manifests/documents.js';
import { originText, parseDocuments, parseStateDocuments, stateObjects } from '../../../src/manifests/documents.js';

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers: [{name: c}]\n';

describe('parseDocuments', () => {
  it('reads every document of a multi-document file, numbering them from 1', () => {
    const { objects, errors } = parseDocuments(`${POD}---\nkind: ConfigMap\nmetadata: {name: cfg}\n`, 'app.yaml');
    expect(errors).toEqual([]);
    expect(objects.map((o) => [o.origin, o.value['kind']])).toEqual([
      [{ file: 'app.yaml', document: 1 }, 'Pod'],
      [{ file: 'app.yaml', document: 2 }, 'ConfigMap'],
    ]);
  });

  it('skips empty documents and comment-only documents but keeps counting them', () => {
    const { objects } = parseDocuments(`---\n# nothing\n---\n---\n${POD}`, 'app.yaml');
    expect(objects.map((o) => o.origin.document)).toEqual([3]);
  });

  it('reads nothing from an empty file', () => {
    expect(parseDocuments('', '-')).toEqual({ objects: [], errors: [] });
  });

  it('reads JSON, tab-indented too', () => {
    const { objects } = parseDocuments('{\n\t"kind": "Pod",\n\t"metadata": {"name": "web"}\n}\n', 'pod.json');
    expect(objects.map((o) => o.value)).toEqual([{ kind: 'Pod', metadata: { name: 'web' } }]);
  });

  it('flattens a List into its items, numbering them from 1', () => {
    const list = 'apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Node\n  metadata: {name: n}\n';
    const { objects } = parseDocuments(list, 'state.yaml');
    expect(objects.map((o) => [o.origin, o.value['kind']])).toEqual([
      [{ file: 'state.yaml', document: 1, item: 1 }, 'Pod'],
      [{ file: 'state.yaml', document: 1, item: 2 }, 'Node'],
    ]);
  });

  it('gives the items of a typed list the kind and apiVersion they lack', () => {
    const { objects } = parseDocuments('{"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "a"}}]}', 'pods.json');
    expect(objects.map((o) => o.value)).toEqual([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } }]);
  });

  it('reads an empty List (items null, as Go encodes an empty slice) as no objects', () => {
    expect(parseDocuments('kind: List\nitems: null\n', 's.yaml')).toEqual({ objects: [], errors: [] });
  });

  it('keeps a kind that merely ends in List but has no items as an object', () => {
    const { objects } = parseDocuments('kind: NetworkPolicyList2\nmetadata: {name: x}\n', 'x.yaml');
    expect(objects.map((o) => o.value['kind'])).toEqual(['NetworkPolicyList2']);
  });

  const broken: [string, string, string[]][] = [
    [
      'a YAML error, naming the document, line and column',
      `${POD}---\nkind: Pod\nmetadata:\n  name: [a\n---\n${POD}`,
      ['app.yaml: document 2: line 11, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    ['a duplicate key', 'kind: Pod\nkind: Service\n', ['app.yaml: document 1: line 2, column 1: Map keys must be unique']],
    ['a document that is a list', '- a\n- b\n', ['app.yaml: document 1: expected a Kubernetes object, not a list']],
    ['a document that is a scalar', 'hello\n', ['app.yaml: document 1: expected a Kubernetes object, not a string']],
    ['a List item that is not a mapping', 'kind: List\nitems: [3]\n', ['app.yaml: document 1, item 1: expected a Kubernetes object, not a number']],
    ['List items that are not a list', 'kind: List\nitems: {a: 1}\n', ['app.yaml: document 1: List items must be a list, not a mapping']],
    [
      'an alias bomb',
      'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n',
      ['app.yaml: document 1: Excessive alias count indicates a resource exhaustion attack'],
    ],
  ];
  it.each(broken)('reports %s', (_name, text, expected) => {
    const { errors } = parseDocuments(text, 'app.yaml');
    expect(errors.map((e) => `${originText(e.origin)}: ${e.message}`)).toEqual(expected);
  });

  it('still reads the good documents around a broken one', () => {
    const { objects } = parseDocuments(`${POD}---\n- 1\n---\n${POD}`, 'app.yaml');
    expect(objects.map((o) => o.origin.document)).toEqual([1, 3]);
  });
});

describe('parseStateDocuments', () => {
  const list = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'team-a', uid: 'u-1' }, spec: { nodeName: 'worker-1', containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }] } },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-1', labels: { 'kubernetes.io/hostname': 'worker-1' } } },
      'not an object',
      { kind: 'Namespace', metadata: { name: 'team-a', labels: { 'hostport-guard.io/mode': 'warn' } }, note: 'é \\/ \u00e9' },
    ],
  });
  const cases: readonly { readonly name: string; readonly text: string }[] = [
    { name: 'a kubectl JSON list, with an item that is not an object', text: list },
    { name: 'the same list pretty-printed, after blank lines', text: `\n\n${JSON.stringify(JSON.parse(list), null, 2)}\n` },
    { name: 'one JSON object', text: '{"kind":"Pod","metadata":{"name":"web"}}' },
    { name: 'broken JSON', text: '{"kind": "Pod", "metadata": {"name": "web"}' },
    { name: 'a JSON array', text: '[{"kind":"Pod"}]' },
    { name: 'YAML, several documents', text: `${POD}---\nkind: Node\nmetadata: {name: worker-1}\n` },
    { name: 'an empty file', text: '' },
    { name: 'a List whose items is not a list', text: '{"kind":"List","items":{"a":1}}' },
    { name: 'an object nested past the depth limit', text: `{"kind":"Pod","spec":${'['.repeat(300)}${']'.repeat(300)}}` },
    { name: 'an object nested exactly to the depth limit', text: `{"kind":"Pod","spec":${'['.repeat(255)}${']'.repeat(255)}}` },
    { name: 'brackets and escaped quotes inside strings', text: `{"kind":"Pod","note":"\\"${'{['.repeat(300)}\\\\"}` },
  ];
  for (const { name, text } of cases) {
    it(`reads ${name} as parseDocuments does`, () => {
      expect(parseStateDocuments(text, 'state.json')).toEqual(parseDocuments(text, 'state.json'));
    });
  }

  it('keeps the last value of a key a JSON state names twice, where YAML refuses it', () => {
    const text = '{"kind":"Pod","metadata":{"name":"a","name":"b"}}';
    expect(parseStateDocuments(text, 's.json').objects.map((o) => o.value)).toEqual([{ kind: 'Pod', metadata: { name: 'b' } }]);
    expect(parseDocuments(text, 's.json').errors).toHaveLength(1);
  });

  it('reads any JSON object as parseDocuments does', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const text = JSON.stringify(value);
        expect(parseStateDocuments(text, 's.json')).toEqual(parseDocuments(text, 's.json'));
      }),
    );
  });
});

describe('stateObjects', () => {
  /** stateObjects with its objects read out, to compare with parseStateDocuments. */
  const read = (text: string | Buffer): Documents => {
    const { objects, errors } = stateObjects(text, 's.json');
    return { objects: [...objects], errors };
  };
  const pod = (name: string): object => ({ kind: 'Pod', metadata: { name, namespace: 'a' }, spec: { containers: [{ name: 'c' }] } });
  const cases: readonly [string, string][] = [
    ['a kubectl JSON list', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('a'), pod('b')], metadata: { resourceVersion: '' } })],
    ['a typed list, whose items lack their kind', JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'a' } }, { kind: 'Pod', metadata: { name: 'b' } }] })],
    ['a list with items that are not objects', JSON.stringify({ kind: 'List', items: [pod('a'), 'text', 3, null, [pod('b')]] })],
    ['a list inside a list', JSON.stringify({ kind: 'List', items: [{ kind: 'List', items: [pod('a')] }, pod('b')] })],
    ['a list broken off', JSON.stringify({ kind: 'List', items: [pod('a')] }).slice(0, -3)],
    ['an item that is not JSON', '{"kind":"List","items":[{"kind":"Pod"}, {"kind": Pod}]}'],
    ['a list nested past the depth limit', `{"kind":"List","items":[${'['.repeat(300)}${']'.repeat(300)}]}`],
    ['an object with items that is no list', '{"kind":"Pod","items":[{"kind":"Pod"}]}'],
    ['a List whose items are named twice', '{"kind":"List","items":[{"kind":"Pod"}],"items":[{"kind":"Node"}]}'],
    ['YAML', 'kind: List\nitems:\n- kind: Pod\n'],
  ];
  it.each(cases)('reads %s as parseStateDocuments does', (_name, text) => {
    expect(read(text)).toEqual(parseStateDocuments(text, 's.json'));
  });

  it.each(cases)('reads %s from its UTF-8 bytes as from its text', (_name, text) => {
    expect(read(Buffer.from(text))).toEqual(read(text));
  });

  it('reads any JSON list as parseStateDocuments does', () => {
    fc.assert(
      fc.property(fc.constantFrom('List', 'PodList', 'Pod'), fc.array(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()))), (kind, items) => {
        const text = JSON.stringify({ apiVersion: 'v1', kind, items });
        expect(read(text)).toEqual(parseStateDocuments(text, 's.json'));
      }),
    );
  });

  it('reads any JSON list, with any characters, from its bytes as from its text', () => {
    const anyText = fc.string({ unit: 'binary' });
    fc.assert(
      fc.property(fc.dictionary(anyText, fc.jsonValue()), fc.array(fc.oneof(fc.jsonValue({ stringUnit: 'binary' }), fc.dictionary(anyText, fc.jsonValue()))), fc.boolean(), (rest, items, pretty) => {
        const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', ...rest, items }, null, pretty ? 2 : undefined);
        expect(read(Buffer.from(text))).toEqual(read(text));
      }),
    );
  });

  it('decodes bytes that are not UTF-8 as the whole text would be decoded', () => {
    // A broken sequence (0xff, a lead byte cut short by a quote) in an item and in the head.
    const pieces = [Buffer.from('{"kind":"List","metadata":{"x":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"},"items":[{"kind":"Pod","metadata":{"name":"a'), Buffer.from([0xff, 0xc3]), Buffer.from('"}}]}')];
    const bytes = Buffer.concat(pieces);
    const decoded = read(bytes);
    expect(decoded).toEqual(read(bytes.toString('utf8')));
    expect(decoded.objects[0]?.value).toEqual({ kind: 'Pod', metadata: { name: 'a\ufffd\ufffd' } });
  });

  it('reads a list after a byte order mark from its bytes as from its text', () => {
    const text = `\ufeff${JSON.stringify({ kind: 'List', items: [pod('a')] })}`;
    expect(read(Buffer.from(text))).toEqual(read(text));
  });
});
