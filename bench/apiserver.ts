/**
 * Pod creates through the real kube-apiserver in three setups, in the same run: no
 * webhook; the webhook registered from the chart's own template (webhook.yaml) but with
 * its matchConditions removed, so every pod is sent; and the chart as it is, where the
 * API server's CEL matchConditions keep pods without host ports from ever being sent.
 * The pods created hold no host port (most pods in a cluster), bound by nodeName to the
 * fake nodes. Setups alternate in blocks; each block first proves its setup is in
 * force (the webhook's decision counter moves, or does not, for probe pods). The webhook
 * configuration, the webhook and the pods are removed even after a failure.
 *
 * Usage: node apiserver.js --kubeconfig K --out FILE --work DIR --certs DIR --helm BIN
 *        [--pods 300] [--rounds 3] [--concurrency 1,10] [--namespace hpg-bench-api]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import type { Kube } from './lib/kube.js';
import { createNamespace, deleteNamespace, isKubernetesObject, kubeClient, pool, unlessGone, withRetry } from './lib/kube.js';
import type { Server } from './lib/proc.js';
import { call, startServer, waitUntil } from './lib/proc.js';
import type { ApiCell, ApiResult } from './lib/results.js';
import { percentiles } from './lib/stats.js';
import { apiPod } from './lib/api-pod.js';
import type { Json } from './lib/wire.js';
import { freePorts } from '../test/support/ports.js';
import { configurationName, renderWebhookConfiguration, withoutMatchConditions } from './lib/webhook-config.js';
import type { V1Pod } from '@kubernetes/client-node';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The three setups: no webhook, every pod sent, and the chart's matchConditions. */
type Setup = 'none' | 'all-pods-sent' | 'match-conditions';
const SETUPS: readonly Setup[] = ['none', 'all-pods-sent', 'match-conditions'];

/** The helm release the configuration is rendered as. */
const RELEASE = 'hpg-bench';
const CONFIGURATION = configurationName(RELEASE);

/** The webhook's Prometheus counters we read: decisions made, and time spent deciding. */
interface WebhookCounters {
  readonly decisions: number;
  readonly seconds: number;
}

async function counters(healthPort: number): Promise<WebhookCounters> {
  const res = await call(healthPort, 'GET', '/metrics', undefined, undefined);
  let decisions = 0;
  let seconds = 0;
  for (const line of res.text.split('\n')) {
    if (line.startsWith('hostport_guard_decisions_total{')) decisions += Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('hostport_guard_admission_duration_seconds_sum')) seconds = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { decisions, seconds };
}

async function unregister(kube: Kube): Promise<void> {
  await withRetry(() => unlessGone(() => kube.admission.deleteValidatingWebhookConfiguration({ name: CONFIGURATION })));
}

async function register(kube: Kube, configuration: Json): Promise<void> {
  await unregister(kube);
  if (!isKubernetesObject(configuration)) throw new Error('the rendered webhook configuration is not a Kubernetes object');
  await withRetry(() => kube.objects.create(configuration));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      out: { type: 'string' },
      work: { type: 'string' },
      certs: { type: 'string' },
      helm: { type: 'string' },
      repo: { type: 'string', default: path.resolve(here, '../../..') },
      pods: { type: 'string', default: '300' },
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '1,10' },
      namespace: { type: 'string', default: 'hpg-bench-api' },
      nodes: { type: 'string', default: 'worker-1,worker-2,worker-3' },
    },
  });
  const { kubeconfig, out, work, certs, helm, repo, namespace } = values;
  if (kubeconfig === undefined || out === undefined || work === undefined || certs === undefined || helm === undefined) {
    throw new Error('--kubeconfig, --out, --work, --certs and --helm are required');
  }
  const rounds = Number(values.rounds);
  const perBlock = Math.ceil(Number(values.pods) / rounds);
  const levels = values.concurrency.split(',').map(Number);
  const nodes = values.nodes.split(',');
  const kube = kubeClient(kubeconfig);
  const [port = 0, healthPort = 0] = await freePorts(2);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('HOSTPORT_GUARD_')) env[name] = value;
  let webhook: Server | undefined;
  let probes = 0;
  const samples = new Map<string, number[]>();
  /** The webhook's own time while every pod is sent, per level of concurrency. */
  const webhookTime = new Map<number, { seconds: number; reviews: number }>();
  try {
    await createNamespace(kube, namespace);
    webhook = startServer(
      'hostport-guard',
      process.execPath,
      [path.join(repo, 'bin/hostport-guard.js'), 'serve', '--kubeconfig', kubeconfig, '--tls-cert', path.join(certs, 'tls.crt'), '--tls-key', path.join(certs, 'tls.key'), '--port', String(port), '--health-port', String(healthPort), '--mode', 'enforce'],
      { ...env, HOSTPORT_GUARD_HOST: '127.0.0.1', HOSTPORT_GUARD_HEALTH_HOST: '127.0.0.1' },
      path.join(work, 'webhook-live.log'),
      undefined,
    );
    const running = webhook;
    await waitUntil('the webhook is ready', async () => (await call(healthPort, 'GET', '/readyz', undefined, undefined)).status === 200, 120_000, running);
    const caBundle = readFileSync(path.join(certs, 'ca.crt')).toString('base64');
    const chart = await renderWebhookConfiguration({ helm, repo, release: RELEASE, url: `https://127.0.0.1:${port}/validate`, caBundle, namespace, timeoutSeconds: 5 });
    const configurations: Record<Setup, Json | undefined> = { none: undefined, 'all-pods-sent': withoutMatchConditions(chart), 'match-conditions': chart };

    const create = async (pod: V1Pod): Promise<number> => {
      const t0 = performance.now();
      await withRetry(() => kube.core.createNamespacedPod({ namespace, body: pod }));
      return performance.now() - t0;
    };
    /** Creates a plain and a hostNetwork probe pod; says whether the webhook saw each. */
    const probe = async (): Promise<{ plain: boolean; hostNetwork: boolean }> => {
      probes += 1;
      const before = await counters(healthPort);
      await create(apiPod(`probe-plain-${probes}`, nodes[0] ?? 'worker-1'));
      const middle = await counters(healthPort);
      const hostNetwork = apiPod(`probe-hostnet-${probes}`, nodes[0] ?? 'worker-1');
      // A port nobody else holds, so the probe is allowed whatever the webhook has seen.
      if (hostNetwork.spec !== undefined) {
        hostNetwork.spec.hostNetwork = true;
        hostNetwork.spec.containers = [{ name: 'probe', image: 'registry.example/probe:1', ports: [{ containerPort: 20_000 + probes }] }];
      }
      await create(hostNetwork);
      const after = await counters(healthPort);
      return { plain: middle.decisions > before.decisions, hostNetwork: after.decisions > middle.decisions };
    };
    const expected: Record<Setup, { plain: boolean; hostNetwork: boolean }> = {
      none: { plain: false, hostNetwork: false },
      'all-pods-sent': { plain: true, hostNetwork: true },
      'match-conditions': { plain: false, hostNetwork: true },
    };

    let created = 0;
    for (let r = 0; r < rounds; r++) {
      const order = SETUPS.map((_, i) => SETUPS[(i + r) % SETUPS.length]).filter((s): s is Setup => s !== undefined);
      for (const setup of order) {
        const configuration = configurations[setup];
        if (configuration === undefined) await unregister(kube);
        else await register(kube, configuration);
        const deadline = Date.now() + 60_000;
        for (;;) {
          const seen = await probe();
          if (seen.plain === expected[setup].plain && seen.hostNetwork === expected[setup].hostNetwork) break;
          if (Date.now() > deadline) throw new Error(`setup ${setup} not in force after 60 s (webhook saw plain: ${seen.plain}, hostNetwork: ${seen.hostNetwork})`);
          await sleep(250);
        }
        for (const level of levels) {
          const key = `${setup}/${level}`;
          const list = samples.get(key) ?? [];
          const before = await counters(healthPort);
          const from = created;
          await pool(perBlock, level, async (k) => {
            const i = from + k;
            list.push(await create(apiPod(`c-${i}`, nodes[i % nodes.length] ?? 'worker-1')));
          });
          created += perBlock;
          const after = await counters(healthPort);
          if (setup === 'all-pods-sent') {
            const time = webhookTime.get(level) ?? { seconds: 0, reviews: 0 };
            webhookTime.set(level, { seconds: time.seconds + after.seconds - before.seconds, reviews: time.reviews + after.decisions - before.decisions });
          }
          samples.set(key, list);
        }
        process.stderr.write(`[apiserver] round ${r + 1} ${setup}: done\n`);
      }
    }
  } finally {
    await unregister(kube).catch((error: unknown) => {
      process.stderr.write(`[apiserver] could not delete the webhook configuration: ${String(error)}\n`);
    });
    await webhook?.stop();
    await deleteNamespace(kube, namespace).catch((error: unknown) => {
      process.stderr.write(`[apiserver] could not delete namespace ${namespace}: ${String(error)}\n`);
    });
    await kube.close();
  }
  const cells = [...samples].map(([key, list]): ApiCell => {
    const [setup, level] = key.split('/');
    const stats = percentiles(list);
    return { setup: setup ?? '', concurrency: Number(level), creates: stats.count, p50ms: stats.p50, p99ms: stats.p99, maxMs: stats.max };
  });
  const result: ApiResult = {
    rounds,
    podsPerSetup: perBlock * rounds,
    levels,
    cells,
    webhook: [...webhookTime].map(([concurrency, time]) => ({
      concurrency,
      reviews: time.reviews,
      meanMs: time.reviews === 0 ? null : (time.seconds / time.reviews) * 1000,
    })),
    probes,
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}

await main();
