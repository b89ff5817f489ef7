/**
 * JSON schemas for the few fields hostport-guard reads from Pods, Nodes, Namespaces and
 * PriorityClasses as the API server (or `kubectl get -o yaml`) spells them, compiled once
 * with ajv into type guards. Watch events, list items and cluster-state files are
 * untrusted: they are decoded here, never cast. Unknown fields are allowed, so newer API
 * versions pass.
 */
import type { SchemaObject, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';

import { metadataSchema, podSpecSchema, podStatusSchema } from '../admission/schema.js';
import type { ObjectMetaLike, PodSpecLike } from '../engine/types.js';

/** Metadata as the index reads it: always a name, and the resourceVersion events carry. */
export interface WireMeta extends ObjectMetaLike {
  readonly name: string;
  readonly resourceVersion?: string;
}

/** A Pod, as far as the index reads it. */
export interface WirePod {
  readonly kind?: string;
  readonly metadata: WireMeta;
  readonly spec: PodSpecLike;
  readonly status?: { readonly phase?: string };
}

/** A Namespace (or its PartialObjectMetadata): only metadata is read. */
export interface WireLabeled {
  readonly kind?: string;
  readonly metadata: WireMeta;
}

/** The parts of a Pod's status the scan reads besides the phase (see PodStatusLike). */
export interface WireStatusDetail {
  readonly status?: {
    readonly reason?: string;
    readonly message?: string;
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }[];
  };
}

/** A Node: its labels, and what the scheduler's filters read of its spec. */
export interface WireNode {
  readonly kind?: string;
  readonly metadata: WireMeta;
  readonly spec?: {
    readonly taints?: readonly { readonly key: string; readonly value?: string; readonly effect: string }[];
    readonly unschedulable?: boolean;
  };
}

/** A PriorityClass (scheduling.k8s.io/v1). */
export interface WirePriorityClass {
  readonly kind?: string;
  readonly metadata: WireMeta;
  readonly value: number;
  readonly globalDefault?: boolean;
  readonly preemptionPolicy?: string;
}

/** One line of a watch stream, before its object is decoded. */
export interface WireWatchEvent {
  readonly type: string;
  readonly object: Readonly<Record<string, unknown>>;
}

/**
 * The object of a BOOKMARK event: its resourceVersion, and the annotation that ends a
 * streaming list's initial events.
 */
export interface WireBookmark {
  readonly metadata: { readonly resourceVersion: string; readonly annotations?: Readonly<Record<string, string>> };
}

/** A metav1.Status, as sent in ERROR events and error responses. */
export interface WireStatus {
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

const str: SchemaObject = { type: 'string' };

/** The admission schema's metadata, with the name an existing object always has. */
const metadata: SchemaObject = {
  ...metadataSchema,
  required: ['name'],
  properties: { ...metadataSchema.properties, name: { type: 'string', minLength: 1 }, resourceVersion: str },
};

/** The Pod of the admission schema (src/admission/schema.ts), named and with an optional kind. */
const podSchema: SchemaObject = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: { kind: str, metadata, spec: podSpecSchema, status: podStatusSchema },
};

const labeledSchema: SchemaObject = {
  type: 'object',
  required: ['metadata'],
  properties: { kind: str, metadata },
};

const statusDetailSchema: SchemaObject = {
  type: 'object',
  properties: {
    status: {
      type: 'object',
      properties: {
        reason: str,
        message: str,
        conditions: {
          type: 'array',
          items: { type: 'object', required: ['type', 'status'], properties: { type: str, status: str, reason: str, message: str } },
        },
      },
    },
  },
};

const taint: SchemaObject = {
  type: 'object',
  required: ['key', 'effect'],
  properties: { key: str, value: str, effect: str },
};

const nodeSchema: SchemaObject = {
  type: 'object',
  required: ['metadata'],
  properties: {
    kind: str,
    metadata,
    spec: { type: 'object', properties: { taints: { type: 'array', items: taint }, unschedulable: { type: 'boolean' } } },
  },
};

const priorityClassSchema: SchemaObject = {
  type: 'object',
  required: ['metadata', 'value'],
  properties: { kind: str, metadata, value: { type: 'integer' }, globalDefault: { type: 'boolean' }, preemptionPolicy: str },
};

const watchEventSchema: SchemaObject = {
  type: 'object',
  required: ['type', 'object'],
  properties: { type: str, object: { type: 'object' } },
};

const bookmarkSchema: SchemaObject = {
  type: 'object',
  required: ['metadata'],
  properties: {
    metadata: { type: 'object', required: ['resourceVersion'], properties: { resourceVersion: str, annotations: { type: 'object', additionalProperties: str } } },
  },
};

const statusSchema: SchemaObject = {
  type: 'object',
  properties: { code: { type: 'integer' }, reason: str, message: str },
};

const ajv = new Ajv({ allErrors: true });

/** Type guard for a Pod. */
export const isWirePod: ValidateFunction<WirePod> = ajv.compile<WirePod>(podSchema);
/** Type guard for a Namespace. */
export const isWireLabeled: ValidateFunction<WireLabeled> = ajv.compile<WireLabeled>(labeledSchema);
/** Type guard for the status details of a Pod (the scan reads them; nothing else does). */
export const isWireStatusDetail: ValidateFunction<WireStatusDetail> = ajv.compile<WireStatusDetail>(statusDetailSchema);
/** Type guard for a Node. */
export const isWireNode: ValidateFunction<WireNode> = ajv.compile<WireNode>(nodeSchema);
/** Type guard for a PriorityClass. */
export const isWirePriorityClass: ValidateFunction<WirePriorityClass> = ajv.compile<WirePriorityClass>(priorityClassSchema);
/** Type guard for a watch stream line. */
export const isWireWatchEvent: ValidateFunction<WireWatchEvent> = ajv.compile<WireWatchEvent>(watchEventSchema);
/** Type guard for a BOOKMARK event's object. */
export const isWireBookmark: ValidateFunction<WireBookmark> = ajv.compile<WireBookmark>(bookmarkSchema);
/** Type guard for a metav1.Status. */
export const isWireStatus: ValidateFunction<WireStatus> = ajv.compile<WireStatus>(statusSchema);
