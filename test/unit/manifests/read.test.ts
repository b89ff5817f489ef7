import { describe, expect, it } from '@jest/globals';
import { originText } from '../../../src/manifests/documents.js';
import { readManifests } from '../../../src/manifests/read.js';

function pod(meta: string, extra = ''): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: ${meta}\nspec:\n  containers: [{name: c, ports: [{containerPort: 80, hostPort: 80}]}]\n${extra}`;
}

describe('readManifests', () => {
  it('puts an object that names no namespace into default, and keeps a named one', () => {
    const { objects } = readManifests([{ file: 'a.yaml', text: `${pod('{name: a}')}---\n${pod('{name: b, namespace: team}')}` }]);
    expect(objects.map((o) => [o.namespace, o.name, o.object.metadata.namespace])).toEqual([
      ['default', 'a', 'default'],
      ['team', 'b', 'team'],
    ]);
  });

  it('reports generateName-only objects by their prefix, never an invented name, and tells them apart inside', () => {
    const { objects } = readManifests([
      { file: 'a.yaml', text: pod('{generateName: web-}') },
      { file: 'b.yaml', text: pod('{generateName: web-}') },
    ]);
    expect(objects.map((o) => [o.name, o.object.metadata.name, o.object.metadata.generateName])).toEqual([
      ['web-* (generated)', undefined, 'web-'],
      ['web-* (generated)', undefined, 'web-'],
    ]);
    const [a, b] = objects.map((o) => o.object.metadata.uid);
    expect(a !== undefined && b !== undefined && a !== b).toBe(true);
  });

  it('keeps the uid a generateName-only object already has', () => {
    const { objects } = readManifests([{ file: 'a.yaml', text: pod('{generateName: web-, uid: u-1}') }]);
    expect(objects.map((o) => o.object.metadata.uid)).toEqual(['u-1']);
  });

  it('reads workloads and CronJobs from a List', () => {
    const text = JSON.stringify({
      kind: 'List',
      items: [
        { kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { template: { spec: { containers: [] } } } },
        { kind: 'CronJob', metadata: { name: 'cj' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [] } } } } } },
      ],
    });
    const { objects, errors } = readManifests([{ file: 'l.json', text }]);
    expect([objects.map((o) => [o.object.kind, originText(o.origin)]), errors]).toEqual([
      [
        ['DaemonSet', 'l.json: document 1, item 1'],
        ['CronJob', 'l.json: document 1, item 2'],
      ],
      [],
    ]);
  });

  it('reports kinds it does not decide as skipped, not as errors', () => {
    const text = 'kind: ConfigMap\nmetadata: {name: cfg, namespace: team}\n---\nkind: Namespace\nmetadata: {name: team}\n';
    const { objects, skipped, errors } = readManifests([{ file: 'a.yaml', text }]);
    expect([objects, errors, skipped.map((s) => [s.kind, s.name])]).toEqual([
      [],
      [],
      [
        ['ConfigMap', 'team/cfg'],
        ['Namespace', 'team'],
      ],
    ]);
  });

  const invalid: [string, string, string][] = [
    [
      'a hostPort that is not a number',
      'kind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: c, ports: [{containerPort: 80, hostPort: "80"}]}]\n',
      'a.yaml: document 1: Pod web: /spec/containers/0/ports/0/hostPort must be an integer',
    ],
    ['a Pod without a spec', 'kind: Pod\nmetadata: {name: web}\n', "a.yaml: document 1: Pod web: object must have required property 'spec'"],
    ['an object without a kind', 'metadata: {name: web}\n', 'a.yaml: document 1: object web: /kind is missing'],
    ['a Pod with neither name nor generateName', pod('{namespace: x}'), 'a.yaml: document 1: Pod: /metadata must have name or generateName'],
  ];
  it.each(invalid)('reports %s with its location and path', (_name, text, expected) => {
    const { objects, errors } = readManifests([{ file: 'a.yaml', text }]);
    expect([objects, errors.map((e) => `${originText(e.origin)}: ${e.message}`)]).toEqual([[], [expected]]);
  });
});
