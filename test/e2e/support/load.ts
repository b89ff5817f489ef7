/**
 * Steady `kubectl create` traffic through the webhook while something happens to it (an
 * upgrade, a killed replica), and the tally of what every create got back. Each pod
 * collides with a holder, so each create must come back either denied or admitted with
 * a warning: a create that is admitted silently, or that fails for another reason, was
 * not checked (failurePolicy Ignore admits a pod when the webhook cannot answer).
 */
import { kubectl } from './cluster.js';
import type { Manifest } from './manifests.js';
import { stringify } from 'yaml';

/** What one create came back with. */
export type Outcome = 'denied' | 'warned' | 'unchecked' | 'failed';

/** The tally of a load run. */
export interface LoadReport {
  readonly counts: Readonly<Record<Outcome, number>>;
  /** kubectl's words for every create that was neither denied nor warned. */
  readonly problems: readonly string[];
}

/** Sorts kubectl's answer into an outcome. */
export function outcomeOf(exitCode: number, stdout: string, stderr: string): Outcome {
  if (exitCode !== 0) return stderr.includes('admission webhook "pods.hostport-guard.io" denied the request') ? 'denied' : 'failed';
  return stderr.startsWith('Warning: ') && stdout.includes(' created') ? 'warned' : 'unchecked';
}

/** A running load: stop() waits for the creates in flight and returns the tally. */
export interface Load {
  stop(): Promise<LoadReport>;
  /** Creates finished so far. */
  finished(): number;
}

/**
 * Starts `parallel` loops, each creating `podFor(n)` with a fresh n, until stopped.
 */
export function startLoad(parallel: number, podFor: (n: number) => Manifest): Load {
  const counts: Record<Outcome, number> = { denied: 0, warned: 0, unchecked: 0, failed: 0 };
  const problems: string[] = [];
  let next = 0;
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const n = next++;
      const result = await kubectl(['create', '-f', '-', '--request-timeout=30s'], { input: stringify(podFor(n)) });
      const outcome = outcomeOf(result.exitCode, result.stdout, result.stderr);
      counts[outcome] += 1;
      if (outcome === 'unchecked' || outcome === 'failed') problems.push(`#${n} ${outcome}: exit ${result.exitCode}: ${result.stdout.trim()} ${result.stderr.trim()}`);
    }
  };
  const loops = Array.from({ length: parallel }, () => loop());
  return {
    finished: () => counts.denied + counts.warned + counts.unchecked + counts.failed,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return { counts: { ...counts }, problems };
    },
  };
}
