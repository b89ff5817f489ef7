/**
 * `hostport-guard scan`, also `kubectl hostports`: the host ports of the cluster by node,
 * the conflicts that already exist, and the pods that cannot run because of a port.
 */
import { visible } from '../admission/text.js';
import type { ClusterScan } from '../cluster/scan.js';
import type { ReservedPort } from '../engine/types.js';
import type { ScanProgress } from '../cluster/scan-live.js';
import type { CommandResult } from './exit.js';
import { EXIT_FOUND, EXIT_OK, usageError } from './exit.js';
import type { ScanFormat } from './scan-output.js';
import { scanOutput } from './scan-output.js';
import type { PortFilter, ScanFilters } from './scan-report.js';
import { hasProblems, scanReport } from './scan-report.js';
import type { ReadFailure } from './state-file.js';
import { readStateOrLive, scanFromText } from './state-file.js';

/** The options of `scan`, after commander has parsed them. */
export interface ScanOptions {
  /** A `kubectl get pods,nodes -A -o yaml` file to read instead of the live cluster. */
  readonly state?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly filters: ScanFilters;
  readonly output: ScanFormat;
  /** Node daemons' ports, held on every node (as `check --reserved-port` takes them). */
  readonly reservedPorts: readonly ReservedPort[];
}

/** Where the live cluster is. */
export interface ClusterSource {
  readonly kubeconfig?: string;
  readonly context?: string;
}

/** The outside world of `scan`, passed in so tests use strings and fakes. */
export interface ScanDeps {
  /** The UTF-8 text of a file, at most `maxBytes` (InputTooLargeError past it); throws when it cannot be read. */
  readonly readFile: (path: string, maxBytes: number) => string;
  /** Reads the live cluster page by page; absent where no cluster access is wired. */
  readonly liveScan?: (source: ClusterSource, onProgress: (progress: ScanProgress) => void) => Promise<ClusterScan>;
  /** Shows a progress line while the cluster is read (a terminal only), or clears it with undefined. */
  readonly progress?: (line: string | undefined) => void;
}

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const PORT_FILTER = /^([0-9]{1,5})(?:\/([A-Za-z]+))?$/;

/** `8080`, `53/UDP` (any case) as a filter, or why it is not one. */
export function parsePortFilter(text: string): PortFilter | string {
  const match = PORT_FILTER.exec(text.trim());
  const number = Number(match?.[1]);
  if (match === null || !(number >= 1 && number <= 65535)) return `--port ${visible(text)}: expected a port number from 1 to 65535, optionally with /TCP, /UDP or /SCTP`;
  const protocol = match[2]?.toUpperCase();
  if (protocol === undefined) return { port: number };
  if (!PROTOCOLS.includes(protocol)) return `--port ${visible(text)}: the protocol must be TCP, UDP or SCTP`;
  return { port: number, protocol };
}

function progressLine(p: ScanProgress): string {
  const read = p.read.toLocaleString('en-US');
  return p.remaining === undefined ? `reading ${p.resource}: ${read}` : `reading ${p.resource}: ${read} of ~${(p.read + p.remaining).toLocaleString('en-US')}`;
}

/** The scan in the state file, or of the live cluster with a progress line that is cleared at the end. */
function readScan(options: ScanOptions, deps: ScanDeps): Promise<{ readonly ok: true; readonly scan: ClusterScan } | ReadFailure> {
  const { liveScan } = deps;
  const source: ClusterSource = {
    ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
    ...(options.context === undefined ? {} : { context: options.context }),
  };
  const live =
    liveScan === undefined
      ? undefined
      : async (): Promise<{ readonly ok: true; readonly scan: ClusterScan }> => {
          try {
            return { ok: true, scan: await liveScan(source, (p) => deps.progress?.(progressLine(p))) };
          } finally {
            deps.progress?.(undefined);
          }
        };
  return readStateOrLive({
    file: options.state,
    readFile: deps.readFile,
    fromText: scanFromText,
    live,
    liveUnavailable: 'reading the live cluster is not available: pass --state',
  });
}

/**
 * Runs `scan`: reads the cluster (or the state file), prints the report in the format
 * asked for, and exits 1 when it shows a conflict or a pod that cannot run because of a
 * port, 0 when it shows neither, 2 when the cluster or the file could not be read.
 */
export async function runScan(options: ScanOptions, deps: ScanDeps): Promise<CommandResult> {
  const read = await readScan(options, deps);
  if (!read.ok) return usageError(read.errors.map(visible));
  const report = scanReport(read.scan, options.filters, options.reservedPorts);
  return { exitCode: hasProblems(report) ? EXIT_FOUND : EXIT_OK, stdout: scanOutput(report, options.output), stderr: '' };
}
