import { isMapping } from '../admission/lists.js';
import { decodeAdmittedObject, HPG_ERR_UNSUPPORTED_KIND } from '../admission/review.js';
import type { AdmittedObject } from '../admission/subject.js';
import type { YamlLimits } from '../yaml/bounded.js';
import { DEFAULT_YAML_LIMITS } from '../yaml/bounded.js';
import type { Documents, ManifestError, Origin, RawObject } from './documents.js';
import { parseDocuments } from './documents.js';

/** Where `kubectl apply` puts an object that names no namespace (without `-n` or a context namespace). */
export const DEFAULT_NAMESPACE = 'default';

/**
 * Manifest text `check` reads in one run, all inputs together, at most. The YAML parser
 * needs about 60 times the text in memory and reads about 1 MB a second here
 * (docs/benchmarks.md), so 16 MiB is some 15 s and 1 GB: five times the largest object
 * the API server accepts, and far more than any set of manifests applied at once.
 */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * One document of a manifest, at most: the API server refuses request bodies past 3 MiB
 * (MaxRequestBodyBytes in k8s.io/apiserver/pkg/server/config.go), so no larger object
 * can be applied.
 */
export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;

/** The limits of one manifest input. */
export const MANIFEST_LIMITS: YamlLimits = {
  ...DEFAULT_YAML_LIMITS,
  maxDocumentBytes: MAX_OBJECT_BYTES,
  documentLimitText: 'the 3 MiB the API server accepts for one object',
};

/** An object names neither `metadata.name` nor `metadata.generateName`. */
export const HPG_ERR_MANIFEST_NO_NAME = 'HPG_ERR_MANIFEST_NO_NAME';

/** One input: its name for messages (`-` for standard input) and its text. */
export interface ManifestInput {
  readonly file: string;
  readonly text: string;
}

/** An object to decide, defaulted as the API server would before admission. */
export interface ManifestObject {
  readonly origin: Origin;
  readonly object: AdmittedObject;
  /** The object's namespace after defaulting. */
  readonly namespace: string;
  /** The object's name; `PREFIX* (generated)` for an object that names only a `generateName`. */
  readonly name: string;
}

/** An object of a kind hostport-guard does not decide (ConfigMap, Service, ...). */
export interface SkippedObject {
  readonly origin: Origin;
  readonly kind: string;
  /** `namespace/name`, or the bare name of a cluster-scoped object. */
  readonly name: string;
}

/** Everything read from the inputs, in input order. */
export interface Manifests {
  readonly objects: readonly ManifestObject[];
  readonly skipped: readonly SkippedObject[];
  readonly errors: readonly ManifestError[];
}

/**
 * The uid that tells apart the `ordinal`-th object naming only a generateName: many such
 * objects share one prefix, and a pod never conflicts with itself. It stays inside the
 * check; what is printed is the prefix, `PREFIX* (generated)`, because the API server
 * picks the rest of the name only when it creates the object.
 */
export function generatedUid(ordinal: number): string {
  return `hostport-guard-check-generated-${ordinal}`;
}

/** How an object naming only `generateName` is reported: `web-* (generated)`. */
export function generatedName(prefix: string): string {
  return `${prefix}* (generated)`;
}

function stringAt(value: unknown, key: string): string | undefined {
  if (!isMapping(value)) return undefined;
  const found = value[key];
  return typeof found === 'string' && found !== '' ? found : undefined;
}

function skippedOf(raw: RawObject, kind: string): SkippedObject {
  const meta = raw.value['metadata'];
  const name = stringAt(meta, 'name') ?? stringAt(meta, 'generateName') ?? '';
  const namespace = stringAt(meta, 'namespace');
  return { origin: raw.origin, kind, name: namespace === undefined ? name : `${namespace}/${name}` };
}

/** `Pod web`, or `object` when the kind is missing or not a string. */
function label(raw: RawObject): string {
  const kind = stringAt(raw.value, 'kind') ?? 'object';
  const meta = raw.value['metadata'];
  const name = stringAt(meta, 'name') ?? stringAt(meta, 'generateName');
  return name === undefined ? kind : `${kind} ${name}`;
}

/** Reads every input, in order; objects naming only a generateName are numbered across all of them. */
export function readManifests(inputs: readonly ManifestInput[]): Manifests {
  const objects: ManifestObject[] = [];
  const skipped: SkippedObject[] = [];
  const errors: ManifestError[] = [];
  let generated = 0;
  for (const input of inputs) {
    const documents: Documents = parseDocuments(input.text, input.file, MANIFEST_LIMITS);
    errors.push(...documents.errors);
    for (const raw of documents.objects) {
      const decoded = decodeAdmittedObject(raw.value);
      if (!decoded.ok) {
        const kind = raw.value['kind'];
        if (decoded.code === HPG_ERR_UNSUPPORTED_KIND && typeof kind === 'string') skipped.push(skippedOf(raw, kind));
        else errors.push({ code: decoded.code, origin: raw.origin, message: `${label(raw)}: ${decoded.reason}` });
        continue;
      }
      const meta = decoded.object.metadata;
      const namespace = meta.namespace !== undefined && meta.namespace !== '' ? meta.namespace : DEFAULT_NAMESPACE;
      const name = meta.name ?? '';
      if (name !== '') {
        const object: AdmittedObject = { ...decoded.object, metadata: { ...meta, namespace, name } };
        objects.push({ origin: raw.origin, object, namespace, name });
        continue;
      }
      const prefix = meta.generateName ?? '';
      if (prefix === '') {
        const message = `${decoded.object.kind}: /metadata must have name or generateName`;
        errors.push({ code: HPG_ERR_MANIFEST_NO_NAME, origin: raw.origin, message });
        continue;
      }
      const { name: _empty, ...unnamed } = meta;
      const uid = meta.uid ?? generatedUid(generated);
      generated += 1;
      const object: AdmittedObject = { ...decoded.object, metadata: { ...unnamed, namespace, uid } };
      objects.push({ origin: raw.origin, object, namespace, name: generatedName(prefix) });
    }
  }
  return { objects, skipped, errors };
}
