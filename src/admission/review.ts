/**
 * Decodes untrusted AdmissionReview bodies and manifests, once, into typed values or typed
 * errors. The schemas are compiled when the module loads, so a request only runs the
 * generated validators.
 */
import type { ErrorObject } from 'ajv';
import { Ajv } from 'ajv';
import { problemOf } from './schema-errors.js';
import type { AdmissionRequest, AdmissionReviewRequest, Operation } from './schema.js';
import { admissionReviewSchema, cronJobObjectSchema, podObjectSchema, templateObjectSchema } from './schema.js';
import type { AdmittedObject, CronJobObject, PodObject, TemplateObject } from './subject.js';
import { TEMPLATE_KINDS } from './subject.js';

/** The body is not an admission.k8s.io/v1 AdmissionReview with a usable request. */
export const HPG_ERR_INVALID_REVIEW = 'HPG_ERR_INVALID_REVIEW';
/** The object of a kind hostport-guard decides lacks a field the engine reads, or has it with the wrong type. */
export const HPG_ERR_INVALID_OBJECT = 'HPG_ERR_INVALID_OBJECT';
/** The object is of a kind hostport-guard does not decide (manifests only: reviews of such kinds are allowed). */
export const HPG_ERR_UNSUPPORTED_KIND = 'HPG_ERR_UNSUPPORTED_KIND';

/** Why an object could not be decoded. */
export interface ObjectDecodeError {
  readonly ok: false;
  readonly code: typeof HPG_ERR_INVALID_OBJECT | typeof HPG_ERR_UNSUPPORTED_KIND;
  /** One line naming the field and the problem, e.g. `/spec/containers/0/name must be a string`. */
  readonly reason: string;
  /** JSON pointer of the offending value inside the object (empty for the object itself). */
  readonly path: string;
  /** What is wrong with the value at `path`, e.g. `must be a string`. */
  readonly problem: string;
}

/** An object decoded into one of the shapes the engine decides, or why it is not one. */
export type ObjectDecodeResult = { readonly ok: true; readonly object: AdmittedObject } | ObjectDecodeError;

/** What the engine is asked about a review: decide an object, or let the request through untouched. */
export type ReviewTarget =
  | { readonly kind: 'decide'; readonly object: AdmittedObject }
  | { readonly kind: 'skip'; readonly reason: string };

/** A review that passed validation. */
export interface DecodedReview {
  readonly request: AdmissionRequest;
  readonly target: ReviewTarget;
}

/** Why a review was refused; `uid` is there whenever the body carried a string `request.uid`. */
export interface ReviewDecodeError {
  readonly ok: false;
  readonly code: typeof HPG_ERR_INVALID_REVIEW | typeof HPG_ERR_INVALID_OBJECT;
  readonly reason: string;
  readonly uid?: string;
}

/** A decoded review, or why it was refused. */
export type ReviewDecodeResult = { readonly ok: true; readonly review: DecodedReview } | ReviewDecodeError;

// allErrors stays off: the first problem is enough to answer, and validation stops early.
// Union types are allowed for Kubernetes' IntOrString fields (a DaemonSet's maxSurge).
const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true });
const isPodObject = ajv.compile<PodObject>(podObjectSchema);
const isTemplateObject = ajv.compile<TemplateObject>(templateObjectSchema);
const isCronJobObject = ajv.compile<CronJobObject>(cronJobObjectSchema);
const isReview = ajv.compile<AdmissionReviewRequest>(admissionReviewSchema);

/** The first validation error, as a JSON pointer and a problem. */
function firstError(errors: readonly ErrorObject[] | null | undefined): { path: string; problem: string } {
  const [error] = errors ?? [];
  if (error === undefined) return { path: '', problem: 'is invalid' };
  return { path: error.instancePath, problem: problemOf(error) };
}

function isTemplateKind(kind: string): kind is TemplateObject['kind'] {
  return TEMPLATE_KINDS.some((k) => k === kind);
}

function objectError(code: ObjectDecodeError['code'], path: string, problem: string): ObjectDecodeError {
  return { ok: false, code, reason: `${path === '' ? 'object' : path} ${problem}`, path, problem };
}

function invalidObject(errors: readonly ErrorObject[] | null | undefined): ObjectDecodeError {
  const { path, problem } = firstError(errors);
  return objectError(HPG_ERR_INVALID_OBJECT, path, problem);
}

/** Validates `value` as an object of kind `kind`. */
function decodeObjectOfKind(kind: string, value: unknown): ObjectDecodeResult {
  let object: AdmittedObject;
  if (kind === 'Pod') {
    if (!isPodObject(value)) return invalidObject(isPodObject.errors);
    object = value;
  } else if (kind === 'CronJob') {
    if (!isCronJobObject(value)) return invalidObject(isCronJobObject.errors);
    object = value;
  } else if (isTemplateKind(kind)) {
    if (!isTemplateObject(value)) return invalidObject(isTemplateObject.errors);
    object = value;
  } else {
    return objectError(HPG_ERR_UNSUPPORTED_KIND, '/kind', `${JSON.stringify(kind)} is not a kind hostport-guard decides`);
  }
  return object.kind === kind ? { ok: true, object } : objectError(HPG_ERR_INVALID_OBJECT, '/kind', `must be ${JSON.stringify(kind)}`);
}

/**
 * Decodes a manifest or admitted object into the shape the engine reads (Pod, a
 * template-carrying workload, or CronJob). Objects of other kinds come back as
 * HPG_ERR_UNSUPPORTED_KIND so a caller can skip them.
 */
export function decodeAdmittedObject(value: unknown): ObjectDecodeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return objectError(HPG_ERR_INVALID_OBJECT, '', 'must be an object');
  }
  const kind: unknown = 'kind' in value ? value.kind : undefined;
  if (typeof kind !== 'string') {
    return objectError(HPG_ERR_INVALID_OBJECT, '/kind', kind === undefined ? 'is missing' : 'must be a string');
  }
  return decodeObjectOfKind(kind, value);
}

/** Type guard over decodeAdmittedObject, for callers that only need yes or no. */
export function isAdmittedObject(value: unknown): value is AdmittedObject {
  return decodeAdmittedObject(value).ok;
}

interface DecidedKind {
  readonly group: string;
  readonly operations: readonly Operation[];
}

const WORKLOAD_OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE'];

/** API group of each kind decided, and the operations decided for it. */
const DECIDED: ReadonlyMap<string, DecidedKind> = new Map<string, DecidedKind>([
  // A Pod's ports cannot change once it exists: only its creation can bring a collision.
  ['Pod', { group: '', operations: ['CREATE'] }],
  ['ReplicationController', { group: '', operations: WORKLOAD_OPERATIONS }],
  ['Deployment', { group: 'apps', operations: WORKLOAD_OPERATIONS }],
  ['ReplicaSet', { group: 'apps', operations: WORKLOAD_OPERATIONS }],
  ['StatefulSet', { group: 'apps', operations: WORKLOAD_OPERATIONS }],
  ['DaemonSet', { group: 'apps', operations: WORKLOAD_OPERATIONS }],
  ['Job', { group: 'batch', operations: WORKLOAD_OPERATIONS }],
  ['CronJob', { group: 'batch', operations: WORKLOAD_OPERATIONS }],
]);

function kindLabel(request: AdmissionRequest): string {
  const { group, version, kind } = request.kind;
  return `${group === '' ? '' : `${group}/`}${version} ${kind}`;
}

/** Whether the engine decides this request, and on which object. */
function targetOf(request: AdmissionRequest): ReviewTarget | ObjectDecodeError {
  if (request.subResource !== undefined && request.subResource !== '') {
    return { kind: 'skip', reason: `subresource ${request.resource.resource}/${request.subResource} is not decided` };
  }
  const decided = DECIDED.get(request.kind.kind);
  if (decided?.group !== request.kind.group) return { kind: 'skip', reason: `kind ${kindLabel(request)} is not decided` };
  if (!decided.operations.includes(request.operation)) {
    return { kind: 'skip', reason: `${request.operation} of ${kindLabel(request)} is not decided` };
  }
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') {
    return { kind: 'skip', reason: `${request.operation} carries no new object` };
  }
  const decoded = decodeObjectOfKind(request.kind.kind, request.object);
  return decoded.ok ? { kind: 'decide', object: decoded.object } : decoded;
}

/** `request.uid` of a body that may be anything, so even a refused review can echo it. */
export function uidOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('request' in body)) return undefined;
  const request = body.request;
  if (typeof request !== 'object' || request === null || !('uid' in request)) return undefined;
  return typeof request.uid === 'string' ? request.uid : undefined;
}

function refused(body: unknown, code: ReviewDecodeError['code'], reason: string): ReviewDecodeError {
  const uid = uidOf(body);
  return uid === undefined ? { ok: false, code, reason } : { ok: false, code, reason, uid };
}

/**
 * Decodes a parsed request body as an admission.k8s.io/v1 AdmissionReview. The object of
 * a request the engine decides (CREATE of a Pod, CREATE or UPDATE of a workload) is
 * validated against its shape; any other request is let through with the reason it is
 * not decided, its objects unread.
 */
export function decodeReview(body: unknown): ReviewDecodeResult {
  if (!isReview(body)) {
    const { path, problem } = firstError(isReview.errors);
    return refused(body, HPG_ERR_INVALID_REVIEW, `${path === '' ? 'body' : path} ${problem}`);
  }
  const target = targetOf(body.request);
  if ('ok' in target) return refused(body, HPG_ERR_INVALID_OBJECT, `/request/object${target.path} ${target.problem}`);
  return { ok: true, review: { request: body.request, target } };
}
