import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chartReadme, valueDocs } from '../../../hack/chart-readme.js';

const CHART = path.resolve(import.meta.dirname, '../../../charts/hostport-guard');
const read = (file: string): string => readFileSync(path.join(CHART, file), 'utf8');

describe('the chart README', () => {
  it('is what hack/chart-readme.ts makes of Chart.yaml and values.yaml (run it after changing a value)', () => {
    expect(read('README.md')).toBe(chartReadme(read('Chart.yaml'), read('values.yaml')));
  });
});

describe('valueDocs', () => {
  it('documents leaves, empty maps and maps set as a whole with their "# --" comments, including the first key of a nested map', () => {
    const values = [
      '# -- How many.',
      'replicas: 2',
      '',
      'image:',
      '  # -- Where from,',
      '  # on two lines.',
      '  repository: x',
      '  # -- Which one.',
      '  tag: ""',
      '# Section heading.',
      '',
      '# -- Extra labels.',
      'labels: {}',
      '# -- Hosts | pipes.',
      'hosts: [a]',
      '# -- Set as a whole.',
      'securityContext:',
      '  runAsUser: 1',
    ].join('\n');
    expect(valueDocs(values)).toEqual([
      { key: 'replicas', type: 'int', defaultValue: '2', description: 'How many.' },
      { key: 'image.repository', type: 'string', defaultValue: '"x"', description: 'Where from, on two lines.' },
      { key: 'image.tag', type: 'string', defaultValue: '""', description: 'Which one.' },
      { key: 'labels', type: 'object', defaultValue: '{}', description: 'Extra labels.' },
      { key: 'hosts', type: 'list', defaultValue: '["a"]', description: 'Hosts | pipes.' },
      { key: 'securityContext', type: 'object', defaultValue: '{"runAsUser":1}', description: 'Set as a whole.' },
    ]);
  });

  it('names every value that has no "# --" comment', () => {
    expect(() => valueDocs('# plain comment\na: 1\nb:\n  c: 2\n')).toThrow('values.yaml: no "# --" comment above a, b.c');
  });
});
