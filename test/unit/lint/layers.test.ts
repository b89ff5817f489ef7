/**
 * The layering is enforced, not only described: probe files placed in src/ folders are
 * linted with the repository's own eslint.config.js (what `make lint` runs), and every
 * import against the one-way order fails with the layers rule, while the allowed
 * directions pass.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TAG = `lint-probe-${process.pid}`;

interface Probe {
  readonly name: string;
  /** The folder under src/ the probe file is placed in. */
  readonly folder: string;
  readonly code: string;
  /** The layers rule's messages, in order; empty when the import is allowed. */
  readonly errors: readonly string[];
}

const order = 'imports flow cli -> server, cluster, config, manifests -> admission -> engine (and cli, config, manifests -> yaml) (DEVELOPERS.md)';

const PROBES: readonly Probe[] = [
  {
    name: 'admission importing the cluster index',
    folder: 'admission',
    code: "import type { PodIndex } from '../cluster/pod-index.js';\nexport type Probe = PodIndex;\n",
    errors: [`src/admission may not import src/cluster: ${order}`],
  },
  {
    name: 'the engine importing a decision',
    folder: 'engine',
    code: "import type { Decision } from '../admission/decide.js';\nexport type Probe = Decision;\n",
    errors: [`src/engine may not import src/admission: ${order}`],
  },
  {
    name: 'cluster importing its sibling config',
    folder: 'cluster',
    code: "import type { Config } from '../config/schema.js';\nexport type Probe = Config;\n",
    errors: [`src/cluster may not import src/config: ${order}`],
  },
  {
    name: 'server importing the CLI',
    folder: 'server',
    code: "export { runCli } from '../cli/program.js';\n",
    errors: [`src/server may not import src/cli: ${order}`],
  },
  {
    name: 'a path that walks through engine into cluster',
    folder: 'engine',
    code: "export * from '../engine/../cluster/multimap.js';\n",
    errors: [`src/engine may not import src/cluster: ${order}`],
  },
  {
    name: 'the YAML reader importing the configuration',
    folder: 'yaml',
    code: "import type { Config } from '../config/schema.js';\nexport type Probe = Config;\n",
    errors: [`src/yaml may not import src/config: ${order}`],
  },
  {
    name: 'server importing the YAML reader',
    folder: 'server',
    code: "export { parseYamlWithin } from '../yaml/bounded.js';\n",
    errors: [`src/server may not import src/yaml: ${order}`],
  },
  {
    name: 'manifests importing the YAML reader (allowed)',
    folder: 'manifests',
    code: "export { parseYamlWithin } from '../yaml/bounded.js';\n",
    errors: [],
  },
  {
    name: 'a dynamic import of the server from manifests',
    folder: 'manifests',
    code: "export const probe = (): Promise<unknown> => import('../server/errors.js');\n",
    errors: [`src/manifests may not import src/server: ${order}`],
  },
  {
    name: 'the CLI importing the cluster (allowed)',
    folder: 'cli',
    code: "import type { PodIndex } from '../cluster/pod-index.js';\nexport type Probe = PodIndex;\n",
    errors: [],
  },
  {
    name: 'admission importing the engine (allowed)',
    folder: 'admission',
    code: "import type { PodRef } from '../engine/types.js';\nexport type Probe = PodRef;\n",
    errors: [],
  },
  {
    name: 'server importing admission (allowed)',
    folder: 'server',
    code: "import type { Mode } from '../admission/decide.js';\nexport type Probe = Mode;\n",
    errors: [],
  },
];

function probePath(index: number, probe: Probe): string {
  return path.join(ROOT, 'src', probe.folder, `${TAG}-${index}.ts`);
}

describe('the layers lint rule (eslint.config.js)', () => {
  const results = new Map<string, ESLint.LintResult>();

  beforeAll(async () => {
    PROBES.forEach((probe, i) => {
      writeFileSync(probePath(i, probe), probe.code);
    });
    try {
      const eslint = new ESLint({ cwd: ROOT });
      for (const result of await eslint.lintFiles(PROBES.map((probe, i) => probePath(i, probe)))) results.set(result.filePath, result);
    } finally {
      PROBES.forEach((probe, i) => {
        rmSync(probePath(i, probe), { force: true });
      });
    }
  }, 120_000);

  it.each(PROBES.map((probe, i) => [probe.name, i] as const))('%s', (_name, i) => {
    const probe = PROBES[i];
    if (probe === undefined) throw new Error(`no probe ${i}`);
    const result = results.get(probePath(i, probe));
    if (result === undefined) throw new Error(`eslint returned no result for probe ${i}`);
    expect(result.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message)).toEqual(probe.errors);
    // The probes are otherwise clean, so an allowed import really lints clean.
    expect(result.messages.filter((m) => m.ruleId !== 'layers/imports')).toEqual([]);
  });
});
