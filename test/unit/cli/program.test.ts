import { beforeAll, describe, expect, it } from '@jest/globals';
import { InputError } from '../../../src/cli/exit.js';
import { runMain } from '../../../src/cli/main.js';
import type { CliDeps } from '../../../src/cli/program.js';
import { runCli, runKubectlPlugin } from '../../../src/cli/program.js';
import type { Config } from '../../../src/config/schema.js';

function fakeDeps(overrides: Partial<CliDeps> = {}): CliDeps & { served: Config[] } {
  const served: Config[] = [];
  return {
    version: '1.2.3',
    readConfigFile: (path) => {
      throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    },
    check: {
      readFile: () => 'kind: ConfigMap\nmetadata: {name: x}\n',
      readStdin: () => Promise.resolve(''),
    },
    scan: {
      readFile: () => 'kind: List\nitems: []\n',
    },
    runServe: (config) => {
      served.push(config);
      return Promise.resolve();
    },
    served,
    ...overrides,
  };
}

/**
 * Runs `run` with `variables` set in process.env, which is where commander reads an
 * option's variable (Jest gives each test file a process.env of its own).
 */
async function withEnv<T>(variables: Readonly<Record<string, string>>, run: () => Promise<T>): Promise<T> {
  const before = { ...process.env };
  Object.assign(process.env, variables);
  try {
    return await run();
  } finally {
    for (const name of Object.keys(variables)) {
      if (before[name] === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = before[name];
    }
  }
}

describe('runCli', () => {
  beforeAll(() => {
    // Only the variables a test sets may reach commander.
    for (const name of Object.keys(process.env)) if (name.startsWith('HOSTPORT_GUARD_')) Reflect.deleteProperty(process.env, name);
  });

  it('prints the usage with --help and exits 0', async () => {
    const out = await runCli(['--help'], fakeDeps());
    expect([out.exitCode, out.stderr]).toEqual([0, '']);
    expect(out.stdout).toMatch(/^Usage: hostport-guard \[options\] \[command\]/);
    expect(out.stdout).toContain('serve [options]');
    expect(out.stdout).toContain('check [options] <file...>');
  });

  it('prints the version with --version', async () => {
    expect(await runCli(['--version'], fakeDeps())).toEqual({ exitCode: 0, stdout: '1.2.3\n', stderr: '' });
  });

  it('prints the help of a subcommand with its exit codes', async () => {
    const out = await runCli(['check', '--help'], fakeDeps());
    expect([out.exitCode, out.stdout]).toEqual([0, expect.stringContaining('Exit status: 0 when nothing would be denied, 1 when something would, 2 on bad input or usage.')]);
  });

  const usage: [string, string[], string][] = [
    ['an unknown option', ['check', '--bogus', 'a.yaml'], "error: unknown option '--bogus'\n(add --help for usage)\n"],
    ['an unknown command', ['nope'], "error: unknown command 'nope'\n(add --help for usage)\n"],
    ['check without files', ['check'], "error: missing required argument 'file'\n(add --help for usage)\n"],
    [
      'an unknown check mode',
      ['check', '--mode', 'block', 'a.yaml'],
      "error: option '--mode <mode>' argument 'block' is invalid. Allowed choices are enforce, warn, audit.\n(add --help for usage)\n",
    ],
    [
      'an unknown output format',
      ['check', '-o', 'yaml', 'a.yaml'],
      "error: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are text, json.\n(add --help for usage)\n",
    ],
  ];
  it.each(usage)('exits 2 on %s', async (_name, args, stderr) => {
    expect(await runCli(args, fakeDeps())).toEqual({ exitCode: 2, stdout: '', stderr });
  });

  it('exits 2 with the usage on stderr when no command is given', async () => {
    const out = await runCli([], fakeDeps());
    expect([out.exitCode, out.stdout, out.stderr]).toEqual([2, '', expect.stringMatching(/^Usage: hostport-guard/)]);
  });

  it('passes check options through to the check', async () => {
    const out = await runCli(['check', '--state', 's.yaml', '-o', 'json', '--exempt-namespace', 'a', '--exempt-namespace', 'b', 'x.yaml'], fakeDeps());
    expect(out).toEqual({
      exitCode: 0,
      stdout: '{\n  "results": []\n}\n',
      stderr: 'skipped ConfigMap x: not a kind hostport-guard checks\n',
    });
  });

  describe('check and serve exempt the same namespaces', () => {
    const files: Readonly<Record<string, string>> = {
      's.yaml': 'kind: List\nitems: []\n',
      'x.yaml': 'kind: Pod\nmetadata: {name: cilium-x2x8k, namespace: kube-system}\nspec: {nodeName: n1, containers: [{name: a, ports: [{containerPort: 10250, hostPort: 10250}]}]}\n',
    };
    const deps = fakeDeps({ check: { readFile: (path) => files[path] ?? '', readStdin: () => Promise.resolve('') } });
    const check = (...flags: string[]) => runCli(['check', '--state', 's.yaml', ...flags, 'x.yaml'], deps);

    it('skips an object in kube-system by default, as the server does, saying so', async () => {
      const out = await check();
      expect([out.exitCode, out.stdout]).toEqual([0, 'skip  Pod kube-system/cilium-x2x8k: exempt namespace\n0 objects checked: 0 denied, 0 with warnings, 0 allowed; 1 skipped\n']);
    });

    it('decides it when --exempt-namespace replaces the default, and "" exempts nothing', async () => {
      for (const flags of [['--exempt-namespace', 'other'], ['--exempt-namespace', '']]) {
        const out = await check(...flags);
        expect([flags, out.exitCode, out.stdout.split('\n')[0]]).toEqual([flags, 1, expect.stringMatching(/^deny {2}Pod kube-system\/cilium-x2x8k on n1: hostPort 10250\/TCP is a node daemon's port/)]);
      }
    });

    it('says the default in its help', async () => {
      // Commander wraps the help; the words are what counts.
      expect((await runCli(['check', '--help'], fakeDeps())).stdout.replace(/\s+/g, ' ')).toContain('(default: kube-system, as for serve)');
    });
  });

  it('serves with the merged configuration, flags over environment', async () => {
    const deps = fakeDeps();
    const args = ['serve', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--mode', 'warn', '--exempt-namespace', 'a', '--exempt-namespace', 'b', '--port', '9443'];
    const out = await withEnv({ HOSTPORT_GUARD_MODE: 'audit', HOSTPORT_GUARD_LOG_LEVEL: 'debug', HOSTPORT_GUARD_HEALTH_HOST: '127.0.0.1' }, () => runCli(args, deps));
    // A stopped server ends the process as soon as this is written.
    expect(out).toEqual({ exitCode: 0, stdout: '', stderr: '', exitAtOnce: true });
    expect(deps.served.map((c) => [c.mode, c.logLevel, c.exemptNamespaces, c.listen.port, c.tls.certFile, c.health.host])).toEqual([
      ['warn', 'debug', ['a', 'b'], 9443, 'c.pem', '127.0.0.1'],
    ]);
  });

  it('reads a list from its variable split at commas, and --config from HOSTPORT_GUARD_CONFIG', async () => {
    const deps = fakeDeps({ readConfigFile: () => 'mode: audit\n' });
    const env = { HOSTPORT_GUARD_EXEMPT_NAMESPACES: 'kube-system, monitoring', HOSTPORT_GUARD_CONFIG: '/etc/hpg.yaml' };
    const out = await withEnv(env, () => runCli(['serve', '--tls-cert', 'c', '--tls-key', 'k'], deps));
    expect(out).toEqual({ exitCode: 0, stdout: '', stderr: '', exitAtOnce: true });
    expect(deps.served.map((c) => [c.exemptNamespaces, c.mode])).toEqual([[['kube-system', 'monitoring'], 'audit']]);
  });

  it('prefers --config over HOSTPORT_GUARD_CONFIG, and names the variable a bad value came from', async () => {
    const read: string[] = [];
    const deps = fakeDeps({
      readConfigFile: (path) => {
        read.push(path);
        return 'mode: warn\n';
      },
    });
    const out = await withEnv({ HOSTPORT_GUARD_CONFIG: 'b.yaml', HOSTPORT_GUARD_PORT: 'eighty' }, () =>
      runCli(['serve', '--config', 'a.yaml', '--tls-cert', 'c', '--tls-key', 'k'], deps),
    );
    expect([out, read]).toEqual([
      { exitCode: 2, stdout: '', stderr: 'config: listen.port: must be an integer, not "eighty" (from HOSTPORT_GUARD_PORT)\n' },
      ['a.yaml'],
    ]);
  });

  it('names the variable of each option in the help of serve', async () => {
    const help = (await runCli(['serve', '--help'], fakeDeps())).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--health-port <port> HTTP port of the health endpoints (default: 8080) (env: HOSTPORT_GUARD_HEALTH_PORT)');
    expect(help).toContain('--config <file> configuration file, YAML or JSON (env: HOSTPORT_GUARD_CONFIG)');
  });

  it('reads reserved ports from HOSTPORT_GUARD_RESERVED_PORTS split at commas, and none as the empty list', async () => {
    const deps = fakeDeps();
    const serve = ['serve', '--tls-cert', 'c', '--tls-key', 'k'];
    await withEnv({ HOSTPORT_GUARD_RESERVED_PORTS: 'kubelet=10250/TCP, kube-proxy=10256/TCP' }, () => runCli(serve, deps));
    await withEnv({ HOSTPORT_GUARD_RESERVED_PORTS: 'none' }, () => runCli(serve, deps));
    expect(deps.served.map((c) => c.reservedPorts)).toEqual([
      [{ owner: 'kubelet', protocol: 'TCP', port: 10250 }, { owner: 'kube-proxy', protocol: 'TCP', port: 10256 }],
      [],
    ]);
  });

  it('serves with reserved ports and undeclaredPorts from repeated flags', async () => {
    const deps = fakeDeps();
    const args = ['serve', '--tls-cert', 'c', '--tls-key', 'k', '--reserved-port', 'kubelet=10250/TCP', '--reserved-port', 'kube-proxy=127.0.0.1:10249/TCP', '--undeclared-ports', 'ignore'];
    expect(await runCli(args, deps)).toEqual({ exitCode: 0, stdout: '', stderr: '', exitAtOnce: true });
    expect(deps.served.map((c) => [c.reservedPorts, c.undeclaredPorts])).toEqual([
      [[{ owner: 'kubelet', protocol: 'TCP', port: 10250 }, { owner: 'kube-proxy', protocol: 'TCP', hostIP: '127.0.0.1', port: 10249 }], 'ignore'],
    ]);
  });

  it('refuses to serve with a reserved port it cannot read, naming the flag', async () => {
    const deps = fakeDeps();
    const out = await runCli(['serve', '--tls-cert', 'c', '--tls-key', 'k', '--reserved-port', 'kubelet:10250'], deps);
    expect(out).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'config: reservedPorts[0]: "kubelet:10250" must be OWNER=[HOSTIP:]PORT/PROTOCOL, e.g. kubelet=10250/TCP or kubelet=127.0.0.1:10248/TCP (from --reserved-port)\n',
    });
    expect(deps.served).toEqual([]);
  });

  it('shows the default reserved ports in the help of serve and check', async () => {
    for (const command of ['serve', 'check']) {
      const out = await runCli([command, '--help'], fakeDeps());
      expect(out.stdout.replace(/\s+/g, ' ')).toContain('(default: kubelet=10250/TCP kubelet=127.0.0.1:10248/TCP)');
    }
  });

  it('refuses check with a bad --reserved-port or --undeclared-ports before reading anything', async () => {
    expect(await runCli(['check', '--state', 's.yaml', '--reserved-port', 'kubelet=10250/tcp', '--reserved-port', 'x', 'a.yaml'], fakeDeps())).toEqual({
      exitCode: 2,
      stdout: '',
      stderr:
        'error: --reserved-port "kubelet=10250/tcp": the protocol must be one of TCP, UDP, SCTP\n' +
        'error: --reserved-port "x" must be OWNER=[HOSTIP:]PORT/PROTOCOL, e.g. kubelet=10250/TCP or kubelet=127.0.0.1:10248/TCP\n',
    });
    const out = await runCli(['check', '--undeclared-ports', 'deny', 'a.yaml'], fakeDeps());
    expect([out.exitCode, out.stderr]).toEqual([2, expect.stringContaining("argument 'deny' is invalid. Allowed choices are ignore, warn.")]);
  });

  it('refuses to serve with every configuration problem listed, and does not start', async () => {
    const deps = fakeDeps();
    const out = await runCli(['serve', '--config', 'hpg.yaml', '--mode', 'block'], deps);
    expect(out).toEqual({
      exitCode: 2,
      stdout: '',
      stderr:
        "config: hpg.yaml: cannot be read: ENOENT: no such file or directory, open 'hpg.yaml' (from --config)\n" +
        'config: mode: must be one of enforce, warn, audit (from --mode)\n' +
        'config: tls.certFile: is required (set it in the config file, HOSTPORT_GUARD_TLS_CERT_FILE or --tls-cert)\n' +
        'config: tls.keyFile: is required (set it in the config file, HOSTPORT_GUARD_TLS_KEY_FILE or --tls-key)\n',
    });
    expect(deps.served).toEqual([]);
  });

  it('exits 1 at once when the server fails', async () => {
    const deps = fakeDeps({ runServe: () => Promise.reject(new Error('cannot listen on 0.0.0.0:8443 (webhook port): address already in use (EADDRINUSE)')) });
    expect(await runCli(['serve', '--tls-cert', 'c', '--tls-key', 'k'], deps)).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'error: cannot listen on 0.0.0.0:8443 (webhook port): address already in use (EADDRINUSE)\n',
      exitAtOnce: true,
    });
  });

  it('exits 2 at once when serve is given bad input, such as an unusable cluster state', async () => {
    const deps = fakeDeps({ runServe: () => Promise.reject(new InputError('cannot read /state: is a directory')) });
    expect(await runCli(['serve', '--tls-cert', 'c', '--tls-key', 'k', '--cluster-state', '/state'], deps)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'error: cannot read /state: is a directory\n',
      exitAtOnce: true,
    });
  });
});

describe('runMain', () => {
  /** A reader that breaks its contract: the commands expect a string. */
  const broken = fakeDeps({ check: { readFile: () => null as unknown as string, readStdin: () => Promise.resolve('') } });

  it('turns an error no command expected into one line and exit 2', async () => {
    const out = await runMain(['check', '--state', 's.yaml', 'x.yaml'], broken);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toMatch(/^error: unexpected TypeError: [^\n]+ \(run with --debug for the stack\)\n$/);
  });

  it('adds the stack with --debug', async () => {
    const out = await runMain(['--debug', 'check', '--state', 's.yaml', 'x.yaml'], broken);
    const [line, ...stack] = out.stderr.trimEnd().split('\n');
    expect([out.exitCode, line?.startsWith('error: unexpected TypeError: '), stack.length > 1, stack.every((l) => /^(TypeError|\s+at )/.test(l))]).toEqual([2, true, true, true]);
  });

  it('passes every expected outcome through untouched', async () => {
    expect(await runMain(['--version'], fakeDeps())).toEqual({ exitCode: 0, stdout: '1.2.3\n', stderr: '' });
  });
});

describe('scan, as `hostport-guard scan` and as `kubectl hostports`', () => {
  const state = [
    'kind: List',
    'items:',
    '- {kind: Node, metadata: {name: n1}}',
    '- {kind: Pod, metadata: {name: a, namespace: x}, spec: {nodeName: n1, hostNetwork: true, containers: [{name: c, ports: [{containerPort: 80}]}]}}',
    '- {kind: Pod, metadata: {name: b, namespace: y}, spec: {nodeName: n1, hostNetwork: true, containers: [{name: c, ports: [{containerPort: 80}]}]}}',
  ].join('\n');
  const deps = (): CliDeps => fakeDeps({ scan: { readFile: () => state } });

  it('runs the same scan under both names, with the same options and exit status', async () => {
    const args = ['--state', 's.yaml', '-n', 'y', '--port', '80/tcp', '-o', 'json'];
    const asSubcommand = await runCli(['scan', ...args], deps());
    const asPlugin = await runKubectlPlugin(args, deps());
    expect(asPlugin).toEqual(asSubcommand);
    expect(asPlugin.exitCode).toBe(1);
    expect(JSON.parse(asPlugin.stdout)).toMatchObject({ summary: { conflicts: 1, hostPorts: 1 } });
  });

  it("names itself after kubectl's plugin in its help", async () => {
    const help = await runKubectlPlugin(['--help'], deps());
    expect([help.exitCode, help.stdout.split('\n')[0]]).toEqual([0, 'Usage: kubectl hostports [options]']);
    expect(help.stdout).toContain('Exit status: 0 when the report shows no conflict');
  });

  it('refuses -A with -n, a bad --port and a bad --output, with exit 2', async () => {
    expect(await runCli(['scan', '--state', 's', '-A', '-n', 'x', '--port', '99999'], deps())).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'error: -A and -n cannot be used together\nerror: --port 99999: expected a port number from 1 to 65535, optionally with /TCP, /UDP or /SCTP\n',
    });
    const badOutput = await runKubectlPlugin(['-o', 'table'], deps());
    expect([badOutput.exitCode, badOutput.stderr]).toEqual([2, expect.stringContaining("error: option '-o, --output <format>' argument 'table' is invalid")]);
  });

  it('takes the kubelet\'s ports as reserved unless told otherwise, and refuses a bad --reserved-port', async () => {
    const byDefault = JSON.parse((await runCli(['scan', '--state', 's', '-o', 'json'], deps())).stdout) as { reservedPorts: { owner: string; port: number }[] };
    const none = JSON.parse((await runCli(['scan', '--state', 's', '-o', 'json', '--reserved-port', 'none'], deps())).stdout) as { reservedPorts: unknown[] };
    expect([byDefault.reservedPorts.map((p) => `${p.owner} ${p.port}`), none.reservedPorts]).toEqual([['kubelet 10250', 'kubelet 10248'], []]);
    const bad = await runCli(['scan', '--state', 's', '--reserved-port', 'kubelet'], deps());
    expect([bad.exitCode, bad.stderr]).toEqual([2, expect.stringContaining('error: --reserved-port "kubelet" must be OWNER=[HOSTIP:]PORT/PROTOCOL')]);
  });

  it('says the live cluster cannot be read where no cluster access is wired', async () => {
    expect(await runCli(['scan'], deps())).toEqual({ exitCode: 2, stdout: '', stderr: 'error: reading the live cluster is not available: pass --state\n' });
  });
});
