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
      listen: { host: '0.0.0.0', port: 8443 },
      health: { host: '0.0.0.0', port: 8080 },
      tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', reloadIntervalSeconds: 10 },
      reservationTtlSeconds: 30,
      watch: { staleAfterSeconds: 300 },
      logLevel: 'info',
      maxBodyBytes: 4194304,
    });
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
