/**
 * Random and mutated inputs for the fuzz suite: AdmissionReviews as bodies on the wire,
 * and manifest files for `check`. Everything is drawn from fast-check arbitraries with
 * one seed, so a run is replayed exactly from the seed it prints.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';

/** A JSON value as sent on the wire. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings that have broken terminals, logs or limits before, and plain ones that meet the fixture cluster. */
const NASTY = [
  '',
  'web\u001b[2K\rallow Pod default/web on worker-1\n1 objects checked: 0 denied',
  '\u001b]0;pwned\u0007',
  'api\u202e1',
  'a\u2028b\u2029c',
  'zero\u200bwidth\ufeff',
  'lone\ud83d',
  'c1\u009b31m',
  '\u0000nul',
  'x'.repeat(5000),
  '10.0.0.' + '1'.repeat(4096),
  '😀'.repeat(40),
];
const PLAIN = ['worker-1', 'worker-2', 'worker-3', 'default', 'team-a', 'kube-system', 'web', 'api-7d9f', 'ingress-7d9f8b6c4-x2x7k'];

/** Any text: random Unicode, a known hostile string, or a name the fixture cluster knows. */
export const textArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 4, arbitrary: fc.constantFrom(...PLAIN) },
);

const ipArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '0.0.0.0', '::', '0:0:0:0:0:0:0:0', '::ffff:0.0.0.0', '10.0.0.1', '10.0.0.2', '::ffff:10.0.0.2', 'fd00::1', '127.0.0.1'),
  fc.ipV4(),
  fc.ipV6(),
  textArb,
);

/** A port number: mostly ones the fixture cluster holds, sometimes anything. */
const portNumberArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(53, 5353, 7000, 8080, 8443, 9000, 9090, 9100) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 65535 }) },
  { weight: 1, arbitrary: fc.integer({ min: -10, max: 200_000 }) },
);

const portArb: fc.Arbitrary<Record<string, Json>> = fc.record(
  {
    containerPort: portNumberArb,
    hostPort: portNumberArb,
    protocol: fc.constantFrom('TCP', 'UDP', 'SCTP', '', 'tcp', 'HTTP'),
    hostIP: ipArb,
    name: textArb,
  },
  { requiredKeys: ['containerPort'] },
);

/** A few ports; now and then hundreds to thousands on one port number, past the per-pod budget. */
const portsArb: fc.Arbitrary<Json[]> = fc.oneof(
  { weight: 30, arbitrary: fc.array(portArb, { maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(portArb, fc.integer({ min: 200, max: 1500 }), fc.boolean()).map(([p, n, spread]) =>
      Array.from({ length: n }, (_, i): Json => ({ ...p, hostPort: spread ? 80 : 10000 + i, hostIP: spread ? `10.${(i >> 8) & 255}.${i & 255}.1` : '' })),
    ),
  },
);

const containerArb = fc.record({ name: textArb, ports: portsArb, restartPolicy: fc.constantFrom('Always', 'Never') }, { requiredKeys: ['name'] });

const podSpecArb: fc.Arbitrary<Record<string, Json>> = fc.record(
  {
    nodeName: fc.oneof(fc.constantFrom('worker-1', 'worker-2', 'worker-3'), textArb),
    hostNetwork: fc.boolean(),
    containers: fc.array(containerArb, { maxLength: 3 }),
    initContainers: fc.array(containerArb, { maxLength: 2 }),
    nodeSelector: fc.dictionary(fc.constantFrom('kubernetes.io/hostname', 'zone'), textArb, { maxKeys: 2 }),
    affinity: fc.constantFrom('worker-1', 'worker-2', 'nowhere').map((node): Json => ({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } },
    })),
  },
  { requiredKeys: ['containers'] },
);

const metadataArb: fc.Arbitrary<Record<string, Json>> = fc.record(
  {
    name: textArb,
    generateName: textArb,
    namespace: fc.oneof(fc.constantFrom('default', 'team-a', 'kube-system'), textArb),
    uid: textArb,
    deletionTimestamp: fc.constant('2025-01-01T00:00:00Z'),
    labels: fc.dictionary(textArb, textArb, { maxKeys: 2 }),
    ownerReferences: fc.array(fc.record({ kind: fc.constantFrom('ReplicaSet', 'DaemonSet', 'Job'), name: textArb, uid: textArb, controller: fc.boolean() }), { maxLength: 1 }),
  },
  { requiredKeys: [] },
);

const WORKLOADS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'];

/** A Pod, a workload, a CronJob or an object of a kind hostport-guard does not decide. */
export const objectArb: fc.Arbitrary<Record<string, Json>> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(metadataArb, podSpecArb).map(([metadata, spec]) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec })) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(...WORKLOADS), metadataArb, podSpecArb).map(([kind, metadata, spec]) => ({
      apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
      kind,
      metadata,
      spec: { template: { spec } },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(metadataArb, podSpecArb).map(([metadata, spec]) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata,
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec } } } },
    })),
  },
  { weight: 1, arbitrary: metadataArb.map((metadata) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { a: 'b' } })) },
);

const GROUPS: Readonly<Record<string, string>> = { Pod: '', ConfigMap: '', CronJob: 'batch', Job: 'batch' };

/** An AdmissionReview around an object, with a random operation, uid and namespace. */
const reviewArb: fc.Arbitrary<Json> = fc
  .record({
    object: objectArb,
    uid: fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 2, arbitrary: textArb }, { weight: 1, arbitrary: fc.constant('u'.repeat(100_000)) }),
    operation: fc.constantFrom('CREATE', 'CREATE', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT'),
    namespace: fc.oneof(fc.constantFrom('default', 'team-a', 'kube-system'), textArb),
    subResource: fc.oneof(fc.constant(undefined), fc.constantFrom('binding', 'status', 'ephemeralcontainers')),
    dryRun: fc.boolean(),
  })
  .map(({ object, uid, operation, namespace, subResource, dryRun }): Json => {
    const kind = typeof object['kind'] === 'string' ? object['kind'] : 'Pod';
    const group = GROUPS[kind] ?? 'apps';
    const resource = `${kind.toLowerCase()}s`;
    const request: Record<string, Json> = {
      uid,
      kind: { group, version: 'v1', kind },
      resource: { group, version: 'v1', resource },
      namespace,
      operation,
      userInfo: { username: 'fuzz' },
      dryRun,
      object: operation === 'DELETE' ? null : object,
      oldObject: operation === 'UPDATE' || operation === 'DELETE' ? object : null,
    };
    if (subResource !== undefined) request['subResource'] = subResource;
    return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
  });

/** Every path to a value inside `value`, parents before children. */
function pathsOf(value: Json, prefix: (string | number)[] = [], into: (string | number)[][] = []): (string | number)[][] {
  into.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], into));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], into);
  return into;
}

/** `value` with the value at `path` replaced (or removed when `replacement` is undefined). */
function replaced(value: Json, path: readonly (string | number)[], replacement: Json | undefined): Json | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  if (Array.isArray(value) && typeof head === 'number') {
    const copy = [...value];
    const inner = replaced(copy[head] ?? null, rest, replacement);
    if (inner === undefined) copy.splice(head, 1);
    else copy[head] = inner;
    return copy;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && typeof head === 'string') {
    const copy = { ...value };
    const inner = replaced(copy[head] ?? null, rest, replacement);
    if (inner === undefined) Reflect.deleteProperty(copy, head);
    else copy[head] = inner;
    return copy;
  }
  return value;
}

/** A change to one value of a JSON document: removed, or replaced by any JSON value or a hostile string. */
const mutationArb = fc.record({
  pick: fc.nat(),
  change: fc.oneof(fc.constant<'remove'>('remove'), fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...NASTY)),
});

/** A review with 0 to 3 of its values changed. */
export const mutatedReviewArb: fc.Arbitrary<Json> = fc.tuple(reviewArb, fc.array(mutationArb, { maxLength: 3 })).map(([review, mutations]) => {
  let out: Json = review;
  for (const { pick, change } of mutations) {
    const paths = pathsOf(out);
    const path = paths[pick % paths.length] ?? [];
    const next = replaced(out, path, change === 'remove' ? undefined : (change as Json));
    out = next ?? null;
  }
  return out;
});

/** How a body goes on the wire, and what the server must answer to its shape. */
export interface WireCase {
  readonly body: Buffer;
  readonly contentType?: string;
  /** The status the answer must have, when the shape decides it; else any of 200 and 400. */
  readonly expect?: 400 | 413 | 415;
  /** The request uid, when the body is a JSON object that carries a string one. */
  readonly uid?: string;
}

/** A body cut short, or with bytes flipped or inserted: mostly malformed JSON. */
function garbled(text: string, at: number, how: number, byte: number): Buffer {
  const bytes = Buffer.from(text);
  const i = bytes.length === 0 ? 0 : at % bytes.length;
  if (how === 0) return bytes.subarray(0, i);
  if (how === 1) {
    const copy = Buffer.from(bytes);
    copy[i] = byte;
    return copy;
  }
  return Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
}

function uidIn(value: Json): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const request = value['request'];
  if (request === null || request === undefined || typeof request !== 'object' || Array.isArray(request)) return undefined;
  const uid = request['uid'];
  return typeof uid === 'string' ? uid : undefined;
}

/** One request on the wire: a review (mutated or not) as JSON, garbled, with another content type, or a hostile body. */
export const wireCaseArb: fc.Arbitrary<WireCase> = fc.oneof(
  {
    weight: 20,
    arbitrary: mutatedReviewArb.map((review): WireCase => {
      const uid = uidIn(review);
      return { body: Buffer.from(JSON.stringify(review)), ...(uid === undefined ? {} : { uid }) };
    }),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(reviewArb, fc.nat(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 })).map(
      ([review, at, how, byte]): WireCase => ({ body: garbled(JSON.stringify(review), at, how, byte) }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(reviewArb, fc.constantFrom('text/plain', 'application/xml', 'application/json; charset=latin1', '')).map(
      ([review, contentType]): WireCase => ({ body: Buffer.from(JSON.stringify(review)), contentType, expect: 415 }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<WireCase>(
      { body: Buffer.alloc(0), expect: 400 },
      { body: Buffer.from('null'), expect: 400 },
      { body: Buffer.from('[]'), expect: 400 },
      { body: Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), expect: 400 },
      { body: Buffer.from(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`), expect: 400 },
      { body: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), expect: 400 },
    ),
  },
);

/** A body past the default 4 MiB limit: answered 413. */
export function oversizedCase(): WireCase {
  return { body: Buffer.from(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'big', pad: 'x'.repeat(5 * 1024 * 1024) } })), expect: 413 };
}

/** One document of a manifest file: an object as YAML or JSON, mutated, garbled, or a hostile document. */
const documentArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: objectArb.map((o) => stringify(o)) },
  { weight: 3, arbitrary: fc.tuple(objectArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([o, ms]) => {
    let out: Json = o;
    for (const { pick, change } of ms) {
      const paths = pathsOf(out);
      out = replaced(out, paths[pick % paths.length] ?? [], change === 'remove' ? undefined : (change as Json)) ?? null;
    }
    return JSON.stringify(out);
  }) },
  { weight: 2, arbitrary: fc.tuple(objectArb, fc.nat(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 })).map(([o, at, how, byte]) => garbled(stringify(o), at, how, byte).toString('utf8')) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `x: ${'['.repeat(3000)}${']'.repeat(3000)}`,
      'just a string',
      '- a\n- list',
      'kind: List\nitems:\n- kind: Pod\n  metadata: {name: in-list}\n  spec: {nodeName: worker-1, hostNetwork: true, containers: [{name: c, ports: [{containerPort: 8080}]}]}',
      'a: &a [1]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: &d [*c, *c]\ne: &e [*d, *d]\nf: &f [*e, *e]\ng: [*f, *f]',
      '%YAML 9.9\n---\nkind: Pod',
    ),
  },
);

/** Ports the fixture cluster holds, by node (test/fixtures/states/cluster.yaml). */
const HELD: readonly [string, number, string][] = [
  ['worker-1', 8080, 'TCP'],
  ['worker-1', 9100, 'TCP'],
  ['worker-2', 53, 'UDP'],
  ['worker-3', 9000, 'TCP'],
  ['worker-3', 9090, 'TCP'],
];

/** A pod pinned where one of its ports is held: denied in enforce mode. */
const collidingArb: fc.Arbitrary<Record<string, Json>> = fc.tuple(fc.constantFrom(...HELD), textArb, fc.boolean()).map(([[node, port, protocol], name, hostNetwork]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName: node, hostNetwork, containers: [{ name: 'c', ports: [{ containerPort: port, hostPort: port, protocol }] }] },
}));

/** The largest document of a clean manifest, well inside the 3 MiB one object may have. */
const CLEAN_DOCUMENT_CHARS = 512 * 1024;

/** An object `check` can decide: it has a name (which may still be any text) and fits the limits. */
const decidableArb: fc.Arbitrary<string> = fc
  .tuple(fc.oneof({ weight: 9, arbitrary: objectArb }, { weight: 1, arbitrary: collidingArb }), textArb, fc.boolean())
  .map(([o, name, json]) => {
    const metadata = typeof o['metadata'] === 'object' && o['metadata'] !== null && !Array.isArray(o['metadata']) ? o['metadata'] : {};
    const named = { ...o, metadata: { ...metadata, name: name === '' ? 'unnamed' : name } };
    return json ? JSON.stringify(named) : stringify(named);
  })
  .filter((text) => text.length < CLEAN_DOCUMENT_CHARS);

/**
 * A manifest file: `clean` ones hold only objects check can decide (so their runs end in
 * verdicts, 0 or 1), the others mix in mutated, garbled and hostile documents (so their
 * runs mostly end in errors, 2).
 */
export function manifestArb(clean: boolean): fc.Arbitrary<string> {
  return fc.array(clean ? decidableArb : documentArb, { minLength: 1, maxLength: clean ? 100 : 40, size: 'max' }).map((docs) => docs.join('\n---\n'));
}
