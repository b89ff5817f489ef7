import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

import { runMain } from '../../../src/cli/main.js';
import type { CliDeps } from '../../../src/cli/program.js';
import { isVisible } from '../../../src/admission/text.js';
import { jsonForTerminal, yamlForTerminal } from '../../../src/cli/terminal.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);

/** What a terminal would take as a control sequence: ESC, the 8-bit CSI and OSC, BEL, CR. */
function interpreted(text: string): boolean {
  return [0x1b, 0x9b, 0x9d, 0x07, 0x0d].some((code) => text.includes(String.fromCharCode(code)));
}

function deps(files: Record<string, string>): CliDeps {
  return {
    version: '0.0.0',
    readConfigFile: () => '',
    check: {
      readFile: (path) => files[path] ?? readFileSync(new URL(path, FIXTURES), 'utf8'),
      readStdin: () => Promise.resolve(''),
    },
    scan: { readFile: (path) => files[path] ?? readFileSync(new URL(path, FIXTURES), 'utf8') },
    runServe: () => Promise.resolve(),
  };
}

/**
 * A pod whose name erases the line it is printed on, prints a fake verdict and summary,
 * and sets the window title; pinned where the ingress holds 8080, so it is denied.
 */
const HOSTILE_NAME = 'web\u001b[2K\rallow Pod default/web on worker-1\n1 objects checked: 0 denied, 0 with warnings, 1 allowed\u001b]0;pwned\u0007\u202e';
const HOSTILE = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: HOSTILE_NAME },
  spec: { nodeName: 'worker-1', hostNetwork: true, containers: [{ name: 'web', ports: [{ containerPort: 8080 }] }] },
});

describe('check output on a terminal', () => {
  it('shows a hostile name escaped on the deny line, so no fake line or summary appears', async () => {
    const out = await runMain(['check', '--state', 'states/cluster.yaml', 'hostile.json'], deps({ 'hostile.json': HOSTILE }));
    expect(out.exitCode).toBe(1);
    expect(interpreted(out.stdout)).toBe(false);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^deny {2}Pod default\/web\\u001b\[2K\\u000dallow Pod default\/web on worker-1\\u000a1 objects checked: .*\\u001b\]0;pwned\\u0007\\u202e on worker-1: /);
    expect(lines[1]).toBe('1 object checked: 1 denied, 0 with warnings, 0 allowed');
    expect(isVisible(lines.join(''))).toBe(true);
  });

  it('keeps -o json valid, with the same characters as JSON escapes', async () => {
    const out = await runMain(['check', '--state', 'states/cluster.yaml', '-o', 'json', 'hostile.json'], deps({ 'hostile.json': HOSTILE }));
    expect(interpreted(out.stdout)).toBe(false);
    expect(isVisible(out.stdout.replace(/\n/g, ''))).toBe(true);
    const parsed: unknown = JSON.parse(out.stdout);
    expect(parsed).toMatchObject({ results: [{ name: HOSTILE_NAME, decision: 'deny' }] });
  });

  it('keeps an emoji in a name as it is and escapes a lone surrogate and a tag character, in text and in JSON', async () => {
    const pod = JSON.parse(HOSTILE) as { metadata: { name: string } };
    pod.metadata.name = 'web\u{1F600}\ud800\u{e0041}';
    const files = { 'astral.json': JSON.stringify(pod) };
    const text = await runMain(['check', '--state', 'states/cluster.yaml', 'astral.json'], deps(files));
    expect(text.stdout).toMatch(/^deny {2}Pod default\/web\u{1F600}\\ud800\\udb40\\udc41 on worker-1: /u);
    const json = await runMain(['check', '--state', 'states/cluster.yaml', '-o', 'json', 'astral.json'], deps(files));
    expect(json.stdout).toContain('"name": "web\u{1F600}\\ud800\\udb40\\udc41"');
    expect(JSON.parse(json.stdout)).toMatchObject({ results: [{ name: pod.metadata.name }] });
  });

  it('shows a hostile name escaped in an error line on stderr', async () => {
    const invalid = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: HOSTILE_NAME }, spec: { containers: 'none' } });
    const out = await runMain(['check', '--state', 'states/cluster.yaml', 'bad\u001b[31m.json'], deps({ 'bad\u001b[31m.json': invalid }));
    expect(out.exitCode).toBe(2);
    expect(interpreted(out.stderr)).toBe(false);
    expect(out.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/^error: bad\\u001b\[31m\.json: document 1: Pod web\\u001b\[2K\\u000dallow/);
  });

  it('shows a hostile option escaped in commander\'s own error', async () => {
    const out = await runMain(['check', '--\u001b]0;pwned\u0007'], deps({}));
    expect(out.exitCode).toBe(2);
    expect(interpreted(out.stderr)).toBe(false);
  });
});

/** Every kind of character a terminal acts on or hides, by name. */
const CHARACTERS: Readonly<Record<string, string>> = {
  'an escape sequence clearing the screen': '\u001b[2J',
  'a carriage return printing over the line': 'deny\rallow',
  'a bell': '\u0007',
  'DEL': '\u007f',
  'a C1 control (CSI)': '\u009b31m',
  'NEL': '\u0085',
  'a right-to-left override': '\u202e',
  'a zero-width space': '\u200b',
  'a BOM': '\ufeff',
  'a line separator': '\u2028',
  'a lone surrogate': '\ud800',
  'a tag character (past the BMP)': '\u{e0041}',
  'a newline': 'a\nb',
};

const SHOWN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

describe('jsonForTerminal and yamlForTerminal', () => {
  const value = { names: [...Object.values(CHARACTERS), 'team-a/web-1', 'Grüße', '\u{1F600}'], nested: { key: '\u202eevil', ok: 'plain', n: 3, none: null } };

  it.each([
    ['JSON', (v: unknown) => jsonForTerminal(v), (t: string): unknown => JSON.parse(t)],
    ['YAML', (v: unknown) => yamlForTerminal(v), (t: string): unknown => parse(t)],
  ])('write %s that hides nothing and reads back the same values', (_name, write, read) => {
    const text = write(value);
    expect(text.split('\n').filter((l) => SHOWN.test(l))).toEqual([]);
    expect(read(text)).toEqual(value);
  });

  it('write an emoji as it is and a tag character as its surrogate pair', () => {
    expect(jsonForTerminal({ name: 'a\u{1F600}\u{e0041}' })).toBe('{\n  "name": "a\u{1F600}\\udb40\\udc41"\n}');
    expect(yamlForTerminal({ name: 'a\u{1F600}\u{e0041}' })).toBe('name: "a\u{1F600}\\udb40\\udc41"\n');
  });
});
