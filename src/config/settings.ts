/**
 * The settings that can come from the environment or from flags, and the defaults. One
 * table drives parsing, provenance and the "how to set it" hints, so a new setting is
 * one row.
 */

import { MODES, UNDECLARED_PORTS } from '../admission/decide.js';
import { NO_RESERVED_PORTS, RESERVED_PORT_FORMAT, reservedPortText, reservedPortValues } from './reserved-ports.js';
import { LOG_LEVELS } from './schema.js';

/** How a raw string from the environment or a flag is turned into a value. */
export type SettingType = 'string' | 'integer' | 'boolean' | 'list' | 'reserved-ports';

/** A setting's flag on `serve`. */
export interface Flag {
  /** As typed, e.g. `--health-port`. */
  readonly name: string;
  /** As commander names its value, e.g. `healthPort`. */
  readonly key: string;
  /** The value's placeholder in the help, e.g. `<port>`. */
  readonly arg: string;
  readonly help: string;
}

/** One setting reachable from outside the file. */
export interface Setting {
  /** Where it sits in the configuration, e.g. `['listen', 'port']`. */
  readonly path: readonly string[];
  /** The environment variable, e.g. `HOSTPORT_GUARD_PORT`. */
  readonly env: string;
  /** The flag, when there is one; commander then reads the variable too (options.ts). */
  readonly flag?: Flag;
  readonly type: SettingType;
}

/** Every environment variable and flag starts with this. */
export const ENV_PREFIX = 'HOSTPORT_GUARD_';

/** The variable naming the configuration file (like `--config`). */
export const CONFIG_FILE_ENV = `${ENV_PREFIX}CONFIG`;

/**
 * Values used where no source sets one, and the only place they are written: the server
 * and cluster code take every one of them as a required option. TLS files have no
 * default: serving needs them.
 */
export const DEFAULTS = {
  mode: 'enforce',
  exemptNamespaces: ['kube-system'],
  // The kubelet on every node: its API on all addresses, its healthz on loopback.
  reservedPorts: [
    { owner: 'kubelet', protocol: 'TCP', port: 10250 },
    { owner: 'kubelet', protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 },
  ],
  undeclaredPorts: 'warn',
  listen: { host: '0.0.0.0', port: 8443 },
  health: { host: '0.0.0.0', port: 8080 },
  // controller-runtime's certwatcher polls every 10 s too: Secret volumes swap files without notice.
  tls: { reloadIntervalSeconds: 10 },
  // The API server answers a create within its request timeout and the watch normally
  // shows the pod well under a second later: 30 s covers a slow watch without blocking
  // a port for long when the create failed after admission.
  reservationTtlSeconds: 30,
  // Cross-replica reservations (Leases in `namespace`) are off until a namespace is given:
  // the chart gives its own. A Lease call takes milliseconds on a healthy API server; 1 s
  // bounds a sick one at half of a 2 s webhook timeout (the chart checks the half, its
  // default timeout is 5 s). A reservation that cannot be taken denies the pod: a
  // controller retries, a person tries again.
  reservations: { timeoutMilliseconds: 1000, onApiError: 'deny' },
  // Only a connection whose end never arrives (half-open after a network change, a stuck
  // proxy) stays silent this long: the server ends every watch within 270 s, and a fresh
  // watch starts a fresh count. Bookmarks cannot keep a quiet watch busy: the watch cache
  // sends one only once its own resourceVersion has passed the watcher's, which for a
  // quiet resource can take until etcd's next progress notification (10 minutes).
  watch: { staleAfterSeconds: 300 },
  logLevel: 'info',
  // 4 MiB: above the 3 MiB an AdmissionReview can reach (an UPDATE carries the object
  // twice), with room for the envelope.
  maxBodyBytes: 4 * 1024 * 1024,
  // Off unless asked for: writing Events needs RBAC the server does not have by default
  // and a namespace for the Lease that elects the one replica that writes (the chart
  // turns them on and sets both).
  conflictEvents: { enabled: false, leaseName: 'hostport-guard' },
} as const;

function setting(path: readonly string[], env: string, type: SettingType, flag?: { readonly name: string; readonly arg: string; readonly help: string }): Setting {
  const row = { path, env: ENV_PREFIX + env, type };
  if (flag === undefined) return row;
  const key = flag.name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  return { ...row, flag: { name: `--${flag.name}`, key, arg: flag.arg, help: flag.help } };
}

/** The settings with their variables and flags. */
export const SETTINGS: readonly Setting[] = [
  setting(['mode'], 'MODE', 'string', { name: 'mode', arg: '<mode>', help: `answer to conflicts: ${MODES.join(', ')} (default: ${DEFAULTS.mode})` }),
  setting(['exemptNamespaces'], 'EXEMPT_NAMESPACES', 'list', {
    name: 'exempt-namespace',
    arg: '<ns>',
    help: `namespace never decided, repeatable; the variable takes a comma-separated list (default: ${DEFAULTS.exemptNamespaces.join(', ')})`,
  }),
  setting(['reservedPorts'], 'RESERVED_PORTS', 'reserved-ports', {
    name: 'reserved-port',
    arg: '<port>',
    help:
      `a node daemon's port on every node, ${RESERVED_PORT_FORMAT}, repeatable; replaces the defaults, \`${NO_RESERVED_PORTS}\` for none; ` +
      `the variable takes a comma-separated list (default: ${DEFAULTS.reservedPorts.map(reservedPortText).join(' ')})`,
  }),
  setting(['undeclaredPorts'], 'UNDECLARED_PORTS', 'string', {
    name: 'undeclared-ports',
    arg: '<what>',
    help: `${UNDECLARED_PORTS.join(' or ')} hostNetwork pods that declare no ports (default: ${DEFAULTS.undeclaredPorts})`,
  }),
  setting(['listen', 'host'], 'HOST', 'string'),
  setting(['listen', 'port'], 'PORT', 'integer', { name: 'port', arg: '<port>', help: `HTTPS port of the webhook (default: ${DEFAULTS.listen.port})` }),
  setting(['health', 'host'], 'HEALTH_HOST', 'string'),
  setting(['health', 'port'], 'HEALTH_PORT', 'integer', { name: 'health-port', arg: '<port>', help: `HTTP port of the health endpoints (default: ${DEFAULTS.health.port})` }),
  setting(['tls', 'certFile'], 'TLS_CERT_FILE', 'string', { name: 'tls-cert', arg: '<file>', help: 'TLS certificate file (required)' }),
  setting(['tls', 'keyFile'], 'TLS_KEY_FILE', 'string', { name: 'tls-key', arg: '<file>', help: 'TLS private key file (required)' }),
  setting(['tls', 'reloadIntervalSeconds'], 'TLS_RELOAD_INTERVAL_SECONDS', 'integer'),
  setting(['kubeconfig'], 'KUBECONFIG', 'string', {
    name: 'kubeconfig',
    arg: '<path>',
    help: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else the in-cluster account)',
  }),
  setting(['clusterState'], 'CLUSTER_STATE', 'string', {
    name: 'cluster-state',
    arg: '<file>',
    help: 'serve from this static snapshot (kubectl get pods,nodes,namespaces,priorityclasses -A -o yaml) instead of watching',
  }),
  setting(['reservationTtlSeconds'], 'RESERVATION_TTL_SECONDS', 'integer'),
  setting(['reservations', 'namespace'], 'RESERVATIONS_NAMESPACE', 'string', {
    name: 'reservations-namespace',
    arg: '<ns>',
    help: 'hold reservations cluster-wide as Leases in this namespace, so every replica sees them (default: none, each replica holds its own)',
  }),
  setting(['reservations', 'timeoutMilliseconds'], 'RESERVATIONS_TIMEOUT_MILLISECONDS', 'integer'),
  setting(['reservations', 'onApiError'], 'RESERVATIONS_ON_API_ERROR', 'string'),
  setting(['watch', 'staleAfterSeconds'], 'WATCH_STALE_AFTER_SECONDS', 'integer'),
  setting(['logLevel'], 'LOG_LEVEL', 'string', { name: 'log-level', arg: '<level>', help: `${LOG_LEVELS.join(', ')} (default: ${DEFAULTS.logLevel})` }),
  setting(['maxBodyBytes'], 'MAX_BODY_BYTES', 'integer'),
  setting(['conflictEvents', 'enabled'], 'CONFLICT_EVENTS', 'boolean'),
  setting(['conflictEvents', 'leaseNamespace'], 'CONFLICT_EVENTS_LEASE_NAMESPACE', 'string'),
  setting(['conflictEvents', 'leaseName'], 'CONFLICT_EVENTS_LEASE_NAME', 'string'),
];

const INTEGER = /^[+-]?[0-9]+$/;
const BOOLEAN: Readonly<Record<string, boolean>> = { true: true, false: false };

/** Whether a setting's flag can be given more than once, each time adding an entry. */
export function isRepeatable(type: SettingType): boolean {
  return type === 'list' || type === 'reserved-ports';
}

/** The entries of a comma-separated list; an empty string is an empty list. */
export function listEntries(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * The value of a raw string for a setting. A string that is not an integer (or `true` or
 * `false`, for a boolean) is kept as it is, so the schema reports it with its source
 * instead of a parse error hiding the rest.
 * Lists from the environment are comma-separated; an empty variable is an empty list.
 * Reserved ports are `OWNER=[HOSTIP:]PORT/PROTOCOL` each, or `none`.
 */
export function settingValue(type: SettingType, raw: string): unknown {
  switch (type) {
    case 'string':
      return raw;
    case 'integer':
      return INTEGER.test(raw.trim()) ? Number(raw.trim()) : raw;
    case 'boolean':
      return BOOLEAN[raw.trim().toLowerCase()] ?? raw;
    case 'list':
      return listEntries(raw);
    case 'reserved-ports':
      return reservedPortValues(listEntries(raw));
  }
}

/** The value of a repeatable setting from its entries (one per flag, or from a comma-separated variable). */
export function repeatedValue(type: SettingType, entries: readonly string[]): unknown {
  return type === 'reserved-ports' ? reservedPortValues(entries) : [...entries];
}

/** How to give a setting: `the config file, HOSTPORT_GUARD_TLS_KEY_FILE or --tls-key`. */
export function howToSet(path: readonly string[]): string {
  const row = SETTINGS.find((s) => s.path.join('.') === path.join('.'));
  if (row === undefined) return 'set it in the config file';
  const ways = ['the config file', row.env];
  if (row.flag !== undefined) ways.push(row.flag.name);
  return `set it in ${ways.slice(0, -1).join(', ')} or ${ways.at(-1) ?? ''}`;
}
