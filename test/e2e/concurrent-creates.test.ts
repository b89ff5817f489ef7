/**
 * Twenty people (or a script) create twenty identical pods for the same node and port at
 * the same moment. The API server calls the webhook for all of them concurrently, before
 * any of them exists in its watch; the webhook reserves the port for the first pod it
 * admits, so exactly one gets in and every other is told which pod has the port.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { pod } from './support/manifests.js';
import { rawPods } from './support/pods.js';
import { e2eSuite } from './support/suite.js';

jest.setTimeout(180_000);

const suite = e2eSuite({ name: 'concurrent' });

const RACERS = 20;

describe('twenty identical pinned pods created at once by parallel kubectl processes', () => {
  it('admits exactly one and denies the other nineteen, naming the one', async () => {
    const ns = await suite.namespace('race');
    const names = Array.from({ length: RACERS }, (_, i) => `race-${String(i + 1).padStart(2, '0')}`);
    const files = names.map((name) =>
      suite.manifests.write(name, pod({ name, namespace: ns, nodeName: 'worker-3', hostNetwork: true, ports: [{ containerPort: 18100 }] })),
    );

    const results = await Promise.all(files.map((file) => suite.kubectl(['create', '-f', file])));

    const winners = names.filter((_, i) => results[i]?.exitCode === 0);
    expect(winners).toHaveLength(1);
    const [winner = ''] = winners;
    const expected = names.map((name, i) =>
      name === winner
        ? { exitCode: 0, stdout: `pod/${name} created\n`, stderr: '' }
        : {
            exitCode: 1,
            stdout: '',
            stderr:
              `Error from server (Forbidden): error when creating "${files[i] ?? ''}": admission webhook "pods.hostport-guard.io" denied the request: ` +
              `hostNetwork port 18100/TCP on node worker-3 is already used by pod ${ns}/${winner} (container web); pick another port or node\n`,
          },
    );
    expect(results).toEqual(expected);

    const inCluster = await rawPods(ns);
    expect(inCluster).toHaveLength(1);
  });
});
