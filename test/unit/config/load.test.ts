import { describe, expect, it } from '@jest/globals';
import { issueText } from '../../../src/config/errors.js';
import { configErrorText, loadConfig } from '../../../src/config/load.js';
import type { ConfigResult } from '../../../src/config/resolve.js';
import { MAX_CONFIG_BYTES } from '../../../src/config/sources.js';
import { InputTooLargeError, MAX_YAML_DEPTH } from '../../../src/yaml/bounded.js';

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

describe('loadConfig within limits', () => {
  it('refuses a file nested deeper than the limit, naming it and the limit', () => {
    const fs = files({ 'deep.yaml': `mode: warn\nx: ${'['.repeat(2000)}${']'.repeat(2000)}\n` });
    expect(lines(loadConfig({ flags: { ...TLS, config: 'deep.yaml' }, env: {}, readFile: fs.readFile }))).toEqual([
      `config: deep.yaml: nested more than ${MAX_YAML_DEPTH} levels deep, the most hostport-guard reads (from --config)`,
    ]);
  });

  it('refuses a file past the size limit, whether the reader or the text says so', () => {
    const big = files({ 'big.yaml': `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n` });
    const refused = (_path: string, maxBytes: number): string => {
      throw new InputTooLargeError(maxBytes);
    };
    const said = 'config: big.yaml: more than 1 MiB, the most a configuration file may hold (from --config)';
    expect(lines(loadConfig({ flags: { ...TLS, config: 'big.yaml' }, env: {}, readFile: big.readFile }))).toEqual([said]);
    expect(lines(loadConfig({ flags: { ...TLS, config: 'big.yaml' }, env: {}, readFile: refused }))).toEqual([said]);
  });

  it('refuses a file of two documents', () => {
    const fs = files({ 'two.yaml': 'mode: warn\n---\nmode: audit\n' });
    expect(lines(loadConfig({ flags: { ...TLS, config: 'two.yaml' }, env: {}, readFile: fs.readFile }))).toEqual([
      'config: two.yaml: holds 2 documents; a configuration file holds one mapping (from --config)',
    ]);
  });

  it('reads an empty file as no settings', () => {
    const fs = files({ 'empty.yaml': '' });
    expect(loadConfig({ flags: { ...TLS, config: 'empty.yaml' }, env: {}, readFile: fs.readFile }).ok).toBe(true);
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
