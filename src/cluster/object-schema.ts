/**
 * JSON schemas for the few fields hostport-guard reads from Pods, Nodes and Namespaces
 * as the API server (or `kubectl get -o yaml`) spells them, compiled once with ajv into
 * type guards. Watch events, list items and cluster-state files are untrusted: they are
 * decoded here, never cast. Unknown fields are allowed, so newer API versions pass.
 */
import type { ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';

/** Metadata fields read from any object. */
export interface WireMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly {
    readonly kind: string;
    readonly name: string;
    readonly uid: string;
    readonly controller?: boolean;
  }[];
}

/** A `container.ports` entry. */
export interface WirePort {
  readonly containerPort: number;
  readonly hostPort?: number;
  readonly protocol?: string;
  readonly hostIP?: string;
}

/** The parts of a container that hold host ports. */
export interface WireContainer {
  readonly name: string;
  readonly ports?: readonly WirePort[];
  readonly restartPolicy?: string;
}

/** A Pod, as far as the index reads it. */
export interface WirePod {
  readonly kind?: string;
  readonly metadata: WireMeta;
  readonly spec: {
    readonly nodeName?: string;
    readonly hostNetwork?: boolean;
    readonly containers: readonly WireContainer[];
    readonly initContainers?: readonly WireContainer[];
  };
  readonly status?: { readonly phase?: string };
}

/** A Node or Namespace (or their PartialObjectMetadata): only metadata is read. */
export interface WireLabeled {
  readonly kind?: string;
  readonly metadata: WireMeta;
}

/** One line of a watch stream, before its object is decoded. */
export interface WireWatchEvent {
  readonly type: string;
  readonly object: Readonly<Record<string, unknown>>;
}

/** The object of a BOOKMARK event: only its resourceVersion matters. */
export interface WireBookmark {
  readonly metadata: { readonly resourceVersion: string };
}

/** A metav1.Status, as sent in ERROR events and error responses. */
export interface WireStatus {
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

const str: SchemaObject = { type: 'string' };
const labels: SchemaObject = { type: 'object', additionalProperties: { type: 'string' } };

const metadata: SchemaObject = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    namespace: str,
    uid: str,
    resourceVersion: str,
    deletionTimestamp: str,
    labels,
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'name', 'uid'],
        properties: { kind: str, name: str, uid: str, controller: { type: 'boolean' } },
      },
    },
  },
};

const container: SchemaObject = {
  type: 'object',
  required: ['name'],
  properties: {
    name: str,
    restartPolicy: str,
    ports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['containerPort'],
        properties: {
          containerPort: { type: 'integer' },
          hostPort: { type: 'integer' },
          protocol: str,
          hostIP: str,
        },
      },
    },
  },
};

const podSchema: SchemaObject = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: {
    kind: str,
    metadata,
    spec: {
      type: 'object',
      required: ['containers'],
      properties: {
        nodeName: str,
        hostNetwork: { type: 'boolean' },
        containers: { type: 'array', items: container },
        initContainers: { type: 'array', items: container },
      },
    },
    status: { type: 'object', properties: { phase: str } },
  },
};

const labeledSchema: SchemaObject = {
  type: 'object',
  required: ['metadata'],
  properties: { kind: str, metadata },
};

const watchEventSchema: SchemaObject = {
  type: 'object',
  required: ['type', 'object'],
  properties: { type: str, object: { type: 'object' } },
};

const bookmarkSchema: SchemaObject = {
  type: 'object',
  required: ['metadata'],
  properties: { metadata: { type: 'object', required: ['resourceVersion'], properties: { resourceVersion: str } } },
};

const statusSchema: SchemaObject = {
  type: 'object',
  properties: { code: { type: 'integer' }, reason: str, message: str },
};

const ajv = new Ajv({ allErrors: true });

/** Type guard for a Pod. */
export const isWirePod: ValidateFunction<WirePod> = ajv.compile<WirePod>(podSchema);
/** Type guard for a Node or Namespace. */
export const isWireLabeled: ValidateFunction<WireLabeled> = ajv.compile<WireLabeled>(labeledSchema);
/** Type guard for a watch stream line. */
export const isWireWatchEvent: ValidateFunction<WireWatchEvent> = ajv.compile<WireWatchEvent>(watchEventSchema);
/** Type guard for a BOOKMARK event's object. */
export const isWireBookmark: ValidateFunction<WireBookmark> = ajv.compile<WireBookmark>(bookmarkSchema);
/** Type guard for a metav1.Status. */
export const isWireStatus: ValidateFunction<WireStatus> = ajv.compile<WireStatus>(statusSchema);

/** A JSON pointer (`/spec/containers/0/name`) as a path a user reads (`spec.containers[0].name`). */
function readablePath(pointer: string): string {
  if (pointer === '') return 'object';
  return pointer
    .slice(1)
    .split('/')
    .map((segment, i) => {
      if (/^\d+$/.test(segment)) return `[${segment}]`;
      // RFC 6901: `~1` is `/` and `~0` is `~` (label keys like hostport-guard.io/mode).
      const key = segment.replaceAll('~1', '/').replaceAll('~0', '~');
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

/** Ajv's errors as short sentences: `spec.containers[0].ports[1].hostPort must be integer`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${readablePath(e.instancePath)} ${e.message ?? 'is invalid'}`);
}
