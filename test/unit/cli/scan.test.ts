import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

import type { ClusterScan } from '../../../src/cluster/scan.js';
import { scanOfObjects } from '../../../src/cluster/scan.js';
import type { ScanDeps, ScanOptions } from '../../../src/cli/scan.js';
import { parsePortFilter, runScan } from '../../../src/cli/scan.js';
import { MAX_STATE_BYTES } from '../../../src/cli/state-file.js';
import { InputTooLargeError } from '../../../src/yaml/bounded.js';
import type { ScanFormat } from '../../../src/cli/scan-output.js';
import { TEXT_ROWS } from '../../../src/cli/scan-output.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);
const STATE = 'states/conflicts.yaml';

function deps(extra: Record<string, string> = {}, live?: ScanDeps['liveScan']): ScanDeps & { progress: (line: string | undefined) => void; lines: (string | undefined)[] } {
  const lines: (string | undefined)[] = [];
  return {
    readFile(path) {
      return extra[path] ?? readFileSync(new URL(path, FIXTURES), 'utf8');
    },
    ...(live === undefined ? {} : { liveScan: live }),
    progress: (line) => lines.push(line),
    lines,
  };
}

function options(overrides: Partial<ScanOptions> & { output?: ScanFormat } = {}): ScanOptions {
  return { state: STATE, filters: { nodes: [], ports: [], namespaces: [] }, output: 'json', reservedPorts: [], ...overrides };
}

interface Json {
  summary: Record<string, number>;
  conflicts: {
    node: string;
    protocol: string;
    port: number;
    stricterThanScheduler: boolean;
    pods: { namespace: string; name: string; ports: { hostIP: string; container: string }[]; collidesWith: { namespace: string; name: string }[] }[];
  }[];
  cannotRun: { namespace: string; name: string; reason: string; node: string | null; holders: { node: string; holder: { namespace: string; name: string; container: string } }[] }[];
  hostPorts: { node: string; port: number; pod: { name: string }; conflict: boolean }[];
}

async function scanJson(overrides: Partial<ScanOptions> = {}, extra: Record<string, string> = {}): Promise<{ exitCode: number; json: Json }> {
  const out = await runScan(options(overrides), deps(extra));
  expect(out.stderr).toBe('');
  return { exitCode: out.exitCode, json: JSON.parse(out.stdout) as Json };
}

const name = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;

describe('scan of a cluster with conflicts', () => {
  it('reports every conflict by node with both pods, and exits 1', async () => {
    const { exitCode, json } = await scanJson();
    expect(exitCode).toBe(1);
    expect(json.conflicts.map((c) => `${c.node} ${c.port}/${c.protocol}${c.stricterThanScheduler ? ' (stricter)' : ''}: ${c.pods.map((p) => `${name(p)} -> ${p.collidesWith.map(name).join(',')}`).join(', ')}`)).toEqual([
      'worker-1 8080/TCP: shop/web-1 -> shop/web-2, shop/web-2 -> shop/web-1',
      'worker-2 53/UDP: kube-dns/dns -> net/resolver, net/resolver -> kube-dns/dns',
      'worker-3 7000/TCP (stricter): net/v4 -> net/v6, net/v6 -> net/v4',
    ]);
    expect(json.conflicts[1]?.pods.map((p) => p.ports)).toEqual([[{ hostIP: '10.0.0.2', container: 'dnsmasq' }], [{ hostIP: '0.0.0.0', container: 'unbound' }]]);
  });

  it('reports the pods that cannot run because of a port, each with its holders, and not a pod pending for cpu', async () => {
    const { json } = await scanJson();
    expect(json.cannotRun.map((b) => [name(b), b.reason, b.node, b.holders.map((h) => `${h.node} ${name(h.holder)} (${h.holder.container})`)])).toEqual([
      ['net/late', 'NodePorts', 'worker-2', ['worker-2 kube-dns/dns (dnsmasq)', 'worker-2 net/resolver (unbound)']],
      ['shop/web-3', 'Unschedulable', null, ['worker-1 shop/web-1 (web)', 'worker-1 shop/web-2 (web)']],
    ]);
  });

  it('sums it up', async () => {
    const { json } = await scanJson();
    expect(json.summary).toEqual({ conflicts: 3, podsInConflicts: 6, nodesWithConflicts: 3, podsThatCannotRun: 2, hostPorts: 9, podsHoldingHostPorts: 9, nodesWithHostPorts: 3 });
  });

  it('maps every host port to its node and pod, marking those in a conflict', async () => {
    const { json } = await scanJson();
    expect(json.hostPorts.filter((h) => h.node === 'worker-1').map((h) => `${h.port} ${h.pod.name}${h.conflict ? ' !' : ''}`)).toEqual(['8080 web-1 !', '8080 web-2 !', '9100 exporter-a']);
  });
});

describe('scan filters', () => {
  it('narrows to one node (-o json)', async () => {
    const { exitCode, json } = await scanJson({ filters: { nodes: ['worker-2'], ports: [], namespaces: [] } });
    expect([exitCode, json.conflicts.map((c) => c.node), json.cannotRun.map(name), [...new Set(json.hostPorts.map((h) => h.node))]]).toEqual([1, ['worker-2'], ['net/late'], ['worker-2']]);
  });

  it('narrows to a port and protocol, answering who holds it where', async () => {
    const { json } = await scanJson({ filters: { nodes: [], ports: [{ port: 9100, protocol: 'TCP' }], namespaces: [] } });
    expect([json.conflicts, json.cannotRun, json.hostPorts.map((h) => `${h.node} ${h.pod.name}`)]).toEqual([[], [], ['worker-1 exporter-a', 'worker-2 exporter-b', 'worker-3 exporter-c']]);
  });

  it('exits 0 when what is shown holds no problem', async () => {
    const { exitCode } = await scanJson({ filters: { nodes: [], ports: [{ port: 9100 }], namespaces: [] } });
    expect(exitCode).toBe(0);
  });

  it('keeps a conflict when one of its pods is in the namespace asked for', async () => {
    const { json } = await scanJson({ filters: { nodes: [], ports: [], namespaces: ['kube-dns'] } });
    expect([json.conflicts.map((c) => c.pods.map(name).join(' + ')), json.hostPorts.map((h) => h.pod.name)]).toEqual([['kube-dns/dns + net/resolver'], ['dns']]);
  });

  it('shows a pod the scheduler could not place under a node filter only through a holder on that node', async () => {
    const on1 = await scanJson({ filters: { nodes: ['worker-1'], ports: [], namespaces: [] } });
    const on3 = await scanJson({ filters: { nodes: ['worker-3'], ports: [], namespaces: [] } });
    expect([on1.json.cannotRun.map(name), on3.json.cannotRun.map(name)]).toEqual([['shop/web-3'], []]);
  });
});

describe('scan output', () => {
  it('prints a summary first, then tables that fit in 80 columns', async () => {
    const out = await runScan(options({ output: 'text' }), deps());
    const lines = out.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual(['3 nodes, 12 pods: 9 pods hold 9 host ports on 3 nodes.', '3 conflicts on 3 nodes; 2 pods cannot run because of a port.']);
    expect(lines.filter((l) => l.length > 80)).toEqual([]);
    expect(out.stdout).toContain(
      [
        'NODE      PORT        PODS (CONTAINER)',
        'worker-1  8080/TCP    shop/web-1 (web)',
        '                      shop/web-2 (web)',
        'worker-2  53/UDP      kube-dns/dns (dnsmasq) on 10.0.0.2',
        '                      net/resolver (unbound)',
        'worker-3  7000/TCP *  net/v4 (listener) on 10.0.0.3',
        '                      net/v6 (listener) on ::',
        '* stricter than the scheduler, which compares addresses as they are spelled',
      ].join('\n'),
    );
    expect(out.stdout).toContain(
      [
        'POD                              PORT      HELD BY',
        'net/late                         53/UDP    kube-dns/dns on worker-2',
        '  Failed: NodePorts on worker-2            net/resolver on worker-2',
        'shop/web-3                       8080/TCP  shop/web-1 on worker-1',
        '  Pending: unschedulable                   shop/web-2 on worker-1',
      ].join('\n'),
    );
    expect(out.stdout).toContain('HOST PORTS IN USE');
    expect(out.stdout).not.toContain('HOST PORTS BY NODE');
  });

  it('lists every host port by node with -o wide, and with a node or port filter', async () => {
    const wide = await runScan(options({ output: 'wide' }), deps());
    const byPort = await runScan(options({ output: 'text', filters: { nodes: [], ports: [{ port: 9100 }], namespaces: [] } }), deps());
    expect(wide.stdout).toContain(['HOST PORTS BY NODE', 'NODE      PORT               POD                    CONTAINER  NOTE', 'worker-1  8080/TCP           shop/web-1             web        conflict'].join('\n'));
    expect(byPort.stdout).toContain(['HOST PORTS BY NODE', 'NODE      PORT      POD                    CONTAINER', 'worker-1  9100/TCP  monitoring/exporter-a  exporter', 'worker-2  9100/TCP  monitoring/exporter-b  exporter'].join('\n'));
  });

  it('prints the same report as YAML', async () => {
    const json = await runScan(options({ output: 'json' }), deps());
    const yaml = await runScan(options({ output: 'yaml' }), deps());
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it('cuts long lists in text and says how many more -o wide shows', async () => {
    const pods = Array.from({ length: TEXT_ROWS + 5 }, (_v, i) => ({
      kind: 'Pod',
      metadata: { name: `p${String(i).padStart(2, '0')}`, namespace: 'busy', uid: `u${i}` },
      spec: { nodeName: `n${i}`, hostNetwork: true, containers: [{ name: 'c', ports: [{ containerPort: 80 }, { containerPort: 81 }] }] },
      status: { phase: 'Running' },
    }));
    const twins = pods.map((p) => ({ ...p, metadata: { ...p.metadata, name: `${p.metadata.name}-twin`, uid: `${p.metadata.uid}-twin` } }));
    const state = JSON.stringify({ kind: 'List', items: [...pods, ...twins] });
    const text = await runScan(options({ output: 'text', state: 'busy.json' }), deps({ 'busy.json': state }));
    const wide = await runScan(options({ output: 'wide', state: 'busy.json' }), deps({ 'busy.json': state }));
    // Each pod and its twin contest 80 and 81 on their node: two conflicts per node.
    expect(text.stdout).toContain(`... and ${2 * (TEXT_ROWS + 5) - TEXT_ROWS} more conflicts (-o wide shows all)`);
    expect(wide.stdout).not.toContain('(-o wide shows all)');
    expect(wide.stdout.match(/-twin \(c\)/g)).toHaveLength(2 * (TEXT_ROWS + 5));
  });

  it('shows hostile names escaped in every format, and JSON and YAML still read back the same values', async () => {
    const hostile = 'evil\u001b[2J\rallow\u202e';
    const state = JSON.stringify({
      kind: 'List',
      items: ['a', 'b'].map((suffix) => ({
        kind: 'Pod',
        metadata: { name: `${hostile}-${suffix}`, namespace: 'x', uid: suffix },
        spec: { nodeName: 'n\u0007', hostNetwork: true, containers: [{ name: 'c\u0085', ports: [{ containerPort: 80 }] }] },
      })),
    });
    // Everything hostile above except the newlines between lines.
    const hidden = /(?!\n)[\p{Cc}\u202e]/u;
    for (const output of ['text', 'wide', 'json', 'yaml'] as const) {
      const out = await runScan(options({ output, state: 'hostile.json' }), deps({ 'hostile.json': state }));
      expect([output, hidden.test(out.stdout)]).toEqual([output, false]);
      const escaped = { text: 'evil\\u001b[2J\\u000dallow\\u202e-a', wide: 'evil\\u001b[2J\\u000dallow\\u202e-a', json: 'evil\\u001b[2J\\rallow\\u202e-a', yaml: 'evil\\e[2J\\rallow\\u202e-a' };
      expect(out.stdout).toContain(escaped[output]);
    }
    const json = await runScan(options({ output: 'json', state: 'hostile.json' }), deps({ 'hostile.json': state }));
    const parsed = JSON.parse(json.stdout) as Json;
    expect(parsed.conflicts[0]?.pods.map((p) => p.name)).toEqual([`${hostile}-a`, `${hostile}-b`]);
  });
});

describe('scan inputs', () => {
  it('exits 2 with every problem of an unusable state file', async () => {
    const out = await runScan(options({ state: 'bad.yaml' }), deps({ 'bad.yaml': 'kind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n  spec: {}\n' }));
    expect(out).toEqual({ exitCode: 2, stdout: '', stderr: expect.stringContaining('bad.yaml: document 1, item 1: Pod a') as unknown as string });
  });

  it('exits 2 when a file cannot be read', async () => {
    const out = await runScan(options({ state: 'missing.yaml' }), {
      readFile: () => {
        throw new Error('ENOENT: no such file or directory');
      },
    });
    expect(out).toEqual({ exitCode: 2, stdout: '', stderr: 'error: cannot read missing.yaml: ENOENT: no such file or directory\n' });
  });

  it('reads at most the state file limit, and exits 2 naming the file and the limit past it', async () => {
    const asked: number[] = [];
    const out = await runScan(options({ state: 'huge.yaml' }), {
      readFile: (_path, maxBytes) => {
        asked.push(maxBytes);
        throw new InputTooLargeError(maxBytes);
      },
    });
    expect(asked).toEqual([MAX_STATE_BYTES]);
    expect(out).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'error: huge.yaml: more than 32 MiB, the most hostport-guard reads for a cluster state (read a larger cluster live instead)\n',
    });
  });

  it('refuses a state file nested past the limit with exit 2, without running out of stack', async () => {
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}\n`;
    const out = await runScan(options({ state: 'deep.yaml' }), deps({ 'deep.yaml': deep }));
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toContain('deep.yaml');
    expect(out.stderr).toContain('256');
  });

  it('reads the live cluster when no state file is given, showing progress and clearing it at the end', async () => {
    const text = readFileSync(new URL(STATE, FIXTURES), 'utf8');
    const objects: unknown = parse(text);
    const seen: unknown[] = [];
    const d = deps({}, (source, onProgress) => {
      seen.push(source);
      onProgress({ resource: 'pods', read: 500 });
      onProgress({ resource: 'pods', read: 1000, remaining: 1500 });
      const result = scanOfObjects(objects);
      if (!result.ok) throw result.error;
      return Promise.resolve<ClusterScan>(result.scan);
    });
    const { state: _state, ...live } = options({ kubeconfig: '/k', context: 'prod' });
    const out = await runScan(live, d);
    expect([out.exitCode, seen, d.lines]).toEqual([1, [{ kubeconfig: '/k', context: 'prod' }], ['reading pods: 500', 'reading pods: 1,000 of ~2,500', undefined]]);
  });

  it('exits 2 with the API server’s error, escaped, and clears the progress line', async () => {
    const d = deps({}, () => Promise.reject(new Error('GET /api/v1/pods failed with HTTP 403: forbidden\u001b[31m')));
    const { state: _state, ...live } = options();
    const out = await runScan(live, d);
    expect([out.exitCode, out.stderr, d.lines]).toEqual([2, 'error: cannot read the cluster: GET /api/v1/pods failed with HTTP 403: forbidden\\u001b[31m\n', [undefined]]);
  });
});

describe('parsePortFilter', () => {
  it.each([
    ['8080', { port: 8080 }],
    ['53/udp', { port: 53, protocol: 'UDP' }],
    [' 9100/TCP ', { port: 9100, protocol: 'TCP' }],
  ])('reads %j', (text, want) => {
    expect(parsePortFilter(text)).toEqual(want);
  });

  it.each(['0', '65536', 'http', '80/ICMP', '80/', '-1'])('refuses %j', (text) => {
    expect(typeof parsePortFilter(text)).toBe('string');
  });
});

describe('scan of a port many pods contest', () => {
  it('shows one conflict, a few of its pods in text and all of them with -o wide', async () => {
    const pods = Array.from({ length: 12 }, (_v, i) => ({
      kind: 'Pod',
      metadata: { name: `replica-${String(i).padStart(2, '0')}`, namespace: 'app', uid: `u${i}` },
      spec: { nodeName: 'worker-1', hostNetwork: true, containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] },
    }));
    const state = JSON.stringify({ kind: 'List', items: pods });
    const text = await runScan(options({ output: 'text', state: 'many.json' }), deps({ 'many.json': state }));
    const wide = await runScan(options({ output: 'wide', state: 'many.json' }), deps({ 'many.json': state }));
    expect(text.stdout.split('\n')[1]).toBe('1 conflict on 1 node; no pod is kept from running by a port.');
    expect(text.stdout).toContain(['worker-1  80/TCP  app/replica-00 (c)', '                  app/replica-01 (c)', '                  app/replica-02 (c)', '                  +9 more pods'].join('\n'));
    expect(wide.stdout).toContain('                  app/replica-11 (c)\n');
  });
});

describe('scan with node daemons\' reserved ports', () => {
  const kubelet = [
    { owner: 'kubelet', protocol: 'TCP', port: 10250 },
    { owner: 'kubelet', protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 },
  ];
  const state = JSON.stringify({
    kind: 'List',
    items: [
      { kind: 'Pod', metadata: { name: 'agent', namespace: 'ops', uid: 'u1' }, spec: { nodeName: 'worker-1', hostNetwork: true, containers: [{ name: 'a', ports: [{ containerPort: 10250 }] }] } },
      { kind: 'Pod', metadata: { name: 'exporter', namespace: 'ops', uid: 'u2' }, spec: { nodeName: 'worker-1', hostNetwork: true, containers: [{ name: 'e', ports: [{ containerPort: 9100 }] }] } },
    ],
  });

  it('reports a pod on the kubelet\'s port as a conflict with the node daemon, and lists the daemons\' ports', async () => {
    const text = await runScan(options({ output: 'text', state: 's.json', reservedPorts: kubelet }), deps({ 's.json': state }));
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain(['NODE      PORT       PODS (CONTAINER)', 'worker-1  10250/TCP  ops/agent (a)', '                     node daemon kubelet'].join('\n'));
    expect(text.stdout).toContain('Held by node daemons on every node (--reserved-port):\n  kubelet 10250/TCP, kubelet 127.0.0.1:10248/TCP\n');
    const json = JSON.parse((await runScan(options({ state: 's.json', reservedPorts: kubelet }), deps({ 's.json': state }))).stdout) as { conflicts: { daemons: unknown[]; pods: { collidesWithDaemons: string[] }[] }[]; reservedPorts: unknown[] };
    expect(json.conflicts.map((c) => [c.daemons, c.pods.map((p) => p.collidesWithDaemons)])).toEqual([[[{ owner: 'kubelet', protocol: 'TCP', hostIP: '0.0.0.0', port: 10250 }], [['kubelet']]]]);
    expect(json.reservedPorts).toHaveLength(2);
  });

  it('finds nothing there without them', async () => {
    const text = await runScan(options({ output: 'text', state: 's.json' }), deps({ 's.json': state }));
    expect([text.exitCode, text.stdout.split('\n')[1]]).toEqual([0, 'No conflicts, and no pod is kept from running by a port.']);
  });
});
