import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { MAX_HOST_PORTS } from '../../../src/admission/budget.js';
import type { ResultJson } from '../../../src/cli/check-output.js';
import type { CheckDeps, CheckOptions } from '../../../src/cli/check.js';
import { runCheck } from '../../../src/cli/check.js';
import { MAX_STATE_BYTES } from '../../../src/cli/state-file.js';
import { MAX_MANIFEST_BYTES, MAX_OBJECT_BYTES } from '../../../src/manifests/read.js';
import { InputTooLargeError, MAX_YAML_DEPTH } from '../../../src/yaml/bounded.js';
import { stateFromText } from '../../../src/cli/state-file.js';
import { KUBELET_PORTS } from '../../fixtures/pods.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);
const STATE = 'states/cluster.yaml';

/** Reads fixture files by their path below test/fixtures; extra files are given as text. */
function deps(extra: Record<string, string> = {}, stdin = ''): CheckDeps & { stdinReads: () => number } {
  let reads = 0;
  return {
    readFile(path) {
      const text = extra[path];
      return text ?? readFileSync(new URL(path, FIXTURES), 'utf8');
    },
    readStdin() {
      reads += 1;
      return Promise.resolve(stdin);
    },
    stdinReads: () => reads,
  };
}

function options(files: string[], overrides: Partial<CheckOptions> = {}): CheckOptions {
  return { files, state: STATE, mode: 'enforce', output: 'json', exemptNamespaces: [], reservedPorts: KUBELET_PORTS, undeclaredPorts: 'warn', ...overrides };
}

async function results(files: string[], overrides: Partial<CheckOptions> = {}): Promise<{ exitCode: number; results: unknown }> {
  const out = await runCheck(options(files, overrides), deps());
  const parsed: unknown = out.stdout === '' ? undefined : JSON.parse(out.stdout);
  const list = typeof parsed === 'object' && parsed !== null && 'results' in parsed ? parsed.results : out.stderr;
  return { exitCode: out.exitCode, results: list };
}

const INGRESS = { namespace: 'default', name: 'ingress-7d9f8b6c4-x2x7k', container: 'nginx' };

function allow(kind: string, namespace: string, name: string, node: string | null): ResultJson {
  return { kind, namespace, name, decision: 'allow', node, conflicts: [], messages: [] };
}

const table: [string, string[], Partial<CheckOptions>, number, ResultJson[]][] = [
  [
    'denies a hostNetwork pod pinned to a node where its defaulted hostPort is taken',
    ['manifests/pinned-hostnetwork.yaml'],
    {},
    1,
    [
      {
        kind: 'Pod',
        namespace: 'default',
        name: 'web-2',
        decision: 'deny',
        node: 'worker-1',
        conflicts: [{ node: 'worker-1', protocol: 'TCP', hostIP: '0.0.0.0', port: 8080, holder: INGRESS }],
        messages: [
          'hostNetwork port 8080/TCP on node worker-1 is already used by pod default/ingress-7d9f8b6c4-x2x7k (container nginx); pick another port or node',
        ],
      },
    ],
  ],
  [
    'denies a hostPort without hostNetwork like a hostNetwork port',
    ['manifests/hostport-only.yaml'],
    {},
    1,
    [
      {
        kind: 'Pod',
        namespace: 'default',
        name: 'api',
        decision: 'deny',
        node: 'worker-1',
        conflicts: [{ node: 'worker-1', protocol: 'TCP', hostIP: '0.0.0.0', port: 8443, holder: INGRESS }],
        messages: [
          'hostPort 8443/TCP on node worker-1 is already used by pod default/ingress-7d9f8b6c4-x2x7k (container nginx); pick another port or node',
        ],
      },
    ],
  ],
  [
    'denies a DaemonSet pod on the node its matchFields affinity names',
    ['manifests/daemonset-pod.yaml'],
    {},
    1,
    [
      {
        kind: 'Pod',
        namespace: 'monitoring',
        name: 'agent-* (generated)',
        decision: 'deny',
        node: 'worker-2',
        conflicts: [
          {
            node: 'worker-2',
            protocol: 'TCP',
            hostIP: '0.0.0.0',
            port: 9100,
            holder: { namespace: 'kube-system', name: 'node-exporter-z8w5t', container: 'node-exporter' },
          },
        ],
        messages: [
          'hostNetwork port 9100/TCP on node worker-2 is already used by pod kube-system/node-exporter-z8w5t (container node-exporter); pick another port or node',
        ],
      },
    ],
  ],
  [
    'catches the second of two colliding pods in one file, pinned by hostname label',
    ['manifests/two-pods.yaml'],
    {},
    1,
    [
      allow('Pod', 'default', 'relay-a', 'worker-2'),
      {
        kind: 'Pod',
        namespace: 'default',
        name: 'relay-b',
        decision: 'deny',
        node: 'worker-2',
        conflicts: [
          { node: 'worker-2', protocol: 'TCP', hostIP: '0.0.0.0', port: 7070, holder: { namespace: 'default', name: 'relay-a', container: 'relay' } },
        ],
        messages: ['hostPort 7070/TCP on node worker-2 is already used by pod default/relay-a (container relay); pick another port or node'],
      },
      allow('Pod', 'default', 'relay-c', 'worker-3'),
    ],
  ],
  [
    'counts a sidecar port but not an ordinary init container port',
    ['manifests/sidecar.yaml'],
    {},
    1,
    [
      {
        kind: 'Pod',
        namespace: 'default',
        name: 'probe-9090',
        decision: 'deny',
        node: 'worker-3',
        conflicts: [
          { node: 'worker-3', protocol: 'TCP', hostIP: '0.0.0.0', port: 9090, holder: { namespace: 'default', name: 'meshed', container: 'proxy' } },
        ],
        messages: ['hostPort 9090/TCP on node worker-3 is already used by pod default/meshed (container proxy); pick another port or node'],
      },
      allow('Pod', 'default', 'probe-9091', 'worker-3'),
    ],
  ],
  [
    'ignores a Succeeded holder and names a terminating one',
    ['manifests/holders.yaml'],
    {},
    1,
    [
      allow('Pod', 'default', 'report-2', 'worker-2'),
      {
        kind: 'Pod',
        namespace: 'default',
        name: 'worker-next',
        decision: 'deny',
        node: 'worker-3',
        conflicts: [
          { node: 'worker-3', protocol: 'TCP', hostIP: '0.0.0.0', port: 9000, holder: { namespace: 'default', name: 'draining', container: 'worker' } },
        ],
        messages: [
          'hostPort 9000/TCP on node worker-3 is already used by pod default/draining (container worker, terminating); pick another port or node',
        ],
      },
    ],
  ],
  [
    'treats [::] as taking the IPv4 port, and other protocols as free',
    ['manifests/ipv6.yaml'],
    {},
    1,
    [
      {
        kind: 'Pod',
        namespace: 'default',
        name: 'mdns-v4',
        decision: 'deny',
        node: 'worker-3',
        conflicts: [
          { node: 'worker-3', protocol: 'TCP', hostIP: '10.0.0.3', port: 5353, holder: { namespace: 'default', name: 'v6-listener', container: 'mdns' } },
        ],
        messages: [
          'hostPort 10.0.0.3:5353/TCP on node worker-3 is already used by pod default/v6-listener (container mdns, on [::]:5353/TCP) ' +
            '(stricter than the scheduler: on Linux [::] also takes the IPv4 port); pick another port or node',
        ],
      },
      allow('Pod', 'default', 'mdns-udp', 'worker-3'),
    ],
  ],
  [
    'warns about workloads whose ports are taken on some nodes, never denies them',
    ['manifests/workloads.yaml'],
    {},
    0,
    [
      {
        kind: 'Deployment',
        namespace: 'default',
        name: 'exporter',
        decision: 'warn',
        node: null,
        conflicts: [
          { node: 'worker-1', protocol: 'TCP', hostIP: '0.0.0.0', port: 9100, holder: { namespace: 'kube-system', name: 'node-exporter-4kq2m', container: 'node-exporter' } },
          { node: 'worker-2', protocol: 'TCP', hostIP: '0.0.0.0', port: 9100, holder: { namespace: 'kube-system', name: 'node-exporter-z8w5t', container: 'node-exporter' } },
        ],
        messages: ['hostNetwork port 9100/TCP is taken on 2 of 3 candidate nodes by kube-system/node-exporter-4kq2m and 1 more; pods needing it cannot run there'],
      },
      {
        kind: 'DaemonSet',
        namespace: 'monitoring',
        name: 'exporter-ds',
        decision: 'warn',
        node: null,
        conflicts: [
          { node: 'worker-1', protocol: 'TCP', hostIP: '0.0.0.0', port: 9100, holder: { namespace: 'kube-system', name: 'node-exporter-4kq2m', container: 'node-exporter' } },
          { node: 'worker-2', protocol: 'TCP', hostIP: '0.0.0.0', port: 9100, holder: { namespace: 'kube-system', name: 'node-exporter-z8w5t', container: 'node-exporter' } },
        ],
        messages: ['hostNetwork port 9100/TCP is taken on 2 of 3 candidate nodes by kube-system/node-exporter-4kq2m and 1 more; its pods cannot run there'],
      },
    ],
  ],
  [
    'follows a namespace label that lowers the mode to warn',
    ['manifests/team-a.yaml'],
    {},
    0,
    [
      {
        kind: 'Pod',
        namespace: 'team-a',
        name: 'web',
        decision: 'warn',
        node: 'worker-1',
        conflicts: [{ node: 'worker-1', protocol: 'TCP', hostIP: '0.0.0.0', port: 8080, holder: INGRESS }],
        messages: ['hostNetwork port 8080/TCP on node worker-1 is used by pod default/ingress-7d9f8b6c4-x2x7k (container nginx)'],
      },
    ],
  ],
  [
    'records conflicts without denying in audit mode',
    ['manifests/pinned-hostnetwork.yaml'],
    { mode: 'audit' },
    0,
    [
      {
        kind: 'Pod',
        namespace: 'default',
        name: 'web-2',
        decision: 'allow',
        node: 'worker-1',
        conflicts: [{ node: 'worker-1', protocol: 'TCP', hostIP: '0.0.0.0', port: 8080, holder: INGRESS }],
        messages: [],
      },
    ],
  ],
  [
    'skips objects in an exempt namespace, saying so, without naming conflicts',
    ['manifests/pinned-hostnetwork.yaml'],
    { exemptNamespaces: ['default'] },
    0,
    [{ kind: 'Pod', namespace: 'default', name: 'web-2', decision: 'skip', node: 'worker-1', conflicts: [], messages: ['exempt namespace'] }],
  ],
  [
    'reads JSON Lists and names generateName-only pods',
    ['manifests/list.json'],
    {},
    1,
    [
      {
        kind: 'Pod',
        namespace: 'default',
        name: 'scrape-* (generated)',
        decision: 'deny',
        node: 'worker-1',
        conflicts: [
          { node: 'worker-1', protocol: 'TCP', hostIP: '0.0.0.0', port: 9100, holder: { namespace: 'kube-system', name: 'node-exporter-4kq2m', container: 'node-exporter' } },
        ],
        messages: [
          'hostNetwork port 9100/TCP on node worker-1 is already used by pod kube-system/node-exporter-4kq2m (container node-exporter); pick another port or node',
        ],
      },
    ],
  ],
  ['leaves skipped kinds out of the results', ['manifests/mixed.yaml'], {}, 0, [allow('Pod', 'default', 'plain', null)]],
];

describe('runCheck', () => {
  it.each(table)('%s', async (_name, files, overrides, exitCode, expected) => {
    expect(await results(files, overrides)).toEqual({ exitCode, results: expected });
  });

  it('lets an exempt pod hold its ports for the pods after it', async () => {
    const text = readFileSync(new URL('manifests/two-pods.yaml', FIXTURES), 'utf8').replace('name: relay-a', 'name: relay-a\n  namespace: ops');
    const out = await runCheck(options(['two.yaml'], { exemptNamespaces: ['ops'] }), deps({ 'two.yaml': text }));
    expect([out.exitCode, out.stdout]).toEqual([1, expect.stringContaining('"name": "relay-a"')]);
    expect(out.stdout).toContain('already used by pod ops/relay-a');
  });

  it('notes skipped kinds on stderr in JSON mode, keeping stdout pure JSON', async () => {
    const out = await runCheck(options(['manifests/mixed.yaml']), deps());
    expect(out.stderr).toBe(
      'skipped ConfigMap settings: not a kind hostport-guard checks\nskipped Service default/web: not a kind hostport-guard checks\n',
    );
  });

  it('prints one line per object in text mode, warnings indented, then a summary', async () => {
    const out = await runCheck(
      options(['manifests/two-pods.yaml', 'manifests/team-a.yaml', 'manifests/mixed.yaml'], { output: 'text' }),
      deps(),
    );
    expect([out.exitCode, out.stderr]).toEqual([1, '']);
    expect(out.stdout).toBe(
      [
        'allow Pod default/relay-a on worker-2',
        'deny  Pod default/relay-b on worker-2: hostPort 7070/TCP on node worker-2 is already used by pod default/relay-a (container relay); pick another port or node',
        'allow Pod default/relay-c on worker-3',
        'warn  Pod team-a/web on worker-1',
        '  warning: hostNetwork port 8080/TCP on node worker-1 is used by pod default/ingress-7d9f8b6c4-x2x7k (container nginx)',
        'allow Pod default/plain',
        'skip  ConfigMap settings: not a kind hostport-guard checks',
        'skip  Service default/web: not a kind hostport-guard checks',
        '5 objects checked: 1 denied, 1 with warnings, 3 allowed; 2 skipped',
        '',
      ].join('\n'),
    );
  });

  it('says in text mode when a conflict is only recorded, or the namespace is exempt', async () => {
    const audit = await runCheck(options(['manifests/pinned-hostnetwork.yaml'], { output: 'text', mode: 'audit' }), deps());
    const exempt = await runCheck(options(['manifests/pinned-hostnetwork.yaml'], { output: 'text', exemptNamespaces: ['default'] }), deps());
    expect([audit.stdout.split('\n')[0], exempt.stdout.split('\n')[0]]).toEqual([
      'allow Pod default/web-2 on worker-1 (audit mode: 1 conflict recorded)',
      'skip  Pod default/web-2: exempt namespace',
    ]);
  });

  it('says in text mode when a pod has too many host ports to check', async () => {
    const ports = Array.from({ length: MAX_HOST_PORTS + 1 }, (_, i) => ({ containerPort: 20000 + i }));
    const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'media' }, spec: { nodeName: 'worker-1', hostNetwork: true, containers: [{ name: 'rtp', ports }] } });
    const enforce = await runCheck(options(['media.json'], { output: 'text' }), deps({ 'media.json': manifest }));
    const audit = await runCheck(options(['media.json'], { output: 'text', mode: 'audit' }), deps({ 'media.json': manifest }));
    expect([enforce.exitCode, enforce.stdout.split('\n')[0], audit.exitCode, audit.stdout.split('\n')[0]]).toEqual([
      1,
      `deny  Pod default/media on worker-1: pod declares ${MAX_HOST_PORTS + 1} host ports; hostport-guard checks at most ${MAX_HOST_PORTS} per pod: declare fewer (a hostNetwork pod can bind ports it does not declare) or exempt the namespace`,
      0,
      `allow Pod default/media on worker-1 (audit mode: ${MAX_HOST_PORTS + 1} host ports, too many to check)`,
    ]);
  });

  it('reads standard input for -, once however often it is named', async () => {
    const d = deps({}, readFileSync(new URL('manifests/pinned-hostnetwork.yaml', FIXTURES), 'utf8'));
    const out = await runCheck(options(['-', '-']), d);
    expect([out.exitCode, d.stdinReads(), out.stdout.match(/"name": "web-2"/g)?.length]).toEqual([1, 1, 2]);
  });

  const refusals: [string, CheckOptions, CheckDeps, string][] = [
    [
      'a manifest that cannot be read',
      options(['missing.yaml']),
      {
        ...deps(),
        readFile: (path) => {
          if (path === 'missing.yaml') throw new Error("ENOENT: no such file or directory, open 'missing.yaml'");
          return readFileSync(new URL(path, FIXTURES), 'utf8');
        },
      },
      "error: cannot read missing.yaml: ENOENT: no such file or directory, open 'missing.yaml'\n",
    ],
    [
      'a YAML error, with file and document',
      options(['manifests/broken.yaml']),
      deps(),
      'error: manifests/broken.yaml: document 2: line 14, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]\n',
    ],
    [
      'an invalid object, with its path',
      options(['manifests/invalid.yaml']),
      deps(),
      'error: manifests/invalid.yaml: document 2: Pod quoted-port: /spec/containers/0/ports/0/hostPort must be an integer\n',
    ],
    [
      'every bad input at once',
      options(['manifests/broken.yaml', 'manifests/invalid.yaml']),
      deps(),
      'error: manifests/broken.yaml: document 2: line 14, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]\n' +
        'error: manifests/invalid.yaml: document 2: Pod quoted-port: /spec/containers/0/ports/0/hostPort must be an integer\n',
    ],
    [
      'a state file with unusable items, each located',
      options(['manifests/mixed.yaml'], { state: 'bad-state.yaml' }),
      deps({
        'bad-state.yaml':
          'kind: List\nitems:\n- kind: Pod\n  metadata: {name: a, namespace: x}\n  spec: {containers: [{name: 3}]}\n' +
          '---\nkind: Pod\nmetadata: {name: b}\nspec: {containers: []}\n---\nkind: Pod\nmetadata: {name: b}\nspec: {containers: []}\n',
      }),
      'error: bad-state.yaml: document 1, item 1: Pod x/a: spec.containers[0].name must be a string\n' +
        'error: bad-state.yaml: document 3: Pod default/b: appears more than once\n',
    ],
    [
      'a manifest nested deeper than the limit, naming the file, the document and the limit',
      options(['deep.yaml']),
      deps({ 'deep.yaml': `kind: ConfigMap\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: deep}\nspec: {containers: [], x: ${'['.repeat(2000)}${']'.repeat(2000)}}\n` }),
      `error: deep.yaml: document 2: nested more than ${MAX_YAML_DEPTH} levels deep, the most hostport-guard reads\n`,
    ],
    [
      'a manifest document larger than the API server takes',
      options(['big.yaml']),
      deps({ 'big.yaml': `kind: Pod\nmetadata: {name: big, annotations: {a: "${'x'.repeat(MAX_OBJECT_BYTES)}"}}\nspec: {containers: []}\n` }),
      `error: big.yaml: document 1: ${MAX_OBJECT_BYTES + 77} bytes, more than the 3 MiB the API server accepts for one object\n`,
    ],
    [
      'manifests larger than check reads in all, naming the input that crossed the limit',
      options(['manifests/mixed.yaml', 'huge.yaml']),
      deps({ 'huge.yaml': `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n` }),
      `error: huge.yaml: more than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB of manifests in all, the most check reads\n`,
    ],
    [
      'a manifest the reader refuses for its size',
      options(['sparse.yaml']),
      {
        ...deps(),
        readFile: (path, maxBytes) => {
          if (path === 'sparse.yaml') throw new InputTooLargeError(maxBytes);
          return readFileSync(new URL(path, FIXTURES), 'utf8');
        },
      },
      `error: sparse.yaml: more than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB of manifests in all, the most check reads\n`,
    ],
    [
      'a state file nested deeper than the limit',
      options(['manifests/mixed.yaml'], { state: 'deep-state.yaml' }),
      deps({ 'deep-state.yaml': `${'['.repeat(1000)}${']'.repeat(1000)}\n` }),
      `error: deep-state.yaml: document 1: nested more than ${MAX_YAML_DEPTH} levels deep, the most hostport-guard reads\n`,
    ],
    [
      'a state file larger than the limit',
      options(['manifests/mixed.yaml'], { state: 'huge-state.yaml' }),
      deps({ 'huge-state.yaml': `# ${'x'.repeat(MAX_STATE_BYTES)}\n` }),
      `error: huge-state.yaml: more than ${MAX_STATE_BYTES / 1024 / 1024} MiB, the most hostport-guard reads for a cluster state (read a larger cluster live instead)\n`,
    ],
    [
      'a state file that is not YAML',
      options(['manifests/mixed.yaml'], { state: 'bad-state.yaml' }),
      deps({ 'bad-state.yaml': 'items: [\n' }),
      'error: bad-state.yaml: document 1: line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]\n',
    ],
  ];
  it.each(refusals)('exits 2 on %s', async (_name, opts, d, stderr) => {
    expect(await runCheck(opts, d)).toEqual({ exitCode: 2, stdout: '', stderr });
  });

  it('exits 2 without --state when no live cluster access is wired', async () => {
    const { state: _none, ...live } = options(['manifests/mixed.yaml']);
    expect(await runCheck(live, deps())).toEqual({ exitCode: 2, stdout: '', stderr: 'error: live cluster check not available: pass --state\n' });
  });

  it('reads the live cluster without --state, with the given kubeconfig', async () => {
    const asked: (string | undefined)[] = [];
    const state = stateFromText(readFileSync(new URL(STATE, FIXTURES), 'utf8'), STATE);
    if (!state.ok) throw new Error(state.errors.join('\n'));
    const { state: _none, ...live } = options(['manifests/pinned-hostnetwork.yaml'], { kubeconfig: '/home/me/.kube/config' });
    const out = await runCheck(live, {
      ...deps(),
      liveState: (kubeconfig) => {
        asked.push(kubeconfig);
        return Promise.resolve(state.state);
      },
    });
    expect([out.exitCode, asked]).toEqual([1, ['/home/me/.kube/config']]);
  });

  it('exits 2 when the live cluster cannot be read', async () => {
    const { state: _none, ...live } = options(['manifests/mixed.yaml']);
    const out = await runCheck(live, { ...deps(), liveState: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6443')) });
    expect(out).toEqual({ exitCode: 2, stdout: '', stderr: 'error: cannot read the cluster: connect ECONNREFUSED 127.0.0.1:6443\n' });
  });
});

describe('runCheck on what a real node does', () => {
  /** `count` hostNetwork pods `agent-N` in default that declare no ports. */
  function undeclaredPods(count: number): string {
    return Array.from({ length: count }, (_, i) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: agent-${i}}\nspec:\n  hostNetwork: true\n  containers: [{name: agent, image: agent}]\n`,
    ).join('---\n');
  }

  const UNDECLARED = 'hostNetwork pod declares no ports: no check here or in the scheduler sees what it binds; declare containers[].ports';

  it('prints the undeclared-ports warning once for a hundred such pods, and still one line per pod', async () => {
    const out = await runCheck(options(['agents.yaml'], { output: 'text' }), deps({ 'agents.yaml': undeclaredPods(100) }));
    const lines = out.stdout.split('\n');
    expect([out.exitCode, out.stderr]).toEqual([0, '']);
    expect(lines.slice(0, 3)).toEqual(['warn  Pod default/agent-0', `  warning: ${UNDECLARED}`, 'warn  Pod default/agent-1 (warning as above)']);
    expect(lines.filter((l) => l.includes(UNDECLARED))).toHaveLength(1);
    expect(lines.filter((l) => / \(warning as above\)$/.test(l))).toHaveLength(99);
    expect(lines.slice(-2)).toEqual(['100 objects checked: 0 denied, 100 with warnings, 0 allowed', '']);
  });

  it('keeps the warning in every result of -o json, where nobody reads line by line', async () => {
    const out = await runCheck(options(['agents.yaml']), deps({ 'agents.yaml': undeclaredPods(3) }));
    const parsed: unknown = JSON.parse(out.stdout);
    expect(parsed).toEqual({ results: [0, 1, 2].map((i) => ({ ...allow('Pod', 'default', `agent-${i}`, null), decision: 'warn', messages: [UNDECLARED] })) });
  });

  it('says nothing about undeclared ports with --undeclared-ports ignore', async () => {
    const out = await runCheck(options(['agents.yaml'], { undeclaredPorts: 'ignore' }), deps({ 'agents.yaml': undeclaredPods(1) }));
    expect(JSON.parse(out.stdout)).toEqual({ results: [allow('Pod', 'default', 'agent-0', null)] });
  });

  const KUBELET_POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: probe}\nspec:\n  hostNetwork: true\n  containers: [{name: probe, image: probe, ports: [{containerPort: 10250}]}]\n';

  it("names a node daemon's port in JSON as reserved, with no node for a pod the scheduler would place", async () => {
    const out = await runCheck(options(['probe.yaml']), deps({ 'probe.yaml': KUBELET_POD }));
    expect([out.exitCode, JSON.parse(out.stdout)]).toEqual([
      1,
      {
        results: [
          {
            kind: 'Pod',
            namespace: 'default',
            name: 'probe',
            decision: 'deny',
            node: null,
            conflicts: [{ node: null, protocol: 'TCP', hostIP: '0.0.0.0', port: 10250, holder: { reserved: true, name: 'kubelet' } }],
            messages: [
              "hostNetwork port 10250/TCP is a node daemon's port: kubelet holds it on every node, and the scheduler cannot see it;" +
                ' the container could not bind it: pick another port',
            ],
          },
        ],
      },
    ]);
  });

  it('allows the same pod once the reserved list is emptied', async () => {
    const out = await runCheck(options(['probe.yaml'], { reservedPorts: [] }), deps({ 'probe.yaml': KUBELET_POD }));
    expect([out.exitCode, JSON.parse(out.stdout)]).toEqual([0, { results: [allow('Pod', 'default', 'probe', null)] }]);
  });

  const TWICE =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: twice, namespace: ops}\nspec:\n  containers:\n' +
    '  - {name: web, image: web, ports: [{containerPort: 80, hostPort: 8081}]}\n' +
    '  - {name: admin, image: admin, ports: [{containerPort: 81, hostPort: 8081}]}\n';
  const TWICE_DENIAL =
    'deny  Pod ops/twice: the API server refuses this pod: spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8081" (containers web and admin both declare it)';

  it.each<[string, Partial<CheckOptions>]>([
    ['in enforce mode', {}],
    ['in audit mode, because the API server decides it', { mode: 'audit' }],
    ['in an exempt namespace, because the API server decides it', { exemptNamespaces: ['ops'] }],
  ])('denies a pod declaring one host port twice, quoting the duplicate, %s', async (_name, overrides) => {
    const out = await runCheck(options(['twice.yaml'], { output: 'text', ...overrides }), deps({ 'twice.yaml': TWICE }));
    expect([out.exitCode, out.stdout.split('\n')[0]]).toEqual([1, TWICE_DENIAL]);
  });

  it('decides a manifest carrying the mirror annotation as any pod: only a node sends mirror pods', async () => {
    const mirror =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: copy, annotations: {kubernetes.io/config.mirror: abc}}\n' +
      'spec:\n  nodeName: worker-1\n  hostNetwork: true\n  containers: [{name: web, image: web, ports: [{containerPort: 8080}]}]\n';
    const out = await runCheck(options(['mirror.yaml'], { output: 'text' }), deps({ 'mirror.yaml': mirror }));
    expect([out.exitCode, out.stdout.split('\n')[0]]).toEqual([
      1,
      'deny  Pod default/copy on worker-1: hostNetwork port 8080/TCP on node worker-1 is already used by pod default/ingress-7d9f8b6c4-x2x7k (container nginx); pick another port or node',
    ]);
  });
});
