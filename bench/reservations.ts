/**
 * What a reservation every replica sees costs, through the real kube-apiserver: pod
 * creates with two `serve` processes watching the same cluster, one holding reservations
 * in its own process only (no `--reservations-namespace`, the path before Leases) and one
 * holding them as Leases; only one is registered at a time (the chart's webhook.yaml),
 * and blocks alternate between them over several rounds. Pinned pods holding host ports
 * (each on a port of its own, so every one is admitted and takes a reservation) show what
 * the Lease adds; pods without host ports, sent to the webhook too (matchConditions
 * removed), show that they pay nothing. The Lease calls are counted by the webhook
 * (hostport_guard_lease_requests_total); at the end the run waits until the sweeps have
 * removed every Lease of the thousands of reservations taken.
 *
 * Usage: node reservations.js --kubeconfig K --out FILE --work DIR --certs DIR --helm BIN --kubectl BIN
 *        [--pods 250] [--rounds 4] [--concurrency 1,10] [--plain 100] [--namespace hpg-bench-res]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import type { V1Pod } from '@kubernetes/client-node';

import { apiPod } from './lib/api-pod.js';
import type { Kube } from './lib/kube.js';
import { createNamespace, deleteNamespace, isKubernetesObject, kubeClient, pool, unlessGone, withRetry } from './lib/kube.js';
import type { Server } from './lib/proc.js';
import { call, output, startServer, waitUntil } from './lib/proc.js';
import type { ReservationResult } from './lib/results.js';
import { percentiles } from './lib/stats.js';
import type { Json } from './lib/wire.js';
import { freePorts } from '../test/support/ports.js';
import { configurationName, renderWebhookConfiguration, withoutMatchConditions } from './lib/webhook-config.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Which webhook answers: reservations in its own process, or Leases every replica sees. */
type Setup = 'local' | 'leases';
const SETUPS: readonly Setup[] = ['local', 'leases'];
/** Which pods are created. */
type Kind = 'pinned' | 'plain';

const RELEASE = 'hpg-bench-res';
const CONFIGURATION = configurationName(RELEASE);
const VERBS = ['create', 'get', 'replace', 'delete', 'list'] as const;
/** The calls only a reservation (or a dry run's look) makes; sweeps list and delete. */
const TAKING = ['create', 'get', 'replace'] as const;
/** The start of the denial a pod gets when its reservation failed and onApiError is deny (messages.ts). */
const UNRESERVED = 'could not reserve';

/** Sums of the samples of `name` (optionally with one label) in a Prometheus text. */
function metric(text: string, name: string, label?: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest !== '' && !rest.startsWith('{') && !rest.startsWith(' ')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const key = label === undefined ? '' : (new RegExp(`${label}="([^"]*)"`).exec(rest)?.[1] ?? '');
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return sums;
}

/** What one webhook has done so far. */
interface Snapshot {
  readonly decisions: number;
  readonly reviewSeconds: number;
  readonly reservationSeconds: number;
  readonly reservations: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly ended: Readonly<Record<string, number>>;
  readonly leases: number;
}

async function snapshot(healthPort: number): Promise<Snapshot> {
  const text = (await call(healthPort, 'GET', '/metrics', undefined, undefined)).text;
  const one = (name: string): number => metric(text, name).get('') ?? 0;
  const requests = metric(text, 'hostport_guard_lease_requests_total', 'verb');
  const ended = metric(text, 'hostport_guard_reservations_ended_total', 'reason');
  return {
    decisions: [...metric(text, 'hostport_guard_decisions_total').values()].reduce((a, b) => a + b, 0),
    reviewSeconds: one('hostport_guard_admission_duration_seconds_sum'),
    reservationSeconds: [...metric(text, 'hostport_guard_reservation_duration_seconds_sum', 'result').values()].reduce((a, b) => a + b, 0),
    reservations: [...metric(text, 'hostport_guard_reservations_total', 'result').values()].reduce((a, b) => a + b, 0),
    requests: Object.fromEntries(VERBS.map((v) => [v, requests.get(v) ?? 0])),
    ended: Object.fromEntries([...ended]),
    leases: one('hostport_guard_reservation_leases'),
  };
}

async function unregister(kube: Kube): Promise<void> {
  await withRetry(() => unlessGone(() => kube.admission.deleteValidatingWebhookConfiguration({ name: CONFIGURATION })));
}

async function register(kube: Kube, configuration: Json): Promise<void> {
  await unregister(kube);
  if (!isKubernetesObject(configuration)) throw new Error('the rendered webhook configuration is not a Kubernetes object');
  await withRetry(() => kube.objects.create(configuration));
}

/** A pod bound to `node` holding host port `port` (a hostPort, no hostNetwork). */
function pinnedPod(name: string, node: string, port: number): V1Pod {
  return apiPod(name, node, port);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      out: { type: 'string' },
      work: { type: 'string' },
      certs: { type: 'string' },
      helm: { type: 'string' },
      kubectl: { type: 'string', default: 'kubectl' },
      repo: { type: 'string', default: path.resolve(here, '../../..') },
      pods: { type: 'string', default: '250' },
      plain: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '1,10' },
      namespace: { type: 'string', default: 'hpg-bench-res' },
      nodes: { type: 'string', default: 'worker-1,worker-2,worker-3' },
    },
  });
  const { kubeconfig, out, work, certs, helm, repo, namespace } = values;
  if (kubeconfig === undefined || out === undefined || work === undefined || certs === undefined || helm === undefined) {
    throw new Error('--kubeconfig, --out, --work, --certs and --helm are required');
  }
  const rounds = Number(values.rounds);
  const perBlock = Number(values.pods);
  const plainPerBlock = Number(values.plain);
  const levels = values.concurrency.split(',').map(Number);
  const nodes = values.nodes.split(',');
  const leaseNamespace = `${namespace}-leases`;
  const kube = kubeClient(kubeconfig);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('HOSTPORT_GUARD_')) env[name] = value;
  const servers: Server[] = [];
  const [localPort = 0, localHealth = 0, leasesPort = 0, leasesHealth = 0] = await freePorts(4);
  const ports: Record<Setup, { port: number; health: number }> = {
    local: { port: localPort, health: localHealth },
    leases: { port: leasesPort, health: leasesHealth },
  };
  const samples = new Map<string, number[]>();
  const webhookTime = new Map<string, { reviews: number; reviewSeconds: number; reservations: number; reservationSeconds: number }>();
  let requests: Readonly<Record<string, number>> = {};
  /** Pinned pods the Lease webhook let in (blocks and probes): each took its reservation. */
  let reservedPods = 0;
  let plainDuringLeases = { pods: 0, requests: 0 };
  let drain = { leasesAtEnd: 0, secondsToEmpty: null as number | null, ended: {} as Readonly<Record<string, number>> };
  let leaseWebhookSeconds = 0;
  let leaseWebhookStarted = 0;
  let probes = 0;
  /** Creates denied because the reservation could not be taken in time, by block key. */
  const failures: Record<string, number> = {};
  try {
    await createNamespace(kube, namespace);
    await createNamespace(kube, leaseNamespace);
    for (const setup of SETUPS) {
      const args = [
        path.join(repo, 'bin/hostport-guard.js'), 'serve', '--kubeconfig', kubeconfig,
        '--tls-cert', path.join(certs, 'tls.crt'), '--tls-key', path.join(certs, 'tls.key'),
        '--port', String(ports[setup].port), '--health-port', String(ports[setup].health), '--mode', 'enforce',
        ...(setup === 'leases' ? ['--reservations-namespace', leaseNamespace] : []),
      ];
      const server = startServer(`hostport-guard (${setup})`, process.execPath, args, { ...env, HOSTPORT_GUARD_HOST: '127.0.0.1', HOSTPORT_GUARD_HEALTH_HOST: '127.0.0.1' }, path.join(work, `webhook-reservations-${setup}.log`), undefined);
      servers.push(server);
      await waitUntil(`the ${setup} webhook is ready`, async () => (await call(ports[setup].health, 'GET', '/readyz', undefined, undefined)).status === 200, 120_000, server);
      if (setup === 'leases') leaseWebhookStarted = performance.now();
    }
    const caBundle = readFileSync(path.join(certs, 'ca.crt')).toString('base64');
    const configuration = async (setup: Setup, kind: Kind): Promise<Json> => {
      const rendered = await renderWebhookConfiguration({ helm, repo, release: RELEASE, url: `https://127.0.0.1:${ports[setup].port}/validate`, caBundle, namespace, timeoutSeconds: 10 });
      return kind === 'pinned' ? rendered : withoutMatchConditions(rendered);
    };

    /**
     * Creates `pod` and returns how long the create took as the client saw it. A denial
     * because the API server did not take the reservation in time (onApiError: deny, the
     * default) is what a user of a loaded cluster gets: counted under `key`, timed, and
     * the run goes on.
     */
    const create = async (pod: V1Pod, key: string): Promise<number> => {
      const t0 = performance.now();
      try {
        await withRetry(() => kube.core.createNamespacedPod({ namespace, body: pod }));
      } catch (error) {
        if (!(error instanceof Error) || !error.message.includes(UNRESERVED)) throw error;
        failures[key] = (failures[key] ?? 0) + 1;
      }
      return performance.now() - t0;
    };
    /** Waits until a probe pod is decided by `setup`'s webhook: that registration is in force. */
    const inForce = async (setup: Setup): Promise<void> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        probes += 1;
        const before = await snapshot(ports[setup].health);
        const failedBefore = failures[`probe/${setup}`] ?? 0;
        await create(pinnedPod(`probe-${probes}`, nodes[0] ?? 'worker-1', 40_000 + probes), `probe/${setup}`);
        if ((await snapshot(ports[setup].health)).decisions > before.decisions) {
          if (setup === 'leases' && (failures[`probe/${setup}`] ?? 0) === failedBefore) reservedPods += 1;
          return;
        }
        if (Date.now() > deadline) throw new Error(`the ${setup} webhook was not called within 60 s`);
        await sleep(250);
      }
    };

    // A pinned pod of its own port on its node: never a collision, always a reservation.
    let next = 0;
    const pinnedOf = (): V1Pod => {
      const i = next;
      next += 1;
      return pinnedPod(`p-${i}`, nodes[i % nodes.length] ?? 'worker-1', 20_000 + Math.floor(i / nodes.length));
    };
    let plainNext = 0;

    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? SETUPS : [...SETUPS].reverse();
      for (const kind of ['pinned', 'plain'] as const) {
        for (const setup of order) {
          await register(kube, await configuration(setup, kind));
          await inForce(setup);
          for (const level of levels) {
            const key = `${kind}/${setup}/${level}`;
            const list = samples.get(key) ?? [];
            const count = kind === 'pinned' ? perBlock : plainPerBlock;
            const pods = Array.from({ length: count }, () => {
              if (kind === 'pinned') return pinnedOf();
              plainNext += 1;
              return apiPod(`c-${plainNext}`, nodes[plainNext % nodes.length] ?? 'worker-1');
            });
            const before = await snapshot(ports[setup].health);
            const failedBefore = failures[key] ?? 0;
            await pool(count, level, async (k) => {
              const pod = pods[k];
              if (pod !== undefined) list.push(await create(pod, key));
            });
            const after = await snapshot(ports[setup].health);
            samples.set(key, list);
            const time = webhookTime.get(key) ?? { reviews: 0, reviewSeconds: 0, reservations: 0, reservationSeconds: 0 };
            webhookTime.set(key, {
              reviews: time.reviews + after.decisions - before.decisions,
              reviewSeconds: time.reviewSeconds + after.reviewSeconds - before.reviewSeconds,
              reservations: time.reservations + after.reservations - before.reservations,
              reservationSeconds: time.reservationSeconds + after.reservationSeconds - before.reservationSeconds,
            });
            if (kind === 'pinned' && setup === 'leases') reservedPods += count - ((failures[key] ?? 0) - failedBefore);
            if (kind === 'plain' && setup === 'leases') {
              // Only a reservation creates, reads or replaces a Lease. Lists and deletes are
              // the sweeps' (every 5 s, removing the Leases of the pinned block before), so
              // they are left out: counted, they showed sweeps as calls of these pods.
              const made = TAKING.reduce((sum, v) => sum + (after.requests[v] ?? 0) - (before.requests[v] ?? 0), 0);
              plainDuringLeases = { pods: plainDuringLeases.pods + count, requests: plainDuringLeases.requests + made };
            }
          }
          process.stderr.write(`[reservations] round ${r + 1} ${kind} ${setup}: done\n`);
        }
      }
    }
    await unregister(kube);

    // Every reservation taken must be swept away: the holders are seen by the watch and
    // removed a grace later. Wait for the Leases to be gone, then count every call made.
    const leasesNow = async (): Promise<number> => {
      const list = await output(values.kubectl, ['--kubeconfig', kubeconfig, 'get', 'leases', '-n', leaseNamespace, '-o', 'name']);
      return list.split('\n').filter((l) => l !== '').length;
    };
    const leasesAtEnd = await leasesNow();
    const t0 = performance.now();
    let left = leasesAtEnd;
    while (left > 0 && performance.now() - t0 < 180_000) {
      await sleep(1_000);
      left = await leasesNow();
    }
    const final = await snapshot(ports.leases.health);
    requests = final.requests;
    leaseWebhookSeconds = (performance.now() - leaseWebhookStarted) / 1000;
    drain = { leasesAtEnd, secondsToEmpty: left === 0 ? (performance.now() - t0) / 1000 : null, ended: final.ended };
  } finally {
    await unregister(kube).catch((error: unknown) => {
      process.stderr.write(`[reservations] could not delete the webhook configuration: ${String(error)}\n`);
    });
    for (const server of servers) await server.stop();
    for (const ns of [namespace, leaseNamespace]) {
      await deleteNamespace(kube, ns).catch((error: unknown) => {
        process.stderr.write(`[reservations] could not delete namespace ${ns}: ${String(error)}\n`);
      });
    }
    await kube.close();
  }
  const cells = [...samples].map(([key, list]) => {
    const [kind, setup, level] = key.split('/');
    const stats = percentiles(list);
    const time = webhookTime.get(key);
    return {
      kind: kind ?? '',
      setup: setup ?? '',
      concurrency: Number(level),
      creates: stats.count,
      p50ms: stats.p50,
      p99ms: stats.p99,
      reviewMeanMs: time === undefined || time.reviews === 0 ? null : (time.reviewSeconds / time.reviews) * 1000,
      reservationMeanMs: time === undefined || time.reservations === 0 ? null : (time.reservationSeconds / time.reservations) * 1000,
    };
  });
  const result: ReservationResult = {
    rounds,
    levels,
    pinnedPerBlock: perBlock,
    plainPerBlock,
    cells,
    reservedPods,
    requests,
    leaseWebhookSeconds,
    plainRequests: plainDuringLeases,
    drain,
    probes,
    failures,
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}

await main();
