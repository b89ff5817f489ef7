/**
 * The same collision answered three ways: `enforce` denies it, `warn` lets it in with a
 * `Warning:` line in kubectl's output, `audit` lets it in silently and only the webhook's
 * metrics and log show it. The mode comes from the webhook's --mode, and a namespace
 * label `hostport-guard.io/mode` overrides it; exempt namespaces are never decided.
 */
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { MODE_LABEL } from '../../src/admission/policy.js';
import { pod } from './support/manifests.js';
import { sampleValue } from './support/metrics.js';
import { namespaceName } from './support/namespaces.js';
import type { RunResult } from './support/process.js';
import type { Suite } from './support/suite.js';
import { e2eSuite } from './support/suite.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(120_000);

/** Decided nowhere: given to the webhook as --exempt-namespace. */
const EXEMPT_BY_FLAG = namespaceName('exempt-flag');
/** Never sent to the webhook: the chart's exemptNamespaces value. */
const EXEMPT_BY_CHART = namespaceName('exempt-chart');

const suite = e2eSuite({ name: 'modes', exemptNamespaces: [EXEMPT_BY_FLAG], chartExemptNamespaces: [EXEMPT_BY_CHART] });

/** A hostNetwork pod `name` pinned to worker-1 with `port`. */
const pinned = (name: string, ns: string, port: number): string =>
  suite.manifests.write(name, pod({ name, namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: port }] }));

/**
 * Creates the holder web-1 of `port` in `ns` and writes web-2, which collides with it, in
 * `into`. Every test uses its own port, so none depends on an earlier one's cleanup.
 */
async function holderAndNewcomer(s: Suite, ns: string, port: number, into = ns): Promise<string> {
  expect(await s.kubectl(['apply', '-f', pinned('web-1', ns, port)])).toEqual({ exitCode: 0, stdout: 'pod/web-1 created\n', stderr: '' });
  return pinned('web-2', into, port);
}

const createdSilently = (name: string): RunResult => ({ exitCode: 0, stdout: `pod/${name} created\n`, stderr: '' });

const warned = (ns: string, port: number): RunResult => ({
  exitCode: 0,
  stdout: 'pod/web-2 created\n',
  stderr: `Warning: hostNetwork port ${port}/TCP on node worker-1 is used by pod ${ns}/web-1 (container web)\n`,
});

const denied = (file: string, ns: string, port: number): RunResult => ({
  exitCode: 1,
  stdout: '',
  stderr:
    `Error from server (Forbidden): error when creating "${file}": admission webhook "pods.hostport-guard.io" denied the request: ` +
    `hostNetwork port ${port}/TCP on node worker-1 is already used by pod ${ns}/web-1 (container web); pick another port or node\n`,
});

const isWarned = (r: RunResult): boolean => r.exitCode === 0 && r.stderr.startsWith('Warning: ');
const isAdmittedSilently = (r: RunResult): boolean => r.exitCode === 0 && r.stderr === '';
const isDenied = (r: RunResult): boolean => r.exitCode === 1 && r.stderr.includes('denied the request');

async function counters(s: Suite): Promise<{ decisions: (labels: Record<string, string>) => number; conflicting: (mode: string) => number }> {
  const samples = await s.webhook().metrics();
  return {
    decisions: (labels) => sampleValue(samples, 'hostport_guard_decisions_total', labels),
    conflicting: (mode) => sampleValue(samples, 'hostport_guard_conflicting_reviews_total', { mode }),
  };
}

/** The webhook's log line about the pod `ns/name`, written after entry `from`. */
async function logLineAbout(s: Suite, from: number, ns: string, name: string): Promise<Record<string, unknown>> {
  return eventually(`the webhook to log its answer about ${ns}/${name}`, () => {
    const line = s.webhook().logEntries().slice(from).find((e) => e['namespace'] === ns && e['name'] === name);
    return Promise.resolve(line === undefined ? notYet('no such log line') : done(line));
  });
}

describe('a webhook started with --mode enforce', () => {
  it('denies the collision in a namespace without a mode label', async () => {
    const ns = await suite.namespace('enforce');
    const newcomer = await holderAndNewcomer(suite, ns, 18080);
    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(denied(newcomer, ns, 18080));
  });

  it('admits it with a Warning in a namespace labelled hostport-guard.io/mode=warn', async () => {
    const ns = await suite.namespace('label-warn', { [MODE_LABEL]: 'warn' });
    const newcomer = await holderAndNewcomer(suite, ns, 18081);
    await suite.dryRunUntil('the webhook to know the warn label', newcomer, isWarned);

    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(warned(ns, 18081));
  });

  it('admits it silently in a namespace labelled audit, and counts and logs the conflict', async () => {
    const ns = await suite.namespace('label-audit', { [MODE_LABEL]: 'audit' });
    const newcomer = await holderAndNewcomer(suite, ns, 18082);
    await suite.dryRunUntil('the webhook to know the audit label', newcomer, isAdmittedSilently);
    const before = await counters(suite);
    const logFrom = suite.webhook().logEntries().length;

    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(createdSilently('web-2'));

    const after = await counters(suite);
    expect(after.decisions({ mode: 'audit', decision: 'allow' }) - before.decisions({ mode: 'audit', decision: 'allow' })).toBe(1);
    expect(after.conflicting('audit') - before.conflicting('audit')).toBe(1);
    expect(await logLineAbout(suite, logFrom, ns, 'web-2')).toEqual(
      expect.objectContaining({ msg: 'request answered', kind: 'Pod', operation: 'CREATE', mode: 'audit', decision: 'allow', conflicts: 1 }),
    );
  });

  it('keeps enforcing in a namespace whose label names no mode (a typo never switches it off)', async () => {
    const ns = await suite.namespace('label-typo', { [MODE_LABEL]: 'warm' });
    const newcomer = await holderAndNewcomer(suite, ns, 18083);
    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(denied(newcomer, ns, 18083));
  });

  it('admits it silently in a namespace given to --exempt-namespace, which the webhook skips', async () => {
    const ns = await suite.namespace('holder');
    await suite.namespaceNamed(EXEMPT_BY_FLAG);
    const newcomer = await holderAndNewcomer(suite, ns, 18084, EXEMPT_BY_FLAG);
    const before = await counters(suite);

    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(createdSilently('web-2'));

    const after = await counters(suite);
    expect(after.decisions({ mode: 'exempt' }) - before.decisions({ mode: 'exempt' })).toBe(1);
  });

  it("admits it silently in a namespace of the chart's exemptNamespaces, which the API server never sends", async () => {
    const ns = await suite.namespace('holder');
    await suite.namespaceNamed(EXEMPT_BY_CHART);
    const newcomer = await holderAndNewcomer(suite, ns, 18085, EXEMPT_BY_CHART);
    const before = await counters(suite);

    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(createdSilently('web-2'));

    const after = await counters(suite);
    expect(after.decisions({}) - before.decisions({})).toBe(0);
  });
});

describe('a webhook started with --mode warn', () => {
  beforeAll(async () => {
    await suite.stopWebhook();
    await suite.startWebhook({ mode: 'warn' });
  });

  it('admits the collision with a Warning naming the holder', async () => {
    const ns = await suite.namespace('warn');
    const newcomer = await holderAndNewcomer(suite, ns, 18086);
    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(warned(ns, 18086));
  });

  it('denies it in a namespace labelled hostport-guard.io/mode=enforce', async () => {
    const ns = await suite.namespace('label-enforce', { [MODE_LABEL]: 'enforce' });
    const newcomer = await holderAndNewcomer(suite, ns, 18087);
    await suite.dryRunUntil('the webhook to know the enforce label', newcomer, isDenied);

    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(denied(newcomer, ns, 18087));
  });
});

describe('a webhook started with --mode audit', () => {
  beforeAll(async () => {
    await suite.stopWebhook();
    await suite.startWebhook({ mode: 'audit' });
  });

  it('admits the collision silently; only the metrics and the log show it', async () => {
    const ns = await suite.namespace('audit');
    const newcomer = await holderAndNewcomer(suite, ns, 18088);
    const before = await counters(suite);
    const logFrom = suite.webhook().logEntries().length;

    expect(await suite.kubectl(['apply', '-f', newcomer])).toEqual(createdSilently('web-2'));

    const after = await counters(suite);
    expect(after.decisions({ mode: 'audit', decision: 'allow' }) - before.decisions({ mode: 'audit', decision: 'allow' })).toBe(1);
    expect(after.conflicting('audit') - before.conflicting('audit')).toBe(1);
    expect(await logLineAbout(suite, logFrom, ns, 'web-2')).toEqual(
      expect.objectContaining({ msg: 'request answered', mode: 'audit', decision: 'allow', conflicts: 1 }),
    );
  });
});
