/**
 * What happens around outages. With the webhook down, `failurePolicy: Fail` refuses
 * pods that hold host ports with the API server's own error, `Ignore` lets them in
 * unchecked, and pods without host ports never notice (the chart's matchConditions keep
 * them away from the webhook). A restarted webhook lists the cluster before it reports
 * ready, so it knows the pods created while it was away. And when the API server itself
 * restarts, the webhook's watch reconnects and keeps following new pods.
 */
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { restartApiServer } from './support/apiserver.js';
import { pod } from './support/manifests.js';
import { sampleValue } from './support/metrics.js';
import { waitForNode } from './support/pods.js';
import type { RunResult } from './support/process.js';
import { e2eSuite } from './support/suite.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(240_000);

const suite = e2eSuite({ name: 'outages', failurePolicy: 'Fail' });

let ns = '';

const pinned = (name: string, port: number, node = 'worker-1'): string =>
  suite.manifests.write(name, pod({ name, namespace: ns, nodeName: node, hostNetwork: true, ports: [{ containerPort: port }] }));

const created = (name: string): RunResult => ({ exitCode: 0, stdout: `pod/${name} created\n`, stderr: '' });

const denied = (file: string, message: string): RunResult => ({
  exitCode: 1,
  stdout: '',
  stderr: `Error from server (Forbidden): error when creating "${file}": admission webhook "pods.hostport-guard.io" denied the request: ${message}\n`,
});

beforeAll(async () => {
  ns = await suite.fileNamespace('outage');
});

describe('while the webhook is down', () => {
  let port = 0;
  beforeAll(async () => {
    port = suite.webhook().options.port;
    await suite.stopWebhook();
  });

  it('refuses a hostNetwork pod with the API server\'s "failed calling webhook" error under failurePolicy Fail', async () => {
    const file = pinned('refused', 18110);
    expect(await suite.kubectl(['apply', '-f', file])).toEqual({
      exitCode: 1,
      stdout: '',
      stderr:
        `Error from server (InternalError): error when creating "${file}": Internal error occurred: failed calling webhook "pods.hostport-guard.io": ` +
        `failed to call webhook: Post "https://127.0.0.1:${port}/validate?timeout=5s": dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
    });
  });

  it('admits a pod without host ports even under failurePolicy Fail: it is never sent to the webhook', async () => {
    const file = suite.manifests.write('plain', pod({ name: 'plain', namespace: ns, nodeName: 'worker-1', ports: [{ containerPort: 18110 }] }));
    expect(await suite.kubectl(['apply', '-f', file])).toEqual(created('plain'));
  });

  it('admits the hostNetwork pod unchecked under failurePolicy Ignore', async () => {
    await suite.register({ failurePolicy: 'Ignore' });
    const file = pinned('while-down', 18110);
    await suite.dryRunUntil('the API server to use failurePolicy Ignore', file, (r) => r.exitCode === 0);

    expect(await suite.kubectl(['apply', '-f', file])).toEqual(created('while-down'));
  });
});

describe('when the webhook is back', () => {
  beforeAll(async () => {
    await suite.startWebhook();
    await suite.register({ failurePolicy: 'Fail' });
  });

  it('is ready only once it knows the pods created while it was down, and denies a collision with them', async () => {
    expect(await suite.webhook().readyz()).toBe(200);
    const file = pinned('after-restart', 18110);
    expect(await suite.kubectl(['apply', '-f', file])).toEqual(
      denied(file, `hostNetwork port 18110/TCP on node worker-1 is already used by pod ${ns}/while-down (container web); pick another port or node`),
    );
  });
});

describe('when the API server restarts under the running webhook', () => {
  let restartsBefore = 0;
  beforeAll(async () => {
    restartsBefore = sampleValue(await suite.webhook().metrics(), 'hostport_guard_watch_restarts_total');
    await restartApiServer();
  });

  it('stays or becomes ready again, having restarted its watches', async () => {
    await eventually('the webhook to answer /readyz with 200', async () => {
      const status = await suite.webhook().readyz();
      return status === 200 ? done(undefined) : notYet(`/readyz answered ${status}`);
    });
    const restarts = sampleValue(await suite.webhook().metrics(), 'hostport_guard_watch_restarts_total');
    expect(restarts).toBeGreaterThan(restartsBefore);
  });

  it('denies a pod colliding with a pod that the scheduler placed after the restart', async () => {
    const scheduled = suite.manifests.write('scheduled', pod({ name: 'scheduled', namespace: ns, hostNetwork: true, ports: [{ containerPort: 18111 }] }));
    expect(await suite.kubectl(['apply', '-f', scheduled])).toEqual(created('scheduled'));
    const node = await waitForNode(ns, 'scheduled');

    // The webhook never saw the binding: only its watch can tell it where the pod went.
    const file = pinned('collider', 18111, node);
    await suite.dryRunUntil(`the webhook's watch to show ${ns}/scheduled on ${node}`, file, (r) => r.exitCode === 1);

    expect(await suite.kubectl(['apply', '-f', file])).toEqual(
      denied(file, `hostNetwork port 18111/TCP on node ${node} is already used by pod ${ns}/scheduled (container web); pick another port or node`),
    );
  });
});
