/**
 * The chart's optional monitoring: the PrometheusRule and the Grafana dashboard ConfigMap.
 * Both are rendered by helm, checked by Prometheus' own promtool (the rules parse, and
 * each alert fires on the series it is about and stays quiet otherwise, in
 * `promtool test rules`), and every metric they read must exist in the server's registry,
 * so renaming a metric in the code fails here.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';

import { createMetrics } from '../../../src/server/metrics.js';
import { createStateMetrics } from '../../../src/server/state-metrics.js';
import type { Json } from './chart.js';
import { field, isJson, list, oneOf, render, text } from './chart.js';

const run = promisify(execFile);

// Each test runs helm and promtool as processes: seconds each on a busy machine, past jest's 5 s default.
jest.setTimeout(60_000);
const RELEASE = 'hpg';
const NAMESPACE = 'monitoring-test';
const SELECTOR = 'job="hpg-hostport-guard", namespace="monitoring-test"';

/** PROMTOOL from hack/cluster-env.sh; a clear error when it is missing. */
function promtool(): string {
  const bin = process.env['PROMTOOL'];
  if (bin === undefined || bin === '' || !existsSync(bin)) {
    throw new Error(`PROMTOOL=${bin ?? ''} names no binary: build it with hack/build-control-plane.sh and source hack/cluster-env.sh`);
  }
  return bin;
}

async function rendered(set: readonly string[] = []): Promise<Json[]> {
  return render({ release: RELEASE, namespace: NAMESPACE, set: ['prometheusRule.enabled=true', 'grafanaDashboard.enabled=true', ...set] });
}

/** Every rule of the rendered PrometheusRule. */
function rulesOf(objects: readonly Json[]): Json[] {
  return list(oneOf(objects, 'PrometheusRule'), 'spec', 'groups').flatMap((g) => list(g, 'rules').filter(isJson));
}

/** The dashboard JSON in the rendered ConfigMap. */
function dashboardOf(objects: readonly Json[]): Json {
  const configMap = objects.find((o) => o['kind'] === 'ConfigMap' && text(o, 'metadata', 'name').endsWith('-dashboard'));
  const parsed: unknown = JSON.parse(text(configMap, 'data', 'hostport-guard.json'));
  if (!isJson(parsed)) throw new Error('the dashboard is not a JSON object');
  return parsed;
}

/** Every PromQL expression of the dashboard's panels. */
function dashboardExprs(dashboard: Json): string[] {
  return list(dashboard, 'panels').flatMap((p) => list(p, 'targets').map((t) => text(t, 'expr')));
}

/** The names of the series the server exports: every metric, a histogram as its _bucket, _sum and _count. */
async function exportedSeries(): Promise<Set<string>> {
  const registry = new Registry();
  createMetrics(registry, { pods: () => 0, nodes: () => 0 });
  createStateMetrics(registry, { conflicts: () => ({ total: 0, byNode: new Map() }), synced: () => true, certificateNotAfter: () => 0, leader: () => true });
  // `# TYPE <name> <type>` of every metric, as Prometheus reads the exposition.
  const types = [...(await registry.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1] ?? '', type: m[2] ?? '' }));
  return new Set(types.flatMap((m) => (m.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => `${m.name}${suffix}`) : [m.name])));
}

/** The metric names of hostport-guard (hostport_guard_*) an expression reads that the server does not export. */
function unknownMetrics(expr: string, exported: ReadonlySet<string>): string[] {
  return [...expr.matchAll(/\bhostport_guard_[a-z0-9_]+/g)].map((m) => m[0]).filter((name) => !exported.has(name));
}

/** Runs promtool with the files written into a temp dir; its exit code and output. */
async function promtoolOn(files: Readonly<Record<string, string>>, args: (dir: string) => string[]): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hpg-promtool-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    try {
      const { stdout, stderr } = await run(promtool(), args(dir), { cwd: dir });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the PrometheusRule', () => {
  it('is rendered only when prometheusRule.enabled, in the release namespace, with its labels', async () => {
    expect((await render({ release: RELEASE, namespace: NAMESPACE })).filter((o) => o['kind'] === 'PrometheusRule')).toEqual([]);
    const rule = oneOf(await rendered(['prometheusRule.labels.release=prometheus', 'prometheusRule.alertLabels.team=platform']), 'PrometheusRule');
    expect([field(rule, 'apiVersion'), field(rule, 'metadata', 'namespace'), field(rule, 'metadata', 'labels', 'release')]).toEqual(['monitoring.coreos.com/v1', NAMESPACE, 'prometheus']);
    const rules = rulesOf([rule]);
    expect(rules.map((r) => field(r, 'alert'))).toEqual([
      'HostPortGuardExistingConflicts',
      'HostPortGuardReviewErrors',
      'HostPortGuardSlowReviews',
      'HostPortGuardDown',
      'HostPortGuardIndexNotSynced',
      'HostPortGuardCertificateExpiresSoon',
    ]);
    for (const r of rules) {
      expect([field(r, 'alert'), field(r, 'labels', 'team'), typeof field(r, 'annotations', 'summary'), typeof field(r, 'annotations', 'description')]).toEqual([field(r, 'alert'), 'platform', 'string', 'string']);
      expect(text(r, 'expr')).toContain(SELECTOR);
    }
  });

  it('passes promtool check rules', async () => {
    const spec = field(oneOf(await rendered(), 'PrometheusRule'), 'spec');
    const result = await promtoolOn({ 'rules.yaml': stringify(spec) }, () => ['check', 'rules', 'rules.yaml']);
    expect(result).toEqual({ code: 0, output: expect.stringContaining('SUCCESS: 6 rules found') as unknown as string });
  });

  it('fires each alert on the series it is about, after its `for`, and stays quiet otherwise (promtool test rules)', async () => {
    const objects = await rendered(['webhook.timeoutSeconds=4', 'prometheusRule.certificateExpiryDays=7']);
    const spec = field(oneOf(objects, 'PrometheusRule'), 'spec');
    /** The alert's labels, and its annotations with `{{ $value ... }}` as Prometheus renders it here. */
    const fired = (alert: string, severity: string, value = ''): Json => {
      const annotations = field(rulesOf(objects).find((r) => r['alert'] === alert), 'annotations');
      const rendered = Object.entries(isJson(annotations) ? annotations : {}).map(([k, v]) => [k, String(v).replace(/\{\{ \$value[^}]*\}\}/g, value)]);
      return { exp_labels: { severity }, exp_annotations: Object.fromEntries(rendered) };
    };
    const labels = 'job="hpg-hostport-guard", namespace="monitoring-test", pod="hpg-0"';
    const other = 'job="someone-else", namespace="monitoring-test", pod="x"';
    const day = 86_400;
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // A conflict from minute 10 on; another job's conflicts are none of ours.
            { series: `hostport_guard_cluster_conflicts{${labels}}`, values: '0x9 2x30' },
            { series: `hostport_guard_cluster_conflicts{${other}}`, values: '5x40' },
            // 1 error a second, all along.
            { series: `hostport_guard_decisions_total{${labels}, mode="enforce", decision="error"}`, values: '0+60x40' },
            { series: `hostport_guard_decisions_total{${labels}, mode="enforce", decision="allow"}`, values: '0+600x40' },
            // Every review takes 2.5 to 5 s (over half of timeoutSeconds=4).
            { series: `hostport_guard_admission_duration_seconds_bucket{${labels}, le="1"}`, values: '0x40' },
            { series: `hostport_guard_admission_duration_seconds_bucket{${labels}, le="2.5"}`, values: '0x40' },
            { series: `hostport_guard_admission_duration_seconds_bucket{${labels}, le="5"}`, values: '0+60x40' },
            { series: `hostport_guard_admission_duration_seconds_bucket{${labels}, le="+Inf"}`, values: '0+60x40' },
            { series: `up{${labels}}`, values: '1x40' },
            { series: `hostport_guard_index_synced{${labels}}`, values: '0x40' },
            // Expires 5 days after the start.
            { series: `hostport_guard_certificate_expiry_timestamp_seconds{${labels}}`, values: `${5 * day}x120` },
          ],
          alert_rule_test: [
            { eval_time: '20m', alertname: 'HostPortGuardExistingConflicts', exp_alerts: [] },
            { eval_time: '26m', alertname: 'HostPortGuardExistingConflicts', exp_alerts: [fired('HostPortGuardExistingConflicts', 'warning', '2')] },
            { eval_time: '20m', alertname: 'HostPortGuardReviewErrors', exp_alerts: [fired('HostPortGuardReviewErrors', 'warning', '1')] },
            // p99 of reviews between 2.5 s and 5 s, interpolated: 2.5 + 0.99 * 2.5.
            { eval_time: '20m', alertname: 'HostPortGuardSlowReviews', exp_alerts: [fired('HostPortGuardSlowReviews', 'warning', '4.975s')] },
            { eval_time: '20m', alertname: 'HostPortGuardDown', exp_alerts: [] },
            { eval_time: '20m', alertname: 'HostPortGuardIndexNotSynced', exp_alerts: [fired('HostPortGuardIndexNotSynced', 'warning')] },
            { eval_time: '30m', alertname: 'HostPortGuardCertificateExpiresSoon', exp_alerts: [] },
            // Five days after the start, at 1h10m.
            { eval_time: '70m', alertname: 'HostPortGuardCertificateExpiresSoon', exp_alerts: [fired('HostPortGuardCertificateExpiresSoon', 'warning', '4d 22h 50m 0s')] },
          ],
        },
        {
          interval: '1m',
          input_series: [
            { series: `hostport_guard_cluster_conflicts{${labels}}`, values: '0x60' },
            { series: `hostport_guard_decisions_total{${labels}, mode="enforce", decision="allow"}`, values: '0+600x60' },
            { series: `hostport_guard_admission_duration_seconds_bucket{${labels}, le="0.001"}`, values: '0+60x60' },
            { series: `hostport_guard_admission_duration_seconds_bucket{${labels}, le="+Inf"}`, values: '0+60x60' },
            { series: `up{${labels}}`, values: '0x60' },
            { series: `hostport_guard_index_synced{${labels}}`, values: '1x60' },
            { series: `hostport_guard_certificate_expiry_timestamp_seconds{${labels}}`, values: `${365 * day}x60` },
          ],
          alert_rule_test: [
            { eval_time: '30m', alertname: 'HostPortGuardExistingConflicts', exp_alerts: [] },
            { eval_time: '30m', alertname: 'HostPortGuardReviewErrors', exp_alerts: [] },
            { eval_time: '30m', alertname: 'HostPortGuardSlowReviews', exp_alerts: [] },
            { eval_time: '30m', alertname: 'HostPortGuardDown', exp_alerts: [fired('HostPortGuardDown', 'critical')] },
            { eval_time: '30m', alertname: 'HostPortGuardIndexNotSynced', exp_alerts: [] },
            { eval_time: '30m', alertname: 'HostPortGuardCertificateExpiresSoon', exp_alerts: [] },
          ],
        },
      ],
    };
    const result = await promtoolOn({ 'rules.yaml': stringify(spec), 'tests.yaml': stringify(tests) }, () => ['test', 'rules', 'tests.yaml']);
    expect(result).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') as unknown as string });
  });
});

describe('the Grafana dashboard', () => {
  it('is a ConfigMap with the sidecar label, only when grafanaDashboard.enabled, holding one dashboard per release', async () => {
    expect((await render({ release: RELEASE, namespace: NAMESPACE })).filter((o) => String(field(o, 'metadata', 'name')).endsWith('-dashboard'))).toEqual([]);
    const objects = await rendered(['grafanaDashboard.namespace=grafana', 'grafanaDashboard.annotations.grafana_folder=Kubernetes']);
    const configMap = objects.find((o) => o['kind'] === 'ConfigMap' && text(o, 'metadata', 'name') === 'hpg-hostport-guard-dashboard');
    expect([field(configMap, 'metadata', 'namespace'), field(configMap, 'metadata', 'labels', 'grafana_dashboard'), field(configMap, 'metadata', 'annotations', 'grafana_folder')]).toEqual(['grafana', '1', 'Kubernetes']);
    const dashboard = dashboardOf(objects);
    expect([field(dashboard, 'uid'), field(dashboard, 'title')]).toEqual(['hpg-hostport-guard', 'hostport-guard']);
    expect(list(dashboard, 'panels').map((p) => field(p, 'title'))).toEqual(
      expect.arrayContaining(['Decisions by result', 'Review latency', 'Existing conflicts', 'Existing conflicts by node', 'Replicas synced']),
    );
    for (const expr of dashboardExprs(dashboard)) expect(expr).toContain(SELECTOR);
  });

  it('asks only valid PromQL (each query checked by promtool as a recording rule)', async () => {
    const exprs = dashboardExprs(dashboardOf(await rendered()));
    // $__rate_interval is Grafana's; Prometheus sees a duration in its place.
    const rules = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll('$__rate_interval', '5m') })) }] };
    const result = await promtoolOn({ 'dashboard.yaml': stringify(rules) }, () => ['check', 'rules', 'dashboard.yaml']);
    expect(result).toEqual({ code: 0, output: expect.stringContaining(`SUCCESS: ${exprs.length} rules found`) as unknown as string });
  });
});

describe('the metric names the alerts and the dashboard read', () => {
  it('are all exported by the server', async () => {
    const exported = await exportedSeries();
    const objects = await rendered();
    const exprs = [...rulesOf(objects).map((r) => text(r, 'expr')), ...dashboardExprs(dashboardOf(objects))];
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\bhostport_guard_[a-z0-9_]+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThan(8);
    expect(exprs.flatMap((e) => unknownMetrics(e, exported))).toEqual([]);
  });

  it('would catch a metric renamed in the code: a name the server does not export is reported', async () => {
    const exported = await exportedSeries();
    expect(unknownMetrics('max(hostport_guard_existing_conflict{job="x"}) > 0 or hostport_guard_index_synced', exported)).toEqual(['hostport_guard_existing_conflict']);
  });
});
