/**
 * Three webhook processes behind one address, as a Service puts replicas behind one
 * name: a round-robin TCP front hands each connection of the API server to the next
 * process. Each holds its reservations as Leases in one namespace, so pods created at
 * the same instant for the same node and port can reach different processes and still
 * only one gets in: fifty racers over several rounds, the same while one process is
 * killed mid-burst, and two DaemonSets on one port created together.
 */
import { jest } from '@jest/globals';
import { sampleValue } from './support/metrics.js';
import type { Counters } from './support/race-stories.js';
import { raceStories } from './support/race-stories.js';
import { replicaSuite } from './support/replica-suite.js';
import { NODES } from './support/suite.js';

jest.setTimeout(600_000);

const REPLICAS = 3;
// Fifty kubectl processes, three webhooks and the control plane share two busy cores
// here: a call can wait seconds for a CPU before it is even read. The API server is
// given the longest wait it allows, and each reservation a third of it, so what is
// measured is who gets in, not how loaded the machine is (latency is make bench's).
const TTL_SECONDS = 10;
const suite = replicaSuite({ name: 'replicas', replicas: REPLICAS, timeoutSeconds: 30, reservationTimeoutMs: 10_000, reservationTtlSeconds: TTL_SECONDS });

raceStories(() => ({
  manifests: suite.manifests,
  kubectl: (args) => suite.kubectl(args),
  namespace: (prefix) => suite.namespace(prefix),
  raceNode: 'worker-3',
  ttlSeconds: TTL_SECONDS,
  killer(round) {
    const index = (round - 1) % REPLICAS;
    return Promise.resolve({
      what: `replica ${index} (pid ${suite.replica(index)?.pid ?? '?'}) killed with SIGKILL`,
      kill: () => suite.kill(index),
      back: () => suite.restart(index),
    });
  },
  leases: () => suite.leases(),
  daemonSetNodes: NODES.map((name) => ({ name })),
  daemonSetExtras: {},
  async counters(): Promise<Counters[]> {
    const counters: Counters[] = [];
    for (let i = 0; i < REPLICAS; i += 1) {
      const replica = suite.replica(i);
      const samples = replica === undefined ? [] : await replica.metrics();
      counters.push({
        decisions: sampleValue(samples, 'hostport_guard_decisions_total'),
        taken: sampleValue(samples, 'hostport_guard_reservations_total', { result: 'taken' }),
        refused: sampleValue(samples, 'hostport_guard_reservations_total', { result: 'refused' }),
        failed: sampleValue(samples, 'hostport_guard_reservations_total', { result: 'failed' }),
      });
    }
    return counters;
  },
}), { racers: 50, rounds: 5, killRounds: 3, basePort: 18500 });
