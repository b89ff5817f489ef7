import { describe, expect, it } from '@jest/globals';
import { issueText } from '../../../src/config/errors.js';
import { configErrorText, loadConfig } from '../../../src/config/load.js';
import type { ConfigResult } from '../../../src/config/resolve.js';

const TLS = { tlsCert: '/tls/tls.crt', tlsKey: '/tls/tls.key' };

function files(contents: Record<string, string>): { read: string[]; readFile: (path: string) => string } {
  const read: string[] = [];
  return {
    read,
    readFile(path) {
      read.push(path);
      const text = contents[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  };
}

function lines(result: ConfigResult): string[] {
  return result.ok ? [] : result.issues.map(issueText);
}

describe('loadConfig', () => {
  it('reads no file when neither --config nor HOSTPORT_GUARD_CONFIG names one', () => {
    const fs = files({});
    const result = loadConfig({ flags: TLS, env: {}, readFile: fs.readFile });
    expect([result.ok, fs.read]).toEqual([true, []]);
  });

  it('reads the file named by HOSTPORT_GUARD_CONFIG', () => {
    const fs = files({ '/etc/hpg/config.yaml': 'mode: audit\n' });
    const result = loadConfig({ flags: { ...TLS, config: '/etc/hpg/config.yaml' }, flagSources: { config: 'env' }, env: {}, readFile: fs.readFile });
    expect(result.ok && result.config.mode).toBe('audit');
  });

  it('names HOSTPORT_GUARD_CONFIG as the origin of a file it named that cannot be read', () => {
    const fs = files({});
    const result = loadConfig({ flags: { ...TLS, config: 'gone.yaml' }, flagSources: { config: 'env' }, env: {}, readFile: fs.readFile });
    expect(lines(result)).toEqual([
      "config: gone.yaml: cannot be read: ENOENT: no such file or directory, open 'gone.yaml' (from HOSTPORT_GUARD_CONFIG)",
    ]);
  });

  it('lists an unreadable file with the other problems, naming where its path came from', () => {
    const fs = files({});
    const result = loadConfig({ flags: { config: 'missing.yaml', port: 'x' }, env: {}, readFile: fs.readFile });
    expect(lines(result)).toEqual([
      "config: missing.yaml: cannot be read: ENOENT: no such file or directory, open 'missing.yaml' (from --config)",
      'config: listen.port: must be an integer, not "x" (from --port)',
      'config: tls.certFile: is required (set it in the config file, HOSTPORT_GUARD_TLS_CERT_FILE or --tls-cert)',
      'config: tls.keyFile: is required (set it in the config file, HOSTPORT_GUARD_TLS_KEY_FILE or --tls-key)',
    ]);
  });
});

describe('configErrorText', () => {
  it('prints one line per problem', () => {
    const result = loadConfig({ flags: { ...TLS, mode: 'x', logLevel: 'loud' }, env: {}, readFile: files({}).readFile });
    expect(result.ok ? '' : configErrorText(result.issues)).toBe(
      'config: mode: must be one of enforce, warn, audit (from --mode)\n' +
        'config: logLevel: must be one of fatal, error, warn, info, debug, trace, silent (from --log-level)\n',
    );
  });
});
