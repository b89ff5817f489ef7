import { describe, expect, it } from '@jest/globals';

import type { Mode } from '../../../src/admission/decide.js';
import { MODES } from '../../../src/admission/decide.js';
import type { NamespaceModes, Policy } from '../../../src/admission/policy.js';
import { isMode, MODE_LABEL, modeFor } from '../../../src/admission/policy.js';
import { DEFAULT_RULES } from '../../fixtures/pods.js';

/** Namespace labels as a fixed map: namespace -> value of MODE_LABEL. */
function labels(values: Readonly<Record<string, string>>): NamespaceModes {
  return { modeLabelOf: (namespace) => values[namespace] };
}

const POLICY: Policy = { defaultMode: 'enforce', exemptNamespaces: new Set(['kube-system']), ...DEFAULT_RULES };

interface Row {
  readonly name: string;
  readonly namespace: string;
  readonly policy: Policy;
  readonly labels: Readonly<Record<string, string>>;
  readonly want: Mode | 'exempt';
}

const rows: readonly Row[] = [
  { name: 'uses the default for a namespace without the label', namespace: 'team-a', policy: POLICY, labels: {}, want: 'enforce' },
  { name: 'uses another default the same way', namespace: 'team-a', policy: { ...POLICY, defaultMode: 'audit' }, labels: {}, want: 'audit' },
  { name: 'lets the label switch a namespace to warn', namespace: 'team-a', policy: POLICY, labels: { 'team-a': 'warn' }, want: 'warn' },
  { name: 'lets the label switch a namespace to audit', namespace: 'team-a', policy: POLICY, labels: { 'team-a': 'audit' }, want: 'audit' },
  {
    name: 'lets the label switch a namespace to enforce under a warn default',
    namespace: 'team-a',
    policy: { ...POLICY, defaultMode: 'warn' },
    labels: { 'team-a': 'enforce' },
    want: 'enforce',
  },
  { name: 'reads only the label of the namespace asked about', namespace: 'team-b', policy: POLICY, labels: { 'team-a': 'audit' }, want: 'enforce' },
  { name: 'falls back to the default for an unknown label value', namespace: 'team-a', policy: POLICY, labels: { 'team-a': 'off' }, want: 'enforce' },
  { name: 'falls back to the default for a wrongly cased value', namespace: 'team-a', policy: POLICY, labels: { 'team-a': 'Warn' }, want: 'enforce' },
  { name: 'falls back to the default for an empty value', namespace: 'team-a', policy: POLICY, labels: { 'team-a': '' }, want: 'enforce' },
  { name: 'falls back to the default for exempt, which is no mode', namespace: 'team-a', policy: POLICY, labels: { 'team-a': 'exempt' }, want: 'enforce' },
  { name: 'exempts a configured namespace', namespace: 'kube-system', policy: POLICY, labels: {}, want: 'exempt' },
  { name: 'exempts a configured namespace whatever its label says', namespace: 'kube-system', policy: POLICY, labels: { 'kube-system': 'enforce' }, want: 'exempt' },
  { name: 'exempts nothing when no namespace is configured', namespace: 'kube-system', policy: { ...POLICY, exemptNamespaces: new Set() }, labels: {}, want: 'enforce' },
];

describe('modeFor', () => {
  it.each(rows)('$name', ({ namespace, policy, labels: values, want }) => {
    expect(modeFor(namespace, policy, labels(values))).toBe(want);
  });
});

describe('isMode', () => {
  it.each(MODES.map((m) => [m]))('accepts %s', (value) => {
    expect(isMode(value)).toBe(true);
  });

  it.each([['off'], ['Enforce'], [''], ['exempt'], [' warn']])('rejects %j', (value) => {
    expect(isMode(value)).toBe(false);
  });
});

describe('MODE_LABEL', () => {
  it('is the documented namespace label', () => {
    expect(MODE_LABEL).toBe('hostport-guard.io/mode');
  });
});
