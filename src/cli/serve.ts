/**
 * The composition root of `hostport-guard serve`: it builds every collaborator once and
 * hands them to each other. Nothing else in the program constructs its own.
 */
import { performance } from 'node:perf_hooks';

import { pino } from 'pino';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';

import type { NamespaceModes, Policy } from '../admission/policy.js';
import { responderFor } from '../admission/respond.js';
import type { EventsApi } from '../cluster/live-cluster.js';
import type { ClusterReservations, ReservationEvents } from '../cluster/cluster-reservations.js';
import type { InformerEvents } from '../cluster/informer-events.js';
import type { PodIndex } from '../cluster/pod-index.js';
import type { ReservingView } from '../cluster/reservations.js';
import { reservingView } from '../cluster/reservations.js';
import type { Config } from '../config/schema.js';
import { discardBytes, readFileBytes } from '../config/files.js';
import { createAdmissionApp } from '../server/admission-app.js';
import type { AdmissionServer } from '../server/admission-server.js';
import { startAdmissionServer } from '../server/admission-server.js';
import { createHealthApp, startHealthServer } from '../server/health.js';
import type { RunningServer } from '../server/lifecycle.js';
import { ListenError } from '../server/lifecycle.js';
import { createMetrics } from '../server/metrics.js';
import type { StateMetrics } from '../server/state-metrics.js';
import { createStateMetrics } from '../server/state-metrics.js';
import { EXIT_FAILURE, InputError } from './exit.js';
import { serveAudit } from './serve-audit.js';
import { indexFromText, MAX_STATE_BYTES, readStateError } from './state-file.js';

/**
 * How often expired reservations are dropped (lookups skip them anyway), and how often
 * reservation Leases are swept: one small list per replica, and a Lease outlives the
 * end of its reservation by at most this long plus SEEN_GRACE_MS.
 */
const SWEEP_INTERVAL_MS = 5_000;

/**
 * Time in-flight reviews get to finish after SIGTERM: the API server's default webhook
 * timeout (the chart's is 5 s), after which it has stopped waiting for the answer anyway.
 * The chart's terminationGracePeriodSeconds covers its preStop sleep plus this.
 */
export const DRAIN_MS = 10_000;

/** How long the other listener may take to close when start-up failed halfway. */
const ABORT_MS = 1_000;

/** Where decisions read the cluster: a live watch, or a snapshot file. */
interface ClusterSide {
  readonly index: PodIndex & NamespaceModes;
  readonly view: ReservingView;
  /** Reservations every replica sees, when `reservations.namespace` is set. */
  readonly reservations?: ClusterReservations;
  readonly synced: () => boolean;
  /** The live cluster's Lease and Events; absent for a snapshot. */
  readonly eventsApi?: EventsApi;
  start(): void;
  stop(): Promise<void>;
}

/** Counts what the informer reports; the informer logs each restart itself, once, at its level. */
function informerEvents(restarted: (resource: string, reason: string) => void, logger: Logger): InformerEvents {
  return {
    onRestart: (resource, reason) => {
      restarted(resource, reason);
    },
    onListed: (resource, items) => {
      logger.debug({ resource, items }, 'listed');
    },
    onRejected: (resource, count) => {
      logger.warn({ resource, count }, 'objects from the API server did not decode and were not indexed');
    },
  };
}

function snapshotSide(config: Config & { clusterState: string }, logger: Logger): ClusterSide {
  let bytes: Buffer<ArrayBuffer>;
  try {
    bytes = readFileBytes(config.clusterState, MAX_STATE_BYTES);
  } catch (error) {
    throw new InputError(readStateError(config.clusterState, error));
  }
  // The file's bytes are read item by item, and given back once indexed: a 14 MB state
  // would otherwise stay resident until the idle server's next full collection.
  let result: ReturnType<typeof indexFromText>;
  try {
    result = indexFromText(bytes, config.clusterState);
  } finally {
    discardBytes(bytes);
  }
  if (!result.ok) throw new InputError(`cluster state ${config.clusterState}:\n  ${result.errors.join('\n  ')}`);
  const index = result.index;
  const view = reservingView(index, { now: () => performance.now(), ttlMs: config.reservationTtlSeconds * 1000 });
  logger.info({ file: config.clusterState, ...index.size() }, 'serving from a static cluster state');
  return { index, view, synced: () => true, start: () => undefined, stop: () => Promise.resolve() };
}

/**
 * The side that watches the cluster. Its modules, and client-node with them (about 85 MiB
 * of resident memory once loaded), are loaded only here: a server on a static cluster
 * state never talks to an API server.
 */
async function liveSide(config: Config, events: InformerEvents, reservationEvents: ReservationEvents, logger: Logger): Promise<ClusterSide> {
  const { loadKubeConfig } = await import('../cluster/kube-config.js');
  const { eventsApiOf, liveCluster } = await import('../cluster/live-cluster.js');
  const kubeConfig = loadKubeConfig(config.kubeconfig === undefined ? {} : { path: config.kubeconfig });
  const { namespace, timeoutMilliseconds } = config.reservations;
  const cluster = liveCluster(
    kubeConfig,
    { logger, events },
    {
      reservationTtlMs: config.reservationTtlSeconds * 1000,
      watchdogMs: config.watch.staleAfterSeconds * 1000,
      ...(namespace === undefined ? {} : { clusterReservations: { namespace, timeoutMs: timeoutMilliseconds, events: reservationEvents } }),
    },
  );
  const reservations = cluster.reservations;
  return {
    index: cluster.index,
    view: cluster.view,
    ...(reservations === undefined ? {} : { reservations }),
    synced: () => cluster.informer.isSynced(),
    eventsApi: eventsApiOf(kubeConfig),
    start: () => {
      cluster.informer.start();
    },
    stop: async () => {
      reservations?.stop();
      await cluster.informer.stop();
    },
  };
}

/**
 * Resolves with the first SIGTERM or SIGINT. A second one ends the process at once, for
 * an operator who does not want to wait for the drain.
 */
function stopSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      received += 1;
      if (received === 1) {
        resolve(signal);
        return;
      }
      logger.warn({ signal }, 'second signal: stopping without waiting for reviews in flight');
      process.exit(EXIT_FAILURE);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Why serving ended: a signal, or a listener that failed. */
type StopCause = { readonly kind: 'signal'; readonly signal: NodeJS.Signals } | { readonly kind: 'failed'; readonly error: ListenError };

/**
 * Runs the webhook with `config` until SIGTERM or SIGINT, then drains and resolves; throws
 * when a listener cannot start or fails later (a ListenError naming the port and the
 * reason), after stopping whatever did start.
 *
 * Shutdown: readiness turns false at once (`shutting-down`), the webhook stops accepting,
 * requests already received are answered with `Connection: close`, idle and half-open
 * connections are closed, in-flight reviews get DRAIN_MS to finish, then the health
 * server and the cluster watch stop.
 */
export async function runServe(config: Config): Promise<void> {
  const logger = pino({ level: config.logLevel, base: { app: 'hostport-guard' } });
  // The stack of an error nothing caught goes to the log; main() then prints one line and exits 2.
  const lastWords = (error: unknown): void => {
    logger.fatal({ err: error }, 'unexpected error: stopping');
  };
  process.prependListener('uncaughtException', lastWords);
  process.prependListener('unhandledRejection', lastWords);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // The informer reports restarts only after start(), by which time `metrics` exists.
  const events = informerEvents((resource, reason) => {
    metrics.watchRestarted(resource, reason);
  }, logger);
  const reservationEvents: ReservationEvents = {
    onEnded: (reason, count) => {
      metrics.reservationsEnded(reason, count);
    },
    onSwept: (leases) => {
      metrics.reservationLeases(leases);
    },
    onRequest: (verb) => {
      metrics.leaseRequest(verb);
    },
  };
  const cluster =
    config.clusterState === undefined
      ? await liveSide(config, events, reservationEvents, logger)
      : snapshotSide({ ...config, clusterState: config.clusterState }, logger);
  const metrics = createMetrics(registry, {
    pods: () => cluster.index.size().pods,
    nodes: () => cluster.index.size().nodes,
  });
  // The background audit: conflicts that exist, and (when enabled) their Events.
  const audit = serveAudit(config, {
    index: cluster.index,
    logger,
    ...(cluster.eventsApi === undefined ? {} : { eventsApi: cluster.eventsApi }),
    counted: (result) => {
      stateMetrics.conflictEvent(result);
    },
  });
  let certificateNotAfter: () => number | undefined = () => undefined;
  const stateMetrics: StateMetrics = createStateMetrics(registry, {
    conflicts: () => audit.counts(),
    synced: cluster.synced,
    certificateNotAfter: () => certificateNotAfter(),
    leader: () => audit.leader(),
  });

  const reservations = cluster.reservations;
  const policy: Policy = {
    defaultMode: config.mode,
    exemptNamespaces: new Set(config.exemptNamespaces),
    reservedPorts: config.reservedPorts,
    undeclaredPorts: config.undeclaredPorts,
  };
  const app = createAdmissionApp({
    respond: responderFor(policy, cluster.index, cluster.view),
    logger,
    metrics,
    onAdmit: (occupant) => {
      cluster.view.reserve(occupant);
    },
    ...(reservations === undefined
      ? {}
      : {
          cluster: {
            hold: (occupant) => reservations.hold(occupant),
            check: (occupant) => reservations.check(occupant),
            release: (occupant) => {
              reservations.release(occupant);
            },
            onApiError: config.reservations.onApiError,
            observe: metrics.observeReservation,
          },
        }),
    now: () => performance.now(),
    bodyLimitBytes: config.maxBodyBytes,
  });

  const signalled = stopSignal(logger);
  let shuttingDown = false;
  audit.start();
  cluster.start();
  let admission: AdmissionServer | undefined;
  let health: RunningServer | undefined;
  try {
    admission = await startAdmissionServer({
      app,
      host: config.listen.host,
      port: config.listen.port,
      certFile: config.tls.certFile,
      keyFile: config.tls.keyFile,
      logger,
      reloadIntervalMs: config.tls.reloadIntervalSeconds * 1000,
    });
    const serving = admission;
    certificateNotAfter = () => {
      const validTo = serving.certificate()?.validTo;
      const at = validTo === undefined ? Number.NaN : Date.parse(validTo);
      return Number.isNaN(at) ? undefined : at / 1000;
    };
    health = await startHealthServer({
      app: createHealthApp({
        registry,
        checks: [
          { name: 'index-synced', ready: cluster.synced },
          { name: 'certificate-loaded', ready: admission.certificateLoaded },
          { name: 'shutting-down', ready: () => !shuttingDown },
        ],
      }),
      host: config.health.host,
      port: config.health.port,
    });
  } catch (error) {
    logger.error({ err: error, code: error instanceof ListenError ? error.code : undefined }, 'start-up failed');
    await Promise.all([admission?.stop(ABORT_MS), cluster.stop(), audit.stop()]);
    throw error;
  }
  logger.info(
    {
      mode: config.mode,
      port: admission.port,
      healthPort: health.port,
      reservations: config.reservations.namespace === undefined ? 'this replica only' : `Leases in namespace ${config.reservations.namespace}`,
    },
    'hostport-guard serving',
  );
  const sweep = (): void => {
    cluster.view.sweep();
    void reservations?.sweep();
  };
  sweep();
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweeper.unref();

  const cause = await Promise.race<StopCause>([
    signalled.then((signal) => ({ kind: 'signal', signal })),
    admission.failed.then((error) => ({ kind: 'failed', error })),
    health.failed.then((error) => ({ kind: 'failed', error })),
  ]);
  // Readiness goes first, so nothing new is routed here while the rest stops.
  shuttingDown = true;
  if (cause.kind === 'signal') logger.info({ signal: cause.signal, graceMs: DRAIN_MS }, 'stopping: draining in-flight reviews');
  else logger.error({ err: cause.error, code: cause.error.code }, 'a listener failed: stopping');
  clearInterval(sweeper);
  const drained = await admission.stop(DRAIN_MS);
  await Promise.all([health.stop(ABORT_MS), cluster.stop(), audit.stop()]);
  logger.info({ cutConnections: drained.cutConnections }, 'stopped');
  if (cause.kind === 'failed') throw cause.error;
}
