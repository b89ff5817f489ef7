/**
 * The background audit of `serve`, wired: the conflicts that exist, kept from the index
 * on every change; and, when conflictEvents.enabled, the Lease election and the Events
 * the leader writes about them. Part of the composition root (serve.ts).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

import type { Logger } from 'pino';

import type { AuditedIndex, ConflictCounts } from '../cluster/conflict-audit.js';
import { ConflictAudit } from '../cluster/conflict-audit.js';
import type { EventResult } from '../cluster/conflict-events.js';
import { ConflictEvents } from '../cluster/conflict-events.js';
import type { EventsApi } from '../cluster/live-cluster.js';
import { LeaderElector } from '../cluster/leader-election.js';
import { systemTimers } from '../cluster/timers.js';
import type { Config } from '../config/schema.js';

/** The audit as serve uses it. */
export interface ServeAudit {
  readonly counts: () => ConflictCounts;
  /** Whether this replica writes the Events; undefined when Events are off. */
  readonly leader: () => boolean | undefined;
  start(): void;
  stop(): Promise<void>;
}

/** Collaborators of the audit. */
export interface ServeAuditDeps {
  readonly index: AuditedIndex;
  readonly logger: Logger;
  /** The API server's Lease and Events for the live cluster; absent when serving a state file. */
  readonly eventsApi?: EventsApi;
  /** Counts each conflict Event's fate. */
  readonly counted: (result: EventResult) => void;
}

/** A name for this process in the Lease: unique, and readable (the pod's name comes first). */
function identity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** Wires the audit for `config`; nothing runs until start(). */
export function serveAudit(config: Config, deps: ServeAuditDeps): ServeAudit {
  const audit = new ConflictAudit({ index: deps.index, defer: (callback) => setImmediate(callback), reserved: config.reservedPorts });
  // At debug level: a re-list of a cluster with many conflicts would otherwise log a line
  // per pod; the gauges, the Events and `scan` are where conflicts are told.
  audit.listen({
    joined: (c, k) => {
      deps.logger.debug({ node: c.node, port: `${c.port}/${c.protocol}`, pod: `${k.occupant.pod.namespace}/${k.occupant.pod.name}` }, 'pod is in a conflict');
    },
    left: (c, k) => {
      deps.logger.debug({ node: c.node, port: `${c.port}/${c.protocol}`, pod: `${k.occupant.pod.namespace}/${k.occupant.pod.name}` }, 'pod is no longer in a conflict');
    },
  });
  const events = config.conflictEvents;
  if (!events.enabled || deps.eventsApi === undefined || events.leaseNamespace === undefined) {
    if (events.enabled) deps.logger.warn('conflictEvents.enabled has no effect when serving a cluster-state file');
    return {
      counts: () => audit.counts(),
      leader: () => undefined,
      start: () => {
        audit.start();
      },
      stop: () => Promise.resolve(),
    };
  }
  const me = identity();
  const api = deps.eventsApi({ namespace: events.leaseNamespace, name: events.leaseName }, me);
  const writer = new ConflictEvents({ sink: api.sink, audit, timers: systemTimers, logger: deps.logger, count: deps.counted });
  audit.listen(writer);
  const elector = new LeaderElector({
    store: api.store,
    identity: me,
    timers: systemTimers,
    logger: deps.logger,
    onChange: (leading) => {
      deps.logger.info({ identity: me, leading }, leading ? 'leading: writing conflict Events' : 'not leading: not writing conflict Events');
      writer.setLeading(leading);
    },
  });
  return {
    counts: () => audit.counts(),
    leader: () => elector.isLeader(),
    start: () => {
      audit.start();
      elector.start();
    },
    stop: async () => {
      writer.stop();
      await elector.stop();
    },
  };
}
