/**
 * The raw result files of one hack/bench.sh run: each benchmark program writes one, and
 * report.ts reads them all into docs/benchmarks.md. Latencies are in the unit their
 * name says; a value that could not be measured is null (JSON has no NaN).
 */

/** engine.json: decide() per cluster size and case. */
export interface EngineResult {
  readonly rounds: number;
  readonly clusters: readonly { readonly nodes: number; readonly pods: number; readonly indexed: number; readonly buildMs: number }[];
  readonly cells: readonly {
    readonly nodes: number;
    readonly case: string;
    readonly calls: number;
    readonly p50us: number;
    readonly p99us: number;
    readonly decisions: readonly string[];
  }[];
}

/** memory.json: heap per indexed pod. */
export interface MemoryResult {
  readonly rounds: number;
  readonly pods: number;
  readonly bytesPerHostPortPod: number;
  readonly bytesPerPlainPod: number;
  readonly cluster: { readonly nodes: number; readonly pods: number; readonly indexed: number; readonly bytes: number };
  /** The node table alone, beside every node keeping its own decoded copy; `traits` distinct sets of labels and taints. */
  readonly nodes: { readonly count: number; readonly traits: number; readonly bytesPerNode: number; readonly bytesPerCopiedNode: number };
  readonly samples: {
    readonly hostPort: readonly number[];
    readonly plain: readonly number[];
    readonly cluster: readonly number[];
    readonly table: readonly number[];
    readonly copied: readonly number[];
  };
}

/** One measured size of sync.json. */
export interface SyncRow {
  readonly pods: number;
  readonly hostPortPods: number;
  readonly createdPerSecond: number;
  readonly syncMs: number;
  readonly stallMaxMs: number;
  readonly stallMaxWorstMs: number;
  readonly stallP99Ms: number;
  /**
   * A re-list in the syncing process once synced, over the full index, as a serving
   * webhook makes one: median time, longest stall (median and worst) and p99.
   */
  readonly relistMs: number;
  readonly relistStallMaxMs: number;
  readonly relistStallMaxWorstMs: number;
  readonly relistStallP99Ms: number;
  /** Medians of the time from the start of the sync and of the re-list to the timer's first tick, which no stall counts. */
  readonly firstTickMs: number | null;
  readonly relistFirstTickMs: number | null;
  readonly heapPeakMB: number;
  /** heapUsed once the sync is done and a forced collection ran (what the index keeps), median. */
  readonly heapSteadyMB: number;
  /** Peak RSS of the syncing process (GNU time), median. */
  readonly syncMaxRssMB: number;
  readonly indexedPods: number;
  /** `hostport-guard scan` of the same cluster, the real CLI in a fresh process each time: median wall time. */
  readonly scanMs: number;
  /** Its peak RSS (GNU time): median and worst. */
  readonly scanMaxRssMB: number;
  readonly scanMaxRssWorstMB: number;
  /** How many pods the scan's summary says it read. */
  readonly scanPodsRead: number;
  /** Median over rounds of the scan's peak RSS over the sync's in the same round. */
  readonly scanRatioToSync: number;
  /** The scan measured from the inside (scan-probe.ts), start-up excluded: median time. */
  readonly scanInsideMs: number;
  /** Its heapUsed sampled every 20 ms, as sync-probe samples the sync's: median peak. */
  readonly scanHeapPeakMB: number;
  /** Its heapUsed after a forced collection once each page was folded: the largest, median over runs. */
  readonly scanLiveAfterPageMB: number;
  /** Median over rounds of the scan's heap peak over the sync's. */
  readonly scanHeapRatioToSync: number;
  /** Each sync-probe's own line, as it printed it: its longest gaps taken apart (`gap`, `relistGap`: bench/lib/watched.ts LongestGap) among them. */
  readonly probes: readonly unknown[];
  readonly scans: readonly unknown[];
  readonly scanProbes: readonly unknown[];
}

/** sync.json: initial sync from the API server, and scans of the same cluster. */
export interface SyncResult {
  readonly reps: number;
  readonly requestedSizes: readonly number[];
  /** Sizes lowered because creating the pods would not fit the time budget. */
  readonly lowered: readonly { readonly from: number; readonly to: number; readonly createdPerSecond: number }[];
  readonly results: readonly SyncRow[];
  readonly deleteSeconds: number | null;
  /** The pod list alone at the largest size, paginated as the informer lists and as a streaming initial list. */
  readonly lists: ListComparison | null;
}

/** One way of listing the pods into the index (list-probe.ts): medians over the runs. */
export interface ListWay {
  readonly listMs: number;
  readonly stallMaxMs: number;
  readonly stallP99Ms: number;
  readonly heapPeakMB: number;
  readonly heapSteadyMB: number;
}

/** The paginated list against a streaming initial list, alternated on one cluster. */
export interface ListComparison {
  readonly pods: number;
  readonly runs: number;
  readonly paginated: ListWay;
  readonly streaming: ListWay;
  readonly samples: readonly unknown[];
}

/** One target's medians in http.json. */
export interface HttpTarget {
  readonly rps: number;
  /** req/s of each round, in round order: ratios are taken within a round. */
  readonly roundRps: readonly number[];
  readonly p50ms: number;
  readonly p99ms: number;
  readonly serverCpu: number;
  readonly clientCpu: number;
  readonly runs: readonly unknown[];
}

/** Starts of `serve` on the state: seconds until ready, RSS (MiB) when ready and after idling. */
export interface StartupRuns {
  readonly readySeconds: readonly number[];
  readonly rssReadyMB: readonly number[];
  readonly rssIdleMB: readonly number[];
}

/** http.json: HTTPS end to end and the peer. */
export interface HttpResult {
  readonly nodes: number;
  readonly hostPortPods: number;
  readonly reviewBytes: number;
  readonly opaInputBytes: number;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly pinned: boolean;
  readonly startupSeconds: number;
  /** `serve` started alone, with the chart's Node.js options and without any: one entry per start. */
  readonly startup: {
    readonly idleSeconds: number;
    readonly chart: StartupRuns;
    readonly plain: StartupRuns;
  };
  readonly rssMB: { readonly hostportGuard: number; readonly opa: number; readonly floor: number };
  /** Medians of OPA's own timers (?metrics=true) over the load bodies, on the warm server. */
  readonly opaTimersMs: { readonly inputParse: number; readonly eval: number; readonly handler: number };
  readonly check: { readonly pods: number; readonly colliding: number; readonly mismatches: readonly unknown[] };
  readonly summary: Readonly<Record<string, HttpTarget>>;
}

/** One setup and concurrency of apiserver.json. */
export interface ApiCell {
  readonly setup: string;
  readonly concurrency: number;
  readonly creates: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly maxMs: number;
}

/** apiserver.json: pod creates through the API server. */
export interface ApiResult {
  readonly rounds: number;
  readonly podsPerSetup: number;
  readonly levels: readonly number[];
  readonly cells: readonly ApiCell[];
  /** The webhook's own time per review (its duration histogram) while every pod was sent. */
  readonly webhook: readonly { readonly concurrency: number; readonly reviews: number; readonly meanMs: number | null }[];
  readonly probes: number;
}

/** One kind of pod, setup and concurrency of reservations.json. */
export interface ReservationCell {
  /** `pinned` (holds a host port on its node) or `plain` (no host port). */
  readonly kind: string;
  /** `local` (reserved in the process) or `leases` (reserved for every replica). */
  readonly setup: string;
  readonly concurrency: number;
  readonly creates: number;
  readonly p50ms: number;
  readonly p99ms: number;
  /** The webhook's own time per review (its duration histogram). */
  readonly reviewMeanMs: number | null;
  /** The time a reservation added, per reservation (its histogram), when one was taken. */
  readonly reservationMeanMs: number | null;
}

/** reservations.json: what reservations every replica sees cost through the API server. */
export interface ReservationResult {
  readonly rounds: number;
  readonly levels: readonly number[];
  readonly pinnedPerBlock: number;
  readonly plainPerBlock: number;
  readonly cells: readonly ReservationCell[];
  /** Pinned pods let in by the Lease webhook, each with its reservation. */
  readonly reservedPods: number;
  /** Every call the Lease webhook made about Leases, by verb (hostport_guard_lease_requests_total). */
  readonly requests: Readonly<Record<string, number>>;
  /** How long the Lease webhook ran (its sweeps list every 5 s). */
  readonly leaseWebhookSeconds: number;
  /** Lease calls (lists left out) made while pods without host ports were created through it. */
  readonly plainRequests: { readonly pods: number; readonly requests: number };
  /** Leases left right after the last pod, and how long until the sweeps had removed all. */
  readonly drain: { readonly leasesAtEnd: number; readonly secondsToEmpty: number | null; readonly ended: Readonly<Record<string, number>> };
  readonly probes: number;
  /** Creates denied because the API server did not take the reservation in time, by block (`kind/setup/level`, `probe/setup`). */
  readonly failures: Readonly<Record<string, number>>;
}

/** hostile.json: how long one review blocks the event loop, normal and hostile shapes, and check's scaling. */
export interface HostileResult {
  readonly rounds: number;
  readonly repeats: number;
  readonly reviews: readonly {
    readonly shape: string;
    readonly hostile: boolean;
    readonly bodyBytes: number;
    /** What was answered, e.g. `deny, 1024 conflicts` or `400 (too deep)`. */
    readonly answer: string;
    readonly blockP50Ms: number;
    readonly blockMaxMs: number;
  }[];
  readonly check: readonly { readonly shape: string; readonly decideMs: number; readonly cliMs: number }[];
}
