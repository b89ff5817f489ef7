import { describe, expect, it } from '@jest/globals';
import { issueText } from '../../../src/config/errors.js';
import type { ConfigInputs, ConfigResult } from '../../../src/config/resolve.js';
import { resolveConfig, settingName } from '../../../src/config/resolve.js';

const TLS_FLAGS = { tlsCert: '/tls/tls.crt', tlsKey: '/tls/tls.key' };

function inputs(overrides: Partial<ConfigInputs> & { fileText?: string } = {}): ConfigInputs {
  const { fileText, ...rest } = overrides;
  const base: ConfigInputs = { flags: TLS_FLAGS, env: {} };
  const withFile = fileText === undefined ? base : { ...base, file: { ref: { path: 'hpg.yaml', origin: 'from --config' }, text: fileText } };
  return { ...withFile, ...rest };
}

function lines(result: ConfigResult): string[] {
  return result.ok ? [] : result.issues.map(issueText);
}

function config(result: ConfigResult) {
  if (!result.ok) throw new Error(`unexpected issues:\n${lines(result).join('\n')}`);
  return result.config;
}

describe('resolveConfig', () => {
  it('fills every default when only the TLS files are given', () => {
    expect(config(resolveConfig(inputs()))).toEqual({
      mode: 'enforce',
      exemptNamespaces: ['kube-system'],
      reservedPorts: [
        { owner: 'kubelet', protocol: 'TCP', port: 10250 },
        { owner: 'kubelet', protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 },
      ],
      undeclaredPorts: 'warn',
      listen: { host: '0.0.0.0', port: 8443 },
      health: { host: '0.0.0.0', port: 8080 },
      tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', reloadIntervalSeconds: 10 },
      reservationTtlSeconds: 30,
      reservations: { timeoutMilliseconds: 1000, onApiError: 'deny' },
      watch: { staleAfterSeconds: 300 },
      logLevel: 'info',
      maxBodyBytes: 4194304,
      conflictEvents: { enabled: false, leaseName: 'hostport-guard' },
    });
  });

  it('turns conflict Events on from the environment, with their Lease', () => {
    const result = config(resolveConfig(inputs({ env: { HOSTPORT_GUARD_CONFLICT_EVENTS: 'True', HOSTPORT_GUARD_CONFLICT_EVENTS_LEASE_NAMESPACE: 'hpg' } })));
    expect(result.conflictEvents).toEqual({ enabled: true, leaseNamespace: 'hpg', leaseName: 'hostport-guard' });
  });

  it('needs the Lease namespace when conflict Events are on, and a boolean to turn them on', () => {
    expect(lines(resolveConfig(inputs({ fileText: 'conflictEvents:\n  enabled: true\n' })))).toEqual([
      'config: conflictEvents.leaseNamespace: is required when conflictEvents.enabled is true (the Lease that elects the replica writing Events lives there) (set it in the config file or HOSTPORT_GUARD_CONFLICT_EVENTS_LEASE_NAMESPACE)',
    ]);
    expect(lines(resolveConfig(inputs({ env: { HOSTPORT_GUARD_CONFLICT_EVENTS: 'yes' } })))).toEqual([
      expect.stringMatching(/^config: conflictEvents.enabled: .*yes.*\(from HOSTPORT_GUARD_CONFLICT_EVENTS\)$/),
    ]);
  });

  it('refuses a Lease name the API server would refuse', () => {
    expect(lines(resolveConfig(inputs({ fileText: 'conflictEvents: {enabled: true, leaseNamespace: Bad_NS, leaseName: ok}\n' })))).toEqual([
      expect.stringContaining('config: conflictEvents.leaseNamespace:'),
    ]);
  });

  it('takes the cluster-wide reservation settings from the file, the environment and the flag', () => {
    const result = config(resolveConfig(inputs({
      fileText: 'reservations:\n  onApiError: local\n',
      env: { HOSTPORT_GUARD_RESERVATIONS_TIMEOUT_MILLISECONDS: '500' },
      flags: { ...TLS_FLAGS, reservationsNamespace: 'hostport-guard' },
    })));
    expect(result.reservations).toEqual({ namespace: 'hostport-guard', timeoutMilliseconds: 500, onApiError: 'local' });
  });

  const precedence: [string, Partial<ConfigInputs> & { fileText?: string }, string][] = [
    ['the file overrides a default', { fileText: 'mode: warn\n' }, 'warn'],
    [
      'the environment overrides the file',
      { fileText: 'mode: warn\n', flags: { ...TLS_FLAGS, mode: 'audit' }, flagSources: { mode: 'env' } },
      'audit',
    ],
    ['a flag overrides the file', { fileText: 'mode: warn\n', flags: { ...TLS_FLAGS, mode: 'enforce' } }, 'enforce'],
  ];
  it.each(precedence)('%s', (_name, given, mode) => {
    expect(config(resolveConfig(inputs(given))).mode).toBe(mode);
  });

  it('merges nested settings key by key across sources', () => {
    const result = config(resolveConfig(inputs({
      fileText: 'listen:\n  host: 127.0.0.1\ntls:\n  reloadIntervalSeconds: 60\n',
      flags: { ...TLS_FLAGS, port: '9443' },
      flagSources: { port: 'env' },
    })));
    expect(result.listen).toEqual({ host: '127.0.0.1', port: 9443 });
    expect(result.tls).toEqual({ certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', reloadIntervalSeconds: 60 });
  });

  it('replaces a list instead of adding to it', () => {
    const result = config(resolveConfig(inputs({
      fileText: 'exemptNamespaces: [a, b]\n',
      flags: { ...TLS_FLAGS, exemptNamespace: ['c'] },
    })));
    expect(result.exemptNamespaces).toEqual(['c']);
  });

  it('reads a comma-separated list from the environment and an empty one as no exemptions', () => {
    const fromEnv = (value: string): Partial<ConfigInputs> => ({ flags: { ...TLS_FLAGS, exemptNamespace: [value] }, flagSources: { exemptNamespace: 'env' } });
    expect(config(resolveConfig(inputs(fromEnv('kube-system, monitoring')))).exemptNamespaces).toEqual(['kube-system', 'monitoring']);
    expect(config(resolveConfig(inputs(fromEnv('')))).exemptNamespaces).toEqual([]);
  });

  it('reads the file as JSON too', () => {
    const result = config(resolveConfig(inputs({ fileText: '{"mode": "audit", "watch": {"staleAfterSeconds": 600}}' })));
    expect([result.mode, result.watch.staleAfterSeconds]).toEqual(['audit', 600]);
  });

  it('treats an empty file as one that sets nothing', () => {
    expect(config(resolveConfig(inputs({ fileText: '# nothing yet\n' }))).mode).toBe('enforce');
  });

  it('takes optional paths from their sources', () => {
    const result = config(resolveConfig(inputs({
      flags: { ...TLS_FLAGS, kubeconfig: '/home/me/.kube/config', clusterState: 'state.yaml' },
      flagSources: { kubeconfig: 'env' },
    })));
    expect([result.kubeconfig, result.clusterState]).toEqual(['/home/me/.kube/config', 'state.yaml']);
  });

  it('lists every problem at once, each with the source of its value', () => {
    const result = resolveConfig({
      file: { ref: { path: 'hpg.yaml', origin: 'from --config' }, text: 'logLevel: loud\nlisten:\n  port: 70000\nwatch:\n  staleAfterSeconds: 0\n' },
      env: { HOSTPORT_GUARD_MAX_BODY_BYTES: '1048576' },
      flags: { mode: 'block', tlsKey: '/tls/tls.key', healthPort: 'eighty' },
      flagSources: { healthPort: 'env' },
    });
    expect(lines(result).sort()).toEqual([
      'config: health.port: must be an integer, not "eighty" (from HOSTPORT_GUARD_HEALTH_PORT)',
      'config: listen.port: must be at most 65535 (from file hpg.yaml)',
      'config: logLevel: must be one of fatal, error, warn, info, debug, trace, silent (from file hpg.yaml)',
      'config: maxBodyBytes: must be at least 3145728 (from HOSTPORT_GUARD_MAX_BODY_BYTES)',
      'config: mode: must be one of enforce, warn, audit (from --mode)',
      'config: tls.certFile: is required (set it in the config file, HOSTPORT_GUARD_TLS_CERT_FILE or --tls-cert)',
      'config: watch.staleAfterSeconds: must be at least 300 (from file hpg.yaml)',
    ]);
  });

  const refusals: [string, Partial<ConfigInputs> & { fileText?: string }, string[]][] = [
    ['an unknown key in the file', { fileText: 'lisen:\n  port: 1\n' }, ['config: lisen: is not a known setting (from file hpg.yaml)']],
    [
      'an unknown nested key in the file',
      { fileText: 'tls:\n  certFiles: /x\n' },
      ['config: tls.certFiles: is not a known setting (from file hpg.yaml)'],
    ],
    [
      'an unknown HOSTPORT_GUARD_ variable',
      { env: { HOSTPORT_GUARD_MODEE: 'warn' } },
      ['config: HOSTPORT_GUARD_MODEE: is not a known setting (from the environment)'],
    ],
    [
      'a number where a list belongs',
      { fileText: 'exemptNamespaces: 3\n' },
      ['config: exemptNamespaces: must be a list, not 3 (from file hpg.yaml)'],
    ],
    [
      'a list item of the wrong type',
      { fileText: 'exemptNamespaces: [a, 7]\n' },
      ['config: exemptNamespaces[1]: must be a string, not 7 (from file hpg.yaml)'],
    ],
    ['a namespace listed twice', { flags: { ...TLS_FLAGS, exemptNamespace: ['a', 'a'] } }, ['config: exemptNamespaces: must not list a value twice (from --exempt-namespace)']],
    [
      'an empty path',
      { flags: { ...TLS_FLAGS, kubeconfig: '' }, flagSources: { kubeconfig: 'env' } },
      ['config: kubeconfig: must not be empty (from HOSTPORT_GUARD_KUBECONFIG)'],
    ],
    ['a fractional port', { flags: { ...TLS_FLAGS, port: '84.5' } }, ['config: listen.port: must be an integer, not "84.5" (from --port)']],
    [
      'a mapping where a scalar belongs',
      { fileText: 'mode:\n  default: warn\n' },
      ['config: mode: must be a string, not {"default":"warn"} (from file hpg.yaml)'],
    ],
    [
      'a body limit under the 3 MiB an AdmissionReview can reach',
      { fileText: 'maxBodyBytes: 3145727\n' },
      ['config: maxBodyBytes: must be at least 3145728 (from file hpg.yaml)'],
    ],
    [
      'the health port equal to the webhook port',
      { flags: { ...TLS_FLAGS, healthPort: '8443' } },
      ['config: health.port: must differ from listen.port (8443) (from --health-port)'],
    ],
    [
      'a service link variable in place of the port',
      { flags: { ...TLS_FLAGS, port: 'tcp://10.96.0.10:443' }, flagSources: { port: 'env' } },
      [
        'config: listen.port: must be an integer, not "tcp://10.96.0.10:443" (this looks like a Kubernetes service link variable: ' +
          'set enableServiceLinks: false on the pod) (from HOSTPORT_GUARD_PORT)',
      ],
    ],
    [
      'a reservation timeout past what a webhook timeout leaves',
      { fileText: 'reservations:\n  timeoutMilliseconds: 30000\n' },
      ['config: reservations.timeoutMilliseconds: must be at most 15000 (from file hpg.yaml)'],
    ],
    [
      'an unknown answer to a failed reservation',
      { env: { HOSTPORT_GUARD_RESERVATIONS_ON_API_ERROR: 'allow' } },
      ['config: reservations.onApiError: must be one of deny, local (from HOSTPORT_GUARD_RESERVATIONS_ON_API_ERROR)'],
    ],
    [
      'a Lease namespace that is not a namespace name',
      { flags: { ...TLS_FLAGS, reservationsNamespace: 'Hostport_Guard' } },
      ['config: reservations.namespace: must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (from --reservations-namespace)'],
    ],
    [
      'a Lease namespace with a static cluster state, which has no API server to hold Leases',
      { flags: { ...TLS_FLAGS, reservationsNamespace: 'hostport-guard', clusterState: 'state.yaml' } },
      ['config: reservations.namespace: needs a live cluster to hold Leases in, and clusterState serves from a file: leave one of them out (from --reservations-namespace)'],
    ],
    [
      'a file holding a list',
      { fileText: '- mode: warn\n' },
      ['config: hpg.yaml: must hold a mapping of settings, not a list (from --config)'],
    ],
    [
      'a file that is not YAML',
      { fileText: 'mode: warn\nmode: audit\n' },
      ['config: hpg.yaml: line 2, column 1: Map keys must be unique (from --config)'],
    ],
  ];
  it.each(refusals)('refuses %s', (_name, given, expected) => {
    expect(lines(resolveConfig(inputs(given)))).toEqual(expected);
  });

  it('names the error code of each problem', () => {
    const result = resolveConfig(inputs({ fileText: 'bogus: 1\nmode: x\n', env: { HOSTPORT_GUARD_NOPE: '1' }, flags: {} }));
    expect(result.ok ? [] : result.issues.map((i) => i.code).sort()).toEqual([
      'HPG_ERR_CONFIG_INVALID_VALUE',
      'HPG_ERR_CONFIG_MISSING',
      'HPG_ERR_CONFIG_MISSING',
      'HPG_ERR_CONFIG_UNKNOWN_ENV',
      'HPG_ERR_CONFIG_UNKNOWN_KEY',
    ]);
  });

  it('ignores the variables Kubernetes injects for Services named hostport-guard', () => {
    const env = {
      HOSTPORT_GUARD_SERVICE_HOST: '10.96.0.10',
      HOSTPORT_GUARD_SERVICE_PORT: '443',
      HOSTPORT_GUARD_SERVICE_PORT_HTTPS: '443',
      HOSTPORT_GUARD_PORT_443_TCP: 'tcp://10.96.0.10:443',
      HOSTPORT_GUARD_PORT_443_TCP_PROTO: 'tcp',
      HOSTPORT_GUARD_METRICS_PORT: 'tcp://10.96.0.11:8080',
    };
    expect(lines(resolveConfig(inputs({ env })))).toEqual([]);
  });

  it('keeps a __proto__ key in the file an ordinary unknown key', () => {
    expect(lines(resolveConfig(inputs({ fileText: '{"__proto__": {"mode": "audit"}}' })))).toEqual([
      'config: __proto__: is not a known setting (from file hpg.yaml)',
    ]);
  });

  it('reports an unreadable file along with the other problems', () => {
    const result = resolveConfig({
      flags: { mode: 'x', ...TLS_FLAGS },
      env: {},
      file: { ref: { path: '/nope.yaml', origin: 'from HOSTPORT_GUARD_CONFIG' }, issue: { code: 'HPG_ERR_CONFIG_FILE_UNREADABLE', setting: '/nope.yaml', problem: 'cannot be read: ENOENT', origin: 'from HOSTPORT_GUARD_CONFIG' } },
    });
    expect(lines(result)).toEqual([
      'config: /nope.yaml: cannot be read: ENOENT (from HOSTPORT_GUARD_CONFIG)',
      'config: mode: must be one of enforce, warn, audit (from --mode)',
    ]);
  });
});

describe('settingName', () => {
  it.each([
    ['/listen/port', 'listen.port'],
    ['/exemptNamespaces/2', 'exemptNamespaces[2]'],
    ['/a~1b/c~0d', 'a/b.c~d'],
  ])('names %s as %s', (pointer, name) => {
    expect(settingName(pointer)).toBe(name);
  });
});

describe('reservedPorts and undeclaredPorts', () => {
  const KUBELET = [
    { owner: 'kubelet', protocol: 'TCP', port: 10250 },
    { owner: 'kubelet', protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 },
  ];
  const PROXY = [
    { owner: 'kube-proxy', protocol: 'TCP', hostIP: '127.0.0.1', port: 10249 },
    { owner: 'kube-proxy', protocol: 'TCP', port: 10256 },
  ];

  const accepted: [string, Partial<ConfigInputs> & { fileText?: string }, unknown][] = [
    ['reserves the kubelet API and healthz by default', {}, KUBELET],
    [
      'takes a list of entries from the file, replacing the defaults',
      { fileText: 'reservedPorts:\n  - {owner: kube-proxy, protocol: TCP, hostIP: 127.0.0.1, port: 10249}\n  - {owner: kube-proxy, protocol: TCP, port: 10256}\n' },
      PROXY,
    ],
    ['takes an empty list from the file', { fileText: 'reservedPorts: []\n' }, []],
    [
      'takes repeated --reserved-port flags as OWNER=[HOSTIP:]PORT/PROTOCOL',
      { flags: { ...TLS_FLAGS, reservedPort: ['kube-proxy=127.0.0.1:10249/TCP', 'kube-proxy=10256/TCP'] } },
      PROXY,
    ],
    ['takes --reserved-port none as no reserved ports', { flags: { ...TLS_FLAGS, reservedPort: ['none'] } }, []],
    [
      'takes a bracketed IPv6 hostIP',
      { flags: { ...TLS_FLAGS, reservedPort: ['cilium=[fd00::1]:4240/TCP'] } },
      [{ owner: 'cilium', protocol: 'TCP', hostIP: 'fd00::1', port: 4240 }],
    ],
    [
      'takes a comma-separated HOSTPORT_GUARD_RESERVED_PORTS',
      { flags: { ...TLS_FLAGS, reservedPort: ['kube-proxy=127.0.0.1:10249/TCP, kube-proxy=10256/TCP'] }, flagSources: { reservedPort: 'env' } },
      PROXY,
    ],
    ['takes an empty HOSTPORT_GUARD_RESERVED_PORTS as no reserved ports', { flags: { ...TLS_FLAGS, reservedPort: [''] }, flagSources: { reservedPort: 'env' } }, []],
  ];
  it.each(accepted)('%s', (_name, given, want) => {
    expect(config(resolveConfig(inputs(given))).reservedPorts).toEqual(want);
  });

  const refused: [string, Partial<ConfigInputs> & { fileText?: string }, string[]][] = [
    [
      'a flag that is not OWNER=[HOSTIP:]PORT/PROTOCOL',
      { flags: { ...TLS_FLAGS, reservedPort: ['kubelet:10250'] } },
      ['config: reservedPorts[0]: "kubelet:10250" must be OWNER=[HOSTIP:]PORT/PROTOCOL, e.g. kubelet=10250/TCP or kubelet=127.0.0.1:10248/TCP (from --reserved-port)'],
    ],
    [
      'a flag with a lower-case protocol',
      { flags: { ...TLS_FLAGS, reservedPort: ['kubelet=10250/tcp'] } },
      ['config: reservedPorts[0]: "kubelet=10250/tcp": the protocol must be one of TCP, UDP, SCTP (from --reserved-port)'],
    ],
    [
      'a variable entry with a port out of range',
      { flags: { ...TLS_FLAGS, reservedPort: ['kubelet=10250/TCP,x=70000/UDP'] }, flagSources: { reservedPort: 'env' } },
      ['config: reservedPorts[1]: "x=70000/UDP": the port must be 1 to 65535 (from HOSTPORT_GUARD_RESERVED_PORTS)'],
    ],
    [
      'a flag whose hostIP is not an address',
      { flags: { ...TLS_FLAGS, reservedPort: ['kubelet=localhost:10248/TCP'] } },
      ['config: reservedPorts[0]: "kubelet=localhost:10248/TCP": "localhost" is not an IP address (from --reserved-port)'],
    ],
    [
      'a file entry without a protocol',
      { fileText: 'reservedPorts:\n  - {owner: kubelet, port: 10250}\n' },
      ['config: reservedPorts[0].protocol: is required (set it in the config file)'],
    ],
    [
      'a file entry with an unknown key and a bad protocol',
      { fileText: 'reservedPorts:\n  - {owner: kubelet, protocol: ICMP, port: 10250, node: a}\n' },
      [
        'config: reservedPorts[0].node: is not a known setting (from file hpg.yaml)',
        'config: reservedPorts[0].protocol: must be one of TCP, UDP, SCTP (from file hpg.yaml)',
      ],
    ],
    [
      'a file entry whose hostIP is not an address',
      { fileText: 'reservedPorts:\n  - {owner: kubelet, protocol: TCP, hostIP: node-1, port: 10248}\n' },
      ['config: reservedPorts[0].hostIP: must be an IP address, not "node-1" (from file hpg.yaml)'],
    ],
    [
      'an unknown undeclaredPorts',
      { flags: { ...TLS_FLAGS, undeclaredPorts: 'deny' } },
      ['config: undeclaredPorts: must be one of ignore, warn (from --undeclared-ports)'],
    ],
  ];
  it.each(refused)('refuses %s', (_name, given, expected) => {
    expect(lines(resolveConfig(inputs(given))).sort()).toEqual(expected);
  });

  it('warns about undeclared ports by default, and takes ignore from a flag or the environment', () => {
    expect(config(resolveConfig(inputs())).undeclaredPorts).toBe('warn');
    expect(config(resolveConfig(inputs({ flags: { ...TLS_FLAGS, undeclaredPorts: 'ignore' } }))).undeclaredPorts).toBe('ignore');
    expect(config(resolveConfig(inputs({ flags: { ...TLS_FLAGS, undeclaredPorts: 'ignore' }, flagSources: { undeclaredPorts: 'env' } }))).undeclaredPorts).toBe('ignore');
  });
});
