/**
 * Races between replicas: pods created in the same instant for the same node and port,
 * reaching different webhook replicas. They are shared: test/e2e/replicas.test.ts tells
 * them with three local webhook processes behind a round-robin front, and
 * test/e2e/release-replicas.test.ts with the chart installed on the real nodes. Each
 * story asserts what users see: kubectl's exact words, the pods that exist, the
 * DaemonSet's events.
 */
import { describe, expect, it } from '@jest/globals';
import type { ManifestDir, PodOptions } from './manifests.js';
import { daemonSet, pod } from './manifests.js';
import { decodePods, eventsFor, rawPods } from './pods.js';
import type { RunResult } from './process.js';
import type { RealNode } from './real-nodes.js';
import { httpGet } from './real-nodes.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** Counters summed over the replicas that are up (decisions, reservations by result). */
export type Counters = Readonly<Record<string, number>>;

/** Where the races run. */
export interface RaceTarget {
  readonly manifests: ManifestDir;
  /** Runs kubectl in the manifests directory. */
  kubectl(args: readonly string[]): Promise<RunResult>;
  /** Creates a namespace that is removed after the test. */
  namespace(prefix: string): Promise<string>;
  /** The node the racing pods are pinned to (a fake node: only the decision matters). */
  readonly raceNode: string;
  /** The replicas' reservationTtlSeconds. */
  readonly ttlSeconds: number;
  /**
   * Chooses the replica to kill in `round` (before the burst); `kill()` then ends it the
   * way a crash does, quickly, and `back()` waits until it (or its replacement) serves.
   */
  killer(round: number): Promise<Kill>;
  /** The reservation Leases that exist now. */
  leases(): Promise<string[]>;
  /** The nodes DaemonSet pods go to; real ones are asked on their port. */
  readonly daemonSetNodes: readonly (RealNode | { readonly name: string; readonly address?: undefined })[];
  /** What DaemonSet pods need to land on those nodes, and what they run. */
  readonly daemonSetExtras: Pick<PodOptions, 'tolerations' | 'nodeSelector'> & { readonly run?: (port: number) => PodOptions['run'] };
  /** Per replica: reviews answered and reservations by result, to show how the work was spread. */
  counters?(): Promise<Counters[]>;
}

/** One replica to kill, and how. */
export interface Kill {
  readonly what: string;
  kill(): Promise<void>;
  back(): Promise<void>;
}

/** How many racers and rounds. */
export interface RaceOptions {
  readonly racers: number;
  readonly rounds: number;
  readonly killRounds: number;
  /** Each round gets its own port above this one. */
  readonly basePort: number;
}

/** kubectl's line for a racer denied because `winner` holds the port. */
function denial(file: string, port: number, node: string, winner: string): string {
  return `Error from server (Forbidden): error when creating "${file}": admission webhook "pods.hostport-guard.io" denied the request: ` +
    `hostNetwork port ${port}/TCP on node ${node} is already used by pod ${winner} (container web); pick another port or node\n`;
}

/** The API server's own refusal when the call to the webhook failed (the replica died under it). */
const CALL_FAILED = /^Error from server \(InternalError\): error when creating "[^"]+": Internal error occurred: failed calling webhook "pods\.hostport-guard\.io": /;

/** What one burst came to. */
interface Burst {
  readonly files: readonly string[];
  readonly names: readonly string[];
  readonly results: readonly RunResult[];
  readonly winners: readonly string[];
}

/** The difference between two counter snapshots, per replica. */
function delta(before: readonly Counters[], after: readonly Counters[]): Counters[] {
  return after.map((a, i) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (before[i]?.[k] ?? 0)])));
}

/** The races, as jest tests; `target` is read when the tests run. */
export function raceStories(target: () => RaceTarget, options: RaceOptions): void {
  /**
   * Creates `racers` identical pinned pods at once with parallel kubectl processes;
   * `during` runs once the first is created, and is told how many kubectl processes had
   * finished by then.
   */
  async function burst(ns: string, port: number, round: string, during?: (finished: number) => Promise<void>): Promise<Burst> {
    const t = target();
    const names = Array.from({ length: options.racers }, (_, i) => `race-${round}-${String(i + 1).padStart(2, '0')}`);
    const files = names.map((name) =>
      t.manifests.write(name, pod({ name, namespace: ns, nodeName: t.raceNode, hostNetwork: true, ports: [{ containerPort: port }] })),
    );
    let finished = 0;
    let created: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      created = resolve;
    });
    const runs = files.map((file) =>
      t.kubectl(['create', '-f', file]).then((r) => {
        finished += 1;
        if (r.exitCode === 0) created();
        return r;
      }),
    );
    const all = Promise.all(runs);
    // Without any pod created there is nothing to run `during` for; the round fails anyway.
    const meanwhile = during === undefined ? Promise.resolve() : Promise.race([first.then(() => 'created'), all.then(() => 'none')]).then((what) => (what === 'created' ? during(finished) : undefined));
    const [results] = await Promise.all([all, meanwhile]);
    const winners = names.filter((_, i) => results[i]?.exitCode === 0);
    return { files, names, results, winners };
  }

  describe(`${options.racers} colliding pinned pods created at once by parallel kubectl processes`, () => {
    it(`admits exactly one in each of ${options.rounds} rounds, and every other names it`, async () => {
      const t = target();
      const ns = await t.namespace('race');
      const before = (await t.counters?.()) ?? [];
      for (let round = 1; round <= options.rounds; round += 1) {
        const port = options.basePort + round;
        const roundBefore = (await t.counters?.()) ?? [];
        const { files, names, results, winners } = await burst(ns, port, String(round));
        const spread = delta(roundBefore, (await t.counters?.()) ?? []);
        const leases = await t.leases();
        console.log(`round ${round}: winner ${winners.join(', ') || 'none'}; per replica ${JSON.stringify(spread)}; Leases right after: ${leases.join(', ') || 'none'}`);
        expect(winners).toHaveLength(1);
        const winner = `${ns}/${winners[0] ?? ''}`;
        expect(results).toEqual(names.map((name, i) =>
          results[i]?.exitCode === 0
            ? { exitCode: 0, stdout: `pod/${name} created\n`, stderr: '' }
            : { exitCode: 1, stdout: '', stderr: denial(files[i] ?? '', port, t.raceNode, winner) },
        ));
        const onPort = decodePods(await rawPods(ns)).filter((p) => p.spec.containers.some((c) => c.ports?.some((q) => q.containerPort === port)));
        expect(onPort.map((p) => p.metadata.name)).toEqual(winners);
      }
      const all = delta(before, (await t.counters?.()) ?? []);
      if (all.length > 0) {
        // The work was spread: every replica decided some of the pods, and every winner
        // took a reservation. How many losers met the winner's reservation rather than
        // its pod in the index depends on timing; it is printed.
        const sum = (key: string): number => all.reduce((total, c) => total + (c[key] ?? 0), 0);
        console.log(`over ${options.rounds} rounds: ${sum('taken')} reservations taken, ${sum('refused')} pods refused by a reservation, ${sum('failed')} failed`);
        expect(all.filter((c) => (c['decisions'] ?? 0) > 0)).toHaveLength(all.length);
        expect(sum('taken')).toBeGreaterThanOrEqual(options.rounds);
      }
    });

    // The replica is killed once the first pod is created, while the others are in flight;
    // it may be the one that admitted that pod. (One killed after taking a reservation and
    // before its answer left leaves a reservation for a pod never created: the story of
    // the ResourceQuota below.)
    it(`admits exactly one in each of ${options.killRounds} rounds while a replica is killed mid-burst`, async () => {
      const t = target();
      const ns = await t.namespace('race-kill');
      for (let round = 1; round <= options.killRounds; round += 1) {
        const port = options.basePort + options.rounds + round;
        const victim = await t.killer(round);
        let finishedAtKill: number | undefined;
        const { files, names, results, winners } = await burst(ns, port, `k${round}`, async (finished) => {
          finishedAtKill = finished;
          await victim.kill();
        });
        const namesWinner = (r: RunResult, i: number): boolean => r.stderr === denial(files[i] ?? '', port, t.raceNode, `${ns}/${winners[0] ?? ''}`);
        const named = results.filter(namesWinner).length;
        const callFailed = results.filter((r) => CALL_FAILED.test(r.stderr)).length;
        // What any other kubectl said, so that a failure shows it rather than a count.
        const otherwise = results.flatMap((r, i) => (r.exitCode === 0 || namesWinner(r, i) || CALL_FAILED.test(r.stderr) ? [] : [`${names[i] ?? '?'} (exit ${r.exitCode}): ${r.stderr.trim()}`]));
        console.log(
          `kill round ${round} (${victim.what}, when ${finishedAtKill ?? '?'} of ${names.length} kubectl had finished): ` +
            `winner ${winners.join(', ') || 'none'}; ${named} denied naming it; ${callFailed} refused by the API server as their call died with the replica` +
            (otherwise.length > 0 ? `; otherwise:\n${otherwise.join('\n')}` : ''),
        );
        // The kill came in the middle of the burst.
        expect(finishedAtKill).toBeLessThan(names.length);
        expect(winners).toHaveLength(1);
        // Every loser was denied naming the winner, or its call was in the killed replica:
        // the API server refused it (failurePolicy Fail). None got in, none named another.
        expect(otherwise).toEqual([]);
        expect(named + callFailed).toBe(names.length - 1);
        expect(named).toBeGreaterThan(0);
        const onPort = decodePods(await rawPods(ns)).filter((p) => p.spec.containers.some((c) => c.ports?.some((q) => q.containerPort === port)));
        expect(onPort.map((p) => p.metadata.name)).toEqual(winners);
        await victim.back();
      }
    });
  });

  describe('two DaemonSets on one port created together', () => {
    it("leave exactly one DaemonSet's pod on every node, and the other's FailedCreate names it", async () => {
      const t = target();
      const ns = await t.namespace('twin-ds');
      const port = options.basePort + options.rounds + options.killRounds + 1;
      const run = t.daemonSetExtras.run?.(port);
      const files = ['a', 'b'].map((x) =>
        t.manifests.write(`agent-${x}-${ns}`, daemonSet({
          name: `agent-${x}`,
          namespace: ns,
          container: `agent-${x}`,
          hostNetwork: true,
          ports: [{ containerPort: port }],
          ...(t.daemonSetExtras.tolerations === undefined ? {} : { tolerations: t.daemonSetExtras.tolerations }),
          ...(t.daemonSetExtras.nodeSelector === undefined ? {} : { nodeSelector: t.daemonSetExtras.nodeSelector }),
          ...(run === undefined ? {} : { run }),
        })),
      );
      const created = await Promise.all(files.map((f) => t.kubectl(['create', '-f', f])));
      expect(created.map((r) => [r.exitCode, r.stdout])).toEqual([[0, 'daemonset.apps/agent-a created\n'], [0, 'daemonset.apps/agent-b created\n']]);

      // The DaemonSet controller creates pods in batches and skips the rest of a batch
      // after a failure, with a growing backoff: a DaemonSet that lost every node may not
      // try some of them for minutes. So every node must hold exactly one agent pod, some
      // node must have the loser's FailedCreate naming its pod, and no denial may name
      // anything but the pod that holds the node it was about.
      const nodes = t.daemonSetNodes.map((n) => n.name);
      const settled = await eventually(`one agent pod on each of ${nodes.join(', ')}, and a FailedCreate of the other DaemonSet naming one`, async () => {
        const pods = decodePods(await rawPods(ns)).filter((p) => p.metadata.deletionTimestamp === undefined);
        const events = { 'agent-a': await eventsFor(ns, 'agent-a', 'FailedCreate'), 'agent-b': await eventsFor(ns, 'agent-b', 'FailedCreate') };
        const expected = { 'agent-a': new Set<string>(), 'agent-b': new Set<string>() };
        const perNode = nodes.map((node) => {
          const here = pods.filter((p) => p.spec.nodeName === node);
          const [only] = here;
          if (here.length !== 1 || only === undefined) return { node, ok: false, named: false, seen: `${here.length} pods`, pod: '' };
          const ds = (only.metadata.name ?? '').startsWith('agent-a-') ? 'agent-a' : 'agent-b';
          const other = ds === 'agent-a' ? 'agent-b' : 'agent-a';
          const message = `Error creating: admission webhook "pods.hostport-guard.io" denied the request: hostNetwork port ${port}/TCP on node ${node} ` +
            `is already used by pod ${ns}/${only.metadata.name ?? ''} (container ${ds}); pick another port or node`;
          expected[other].add(message);
          const named = events[other].some((e) => e.type === 'Warning' && e.message === message);
          return { node, ok: true, named, seen: named ? `${only.metadata.name ?? ''} (${ds}), named by ${other}` : `${only.metadata.name ?? ''} (${ds}), not tried by ${other} yet`, pod: only.metadata.name ?? '' };
        });
        const strays = (['agent-a', 'agent-b'] as const).flatMap((ds) =>
          events[ds].filter((e) => e.message.includes('denied the request') && !expected[ds].has(e.message)).map((e) => `${ds}: ${e.message}`));
        const settledNow = perNode.every((n) => n.ok) && perNode.some((n) => n.named) && strays.length === 0;
        return settledNow ? done(perNode) : notYet(JSON.stringify({ perNode, strays }));
      }, { timeoutMs: 180_000, intervalMs: 1_000 });
      console.log(`two DaemonSets on port ${port}: ${settled.map((n) => `${n.node}: ${n.seen}`).join('; ')}`);

      // On nodes that run pods, the one that got the port really serves on it.
      for (const node of t.daemonSetNodes) {
        if (node.address === undefined) continue;
        const name = settled.find((n) => n.node === node.name)?.pod ?? '';
        await eventually(`${name} to answer on ${node.address}:${port}`, async () => {
          const answer = await httpGet(node.address, port);
          return 'body' in answer && answer.body.trim() === name ? done(undefined) : notYet(JSON.stringify(answer));
        }, { timeoutMs: 120_000, intervalMs: 1_000 });
      }
    });
  });

  describe('a pod refused after the webhook let it in (a ResourceQuota, checked after every webhook)', () => {
    it('holds its port for the TTL, the next pod denied naming it, and then lets another pod in', async () => {
      const t = target();
      const quota = await t.namespace('quota');
      const quotaFile = t.manifests.write(`quota-${quota}`, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'no-pods', namespace: quota }, spec: { hard: { pods: '0' } } });
      expect((await t.kubectl(['create', '-f', quotaFile])).exitCode).toBe(0);
      await eventually('the quota to be counted', async () => {
        const used = await t.kubectl(['get', 'resourcequota', 'no-pods', '-n', quota, '-o', 'jsonpath={.status.hard.pods}']);
        return used.stdout === '0' ? done(undefined) : notYet(used.stdout + used.stderr);
      });
      const ns = await t.namespace('after-quota');
      const port = options.basePort + options.rounds + options.killRounds + 2;
      const onNode = (name: string, namespace: string): string =>
        t.manifests.write(`${name}-${namespace}`, pod({ name, namespace, nodeName: t.raceNode, hostNetwork: true, ports: [{ containerPort: port }] }));

      const refused = await t.kubectl(['create', '-f', onNode('refused', quota)]);
      expect([refused.exitCode, refused.stderr]).toEqual([1, expect.stringContaining('exceeded quota: no-pods')]);

      // Every replica now meets the reservation of a pod that does not exist: the next
      // pod on the port is denied naming it, whichever replica it reaches. A dry run reads
      // the reservation (no pod in any index names it) and is denied as the create is.
      const next = onNode('next', ns);
      const dry = await t.kubectl(['create', '--dry-run=server', '-f', next]);
      expect(dry).toEqual({ exitCode: 1, stdout: '', stderr: denial(next, port, t.raceNode, `${quota}/refused`) });
      const tries: RunResult[] = [];
      for (let i = 0; i < 3; i += 1) tries.push(await t.kubectl(['create', '-f', next]));
      expect(tries).toEqual(Array.from({ length: 3 }, () => ({ exitCode: 1, stdout: '', stderr: denial(next, port, t.raceNode, `${quota}/refused`) })));

      // Past the TTL nothing holds the port: the next create gets in.
      const admitted = await eventually('a create of the next pod to be admitted once the reservation expired', async () => {
        const r = await t.kubectl(['create', '-f', next]);
        return r.exitCode === 0 ? done(r) : notYet(r.stderr);
      }, { timeoutMs: (t.ttlSeconds + 60) * 1000, intervalMs: 2_000 });
      expect(admitted).toEqual({ exitCode: 0, stdout: 'pod/next created\n', stderr: '' });
    });
  });

  describe('a server-side dry run (kubectl create --dry-run=server)', () => {
    it('reserves nothing: no Lease is written, and another pod then gets the port', async () => {
      const t = target();
      const ns = await t.namespace('dry-run');
      const port = options.basePort + options.rounds + options.killRounds + 3;
      const lease = `hpg.tcp-${port}.${t.raceNode}`;
      const onNode = (name: string): string =>
        t.manifests.write(`${name}-${ns}`, pod({ name, namespace: ns, nodeName: t.raceNode, hostNetwork: true, ports: [{ containerPort: port }] }));

      // Three times, through whichever replicas the front or the Service picks.
      const probe = onNode('probe');
      const dryRuns: RunResult[] = [];
      for (let i = 0; i < 3; i += 1) dryRuns.push(await t.kubectl(['create', '--dry-run=server', '-f', probe]));
      expect(dryRuns).toEqual(Array.from({ length: 3 }, () => ({ exitCode: 0, stdout: 'pod/probe created (server dry run)\n', stderr: '' })));
      expect((await t.leases()).filter((name) => name === lease)).toEqual([]);

      // Had a dry run held the port, this pod would be denied naming ns/probe.
      const real = await t.kubectl(['create', '-f', onNode('real')]);
      expect(real).toEqual({ exitCode: 0, stdout: 'pod/real created\n', stderr: '' });
      expect((await t.leases()).filter((name) => name === lease)).toEqual([lease]);

      // And a dry run now answers as a create would: denied, naming the pod that got in.
      const after = await t.kubectl(['create', '--dry-run=server', '-f', probe]);
      expect(after).toEqual({ exitCode: 1, stdout: '', stderr: denial(probe, port, t.raceNode, `${ns}/real`) });
    });
  });

  describe('after the races', () => {
    it('leaves no reservation Lease behind', async () => {
      const left = await eventually('every reservation Lease to be swept away', async () => {
        const leases = await target().leases();
        return leases.length === 0 ? done(leases) : notYet(leases.join(', '));
      }, { timeoutMs: 120_000, intervalMs: 2_000 });
      expect(left).toEqual([]);
    });
  });
}
