/**
 * JSON schemas for what arrives from outside: the AdmissionReview envelope
 * (admission.k8s.io/v1) and the object shapes hostport-guard decides. Only the fields the
 * engine reads are typed and checked; everything else is allowed and ignored, so a field
 * added to Pods in a future Kubernetes release never turns into a refused request.
 *
 * The schemas mirror the TypeScript types they guard (src/engine/types.ts,
 * src/admission/subject.ts, and the envelope types below); review.ts compiles them once,
 * and src/cluster/object-schema.ts builds the Pod of watch events and lists from the same
 * fragments, so the pod shape is written once.
 * Optional fields are never `nullable`: a JSON `null` where the type says "string or
 * absent" is refused rather than let through as a lie.
 */
import { TEMPLATE_KINDS } from './subject.js';

/** The AdmissionReview version hostport-guard speaks (the only one since Kubernetes 1.22). */
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** Operations an AdmissionReview can carry. */
export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;

/** One admission operation. */
export type Operation = (typeof OPERATIONS)[number];

/** A JSON object whose fields hostport-guard does not read. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** `request.kind`: the kind of the object, in the version the webhook registered for. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** `request.resource`: the resource being changed, e.g. `{group: '', version: 'v1', resource: 'pods'}`. */
export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** `request.userInfo`: who sent the request (only the name and groups are read). */
export interface UserInfo {
  readonly username?: string;
  readonly groups?: readonly string[];
}

interface RequestCommon {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  /** `binding`, `status`, `ephemeralcontainers`, ...; absent or empty for the resource itself. */
  readonly subResource?: string;
  readonly name?: string;
  /** Absent for cluster-scoped resources. */
  readonly namespace?: string;
  /** True for `--dry-run=server`: the object will not be persisted. */
  readonly dryRun?: boolean;
  readonly userInfo?: UserInfo;
}

/**
 * `request` of an AdmissionReview. The operation decides which objects exist: CREATE
 * carries the new object, UPDATE the new and the old one, DELETE only the old one (null
 * from API servers before 1.15), CONNECT the connect options.
 */
export type AdmissionRequest = RequestCommon &
  (
    | { readonly operation: 'CREATE'; readonly object: JsonObject; readonly oldObject?: null }
    | { readonly operation: 'UPDATE'; readonly object: JsonObject; readonly oldObject: JsonObject }
    | { readonly operation: 'DELETE'; readonly object?: null; readonly oldObject?: JsonObject | null }
    | { readonly operation: 'CONNECT'; readonly object?: JsonObject | null; readonly oldObject?: null }
  );

/** An AdmissionReview as the API server sends it. */
export interface AdmissionReviewRequest {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly request: AdmissionRequest;
}

const string = { type: 'string' } as const;
const integer = { type: 'integer' } as const;
const stringMap = { type: 'object', additionalProperties: string } as const;
const stringList = { type: 'array', items: string } as const;
const objectOrNull = { type: ['object', 'null'] } as const;
const nullOnly = { type: 'null' } as const;

const ownerReference = {
  type: 'object',
  required: ['kind', 'name', 'uid'],
  properties: { kind: string, name: string, uid: string, controller: { type: 'boolean' } },
} as const;

/** ObjectMetaLike. */
export const metadataSchema = {
  type: 'object',
  properties: {
    name: string,
    generateName: string,
    namespace: string,
    uid: string,
    deletionTimestamp: string,
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: { type: 'array', items: ownerReference },
  },
} as const;

/** ContainerPortSpec. */
const containerPort = {
  type: 'object',
  required: ['containerPort'],
  properties: { containerPort: integer, hostPort: integer, protocol: string, hostIP: string, name: string },
} as const;

/** ContainerSpec. */
const container = {
  type: 'object',
  required: ['name'],
  properties: { name: string, ports: { type: 'array', items: containerPort }, restartPolicy: string },
} as const;

const nodeSelectorRequirement = {
  type: 'object',
  required: ['key', 'operator'],
  properties: { key: string, operator: string, values: stringList },
} as const;

const requirements = { type: 'array', items: nodeSelectorRequirement } as const;

/** Toleration. */
const toleration = {
  type: 'object',
  properties: { key: string, operator: string, value: string, effect: string },
} as const;

/** PodSpecLike. */
export const podSpecSchema = {
  type: 'object',
  required: ['containers'],
  properties: {
    nodeName: string,
    hostNetwork: { type: 'boolean' },
    containers: { type: 'array', items: container },
    initContainers: { type: 'array', items: container },
    nodeSelector: stringMap,
    tolerations: { type: 'array', items: toleration },
    priority: integer,
    priorityClassName: string,
    preemptionPolicy: string,
    affinity: {
      type: 'object',
      properties: {
        nodeAffinity: {
          type: 'object',
          properties: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              type: 'object',
              required: ['nodeSelectorTerms'],
              properties: {
                nodeSelectorTerms: {
                  type: 'array',
                  items: { type: 'object', properties: { matchFields: requirements, matchExpressions: requirements } },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** A Pod's `status`, as far as the engine reads it. */
export const podStatusSchema = { type: 'object', properties: { phase: string } } as const;

const template = { type: 'object', required: ['spec'], properties: { spec: podSpecSchema } } as const;

/** UpdateStrategy: maxSurge is an int or a percentage string. */
const updateStrategy = {
  type: 'object',
  properties: {
    type: string,
    rollingUpdate: {
      type: 'object',
      // IntOrString (review.ts allows this one union type).
      properties: { maxSurge: { type: ['integer', 'string'] } },
    },
  },
} as const;

/** PodObject. */
export const podObjectSchema = {
  type: 'object',
  required: ['kind', 'metadata', 'spec'],
  properties: {
    kind: { const: 'Pod' },
    metadata: metadataSchema,
    spec: podSpecSchema,
    status: podStatusSchema,
  },
} as const;

/** TemplateObject: Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController. */
export const templateObjectSchema = {
  type: 'object',
  required: ['kind', 'metadata', 'spec'],
  properties: {
    kind: { enum: TEMPLATE_KINDS },
    metadata: metadataSchema,
    spec: { type: 'object', required: ['template'], properties: { template, updateStrategy } },
  },
} as const;

/** CronJobObject. */
export const cronJobObjectSchema = {
  type: 'object',
  required: ['kind', 'metadata', 'spec'],
  properties: {
    kind: { const: 'CronJob' },
    metadata: metadataSchema,
    spec: {
      type: 'object',
      required: ['jobTemplate'],
      properties: {
        jobTemplate: {
          type: 'object',
          required: ['spec'],
          properties: { spec: { type: 'object', required: ['template'], properties: { template } } },
        },
      },
    },
  },
} as const;

const groupVersionKind = {
  type: 'object',
  required: ['group', 'version', 'kind'],
  properties: { group: string, version: string, kind: string },
} as const;

const groupVersionResource = {
  type: 'object',
  required: ['group', 'version', 'resource'],
  properties: { group: string, version: string, resource: string },
} as const;

/** Which objects each operation carries, as in AdmissionRequest. */
function objectsFor(operation: Operation, objects: { readonly required: readonly string[]; readonly properties: object }) {
  return {
    if: { type: 'object', required: ['operation'], properties: { operation: { const: operation } } },
    then: { type: 'object', ...objects },
  } as const;
}

/** AdmissionReviewRequest (the objects themselves are checked once their kind is known). */
export const admissionReviewSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { const: ADMISSION_API_VERSION },
    kind: { const: 'AdmissionReview' },
    request: {
      type: 'object',
      required: ['uid', 'kind', 'resource', 'operation'],
      properties: {
        uid: { type: 'string', minLength: 1 },
        kind: groupVersionKind,
        resource: groupVersionResource,
        subResource: string,
        name: string,
        namespace: string,
        operation: { enum: OPERATIONS },
        dryRun: { type: 'boolean' },
        userInfo: { type: 'object', properties: { username: string, groups: stringList } },
        object: objectOrNull,
        oldObject: objectOrNull,
      },
      allOf: [
        objectsFor('CREATE', { required: ['object'], properties: { object: { type: 'object' }, oldObject: nullOnly } }),
        objectsFor('UPDATE', {
          required: ['object', 'oldObject'],
          properties: { object: { type: 'object' }, oldObject: { type: 'object' } },
        }),
        objectsFor('DELETE', { required: [], properties: { object: nullOnly } }),
        objectsFor('CONNECT', { required: [], properties: { oldObject: nullOnly } }),
      ],
    },
  },
} as const;
