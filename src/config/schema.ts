import { Ajv } from 'ajv';
import type { Mode, UndeclaredPorts } from '../admission/decide.js';
import { MODES, UNDECLARED_PORTS } from '../admission/decide.js';
import type { OnApiError } from '../admission/hold.js';
import { ON_API_ERROR } from '../admission/hold.js';
import type { ReservedPort } from '../engine/types.js';
import { PROTOCOLS } from './reserved-ports.js';

/** pino's level names; `silent` turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The smallest accepted request body limit: an AdmissionReview for an UPDATE carries the
 * old and the new object and can reach 3 MiB (the API server's request size limit).
 */
export const MIN_BODY_BYTES = 3 * 1024 * 1024;

/**
 * The shortest accepted watchdog period (`watch.staleAfterSeconds`). The server ends each
 * watch after at most 270 s (src/cluster/informer.ts, DEFAULT_WATCH_TIMEOUT_SECONDS), and
 * a quiet resource sends nothing, not even a bookmark, until then: a shorter period
 * declares every quiet watch stale and re-lists the whole resource (every pod of the
 * cluster) each time it runs out. 30 s above the longest watch leave room for a slow
 * connection. charts/hostport-guard/values.schema.json holds the same minimum.
 */
export const MIN_WATCH_STALE_SECONDS = 300;

/**
 * Bounds of `reservations.timeoutMilliseconds`. The API server gives the webhook at most
 * 30 s (`timeoutSeconds`), and the answer must leave in time; below 100 ms a healthy API
 * server under load would miss it.
 */
export const MIN_RESERVATION_TIMEOUT_MS = 100;
export const MAX_RESERVATION_TIMEOUT_MS = 15_000;

/** An address to listen on. */
export interface ListenAddress {
  readonly host: string;
  /** 0 lets the system pick a free port (useful in tests). */
  readonly port: number;
}

/** The server configuration after defaults, file, environment and flags are merged. */
export interface Config {
  /** How conflicts are answered where no namespace label overrides it. */
  readonly mode: Mode;
  /** Namespaces never decided. */
  readonly exemptNamespaces: readonly string[];
  /** Ports node daemons hold on every node outside any pod; a pod taking one is denied wherever it lands. */
  readonly reservedPorts: readonly ReservedPort[];
  /** Whether hostNetwork pods and templates that declare no ports are warned about. */
  readonly undeclaredPorts: UndeclaredPorts;
  /** The webhook's HTTPS address. */
  readonly listen: ListenAddress;
  /** The plain-HTTP address for probes and metrics. */
  readonly health: ListenAddress;
  readonly tls: {
    readonly certFile: string;
    readonly keyFile: string;
    /** How often the files are polled: Secret volumes swap them without notice. */
    readonly reloadIntervalSeconds: number;
  };
  /** A kubeconfig path; without it $KUBECONFIG, ~/.kube/config, then the in-cluster account. */
  readonly kubeconfig?: string;
  /** Serve from this static snapshot (`kubectl get pods,nodes,namespaces,priorityclasses -A -o yaml`) instead of a watch. */
  readonly clusterState?: string;
  /** How long an admitted pod's ports stay reserved while the watch has not shown it yet. */
  readonly reservationTtlSeconds: number;
  /** Reservations every replica sees: Leases in a namespace, taken before a pod is let in. */
  readonly reservations: {
    /** Where the Leases live (the release namespace); without it each replica reserves for itself. */
    readonly namespace?: string;
    /** The most the API calls of one reservation may take; must fit inside the webhook's timeoutSeconds. */
    readonly timeoutMilliseconds: number;
    /** What a pinned pod gets when the API server cannot take its reservation in time. */
    readonly onApiError: OnApiError;
  };
  readonly watch: {
    /**
     * Re-list a resource when its watch has sent nothing (no event, no bookmark) for this
     * long: a connection that went half-open never ends by itself. At least
     * MIN_WATCH_STALE_SECONDS, so a watch the server still holds open is never cut.
     */
    readonly staleAfterSeconds: number;
  };
  readonly logLevel: LogLevel;
  /** Request bodies larger than this are refused with 413. */
  readonly maxBodyBytes: number;
  /**
   * Kubernetes Events (reason HostPortConflict) on the pods of every conflict that exists,
   * written by the one replica that holds the Lease `leaseNamespace/leaseName`.
   */
  readonly conflictEvents: {
    readonly enabled: boolean;
    /** Required when enabled and the cluster is watched (not a --cluster-state file). */
    readonly leaseNamespace?: string;
    readonly leaseName: string;
  };
}

const name = { type: 'string', minLength: 1 } as const;
// The API server's rules for a namespace and an object name (RFC 1123 label and subdomain).
const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' } as const;
const dnsSubdomain = { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' } as const;
const port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const seconds = { type: 'integer', minimum: 1 } as const;
const reservedPort = {
  type: 'object',
  additionalProperties: false,
  required: ['owner', 'protocol', 'port'],
  properties: {
    owner: name,
    protocol: { type: 'string', enum: PROTOCOLS },
    // Checked to be an IP address after the schema (resolve.ts crossChecks).
    hostIP: name,
    port: { type: 'integer', minimum: 1, maximum: 65535 },
  },
} as const;
const address = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'port'],
  properties: { host: name, port },
} as const;

/** The JSON schema of Config; keys are camelCase as in the file, unknown keys are errors. */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['mode', 'exemptNamespaces', 'reservedPorts', 'undeclaredPorts', 'listen', 'health', 'tls', 'reservationTtlSeconds', 'watch', 'logLevel', 'maxBodyBytes', 'conflictEvents', 'reservations'],
  properties: {
    mode: { type: 'string', enum: MODES },
    exemptNamespaces: { type: 'array', items: name, uniqueItems: true },
    reservedPorts: { type: 'array', items: reservedPort },
    undeclaredPorts: { type: 'string', enum: UNDECLARED_PORTS },
    listen: address,
    health: address,
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['certFile', 'keyFile', 'reloadIntervalSeconds'],
      properties: { certFile: name, keyFile: name, reloadIntervalSeconds: seconds },
    },
    kubeconfig: name,
    clusterState: name,
    reservationTtlSeconds: seconds,
    reservations: {
      type: 'object',
      additionalProperties: false,
      required: ['timeoutMilliseconds', 'onApiError'],
      properties: {
        // A namespace name: a DNS label (RFC 1123).
        namespace: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
        timeoutMilliseconds: { type: 'integer', minimum: MIN_RESERVATION_TIMEOUT_MS, maximum: MAX_RESERVATION_TIMEOUT_MS },
        onApiError: { type: 'string', enum: ON_API_ERROR },
      },
    },
    watch: {
      type: 'object',
      additionalProperties: false,
      required: ['staleAfterSeconds'],
      properties: { staleAfterSeconds: { type: 'integer', minimum: MIN_WATCH_STALE_SECONDS } },
    },
    logLevel: { type: 'string', enum: LOG_LEVELS },
    maxBodyBytes: { type: 'integer', minimum: MIN_BODY_BYTES },
    conflictEvents: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled', 'leaseName'],
      properties: { enabled: { type: 'boolean' }, leaseNamespace: dnsLabel, leaseName: dnsSubdomain },
    },
  },
} as const;

/** Checks a merged configuration, collecting every error (allErrors). */
export const validateConfig = new Ajv({ allErrors: true, strict: true }).compile<Config>(CONFIG_SCHEMA);
