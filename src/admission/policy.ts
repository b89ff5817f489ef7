import type { Mode, Rules } from './decide.js';
import { MODES } from './decide.js';

/** The namespace label that overrides the configured mode, e.g. `hostport-guard.io/mode: warn`. */
export const MODE_LABEL = 'hostport-guard.io/mode';

/** The configured answer to conflicts, before namespace overrides, and the rules decisions apply. */
export interface Policy extends Rules {
  readonly defaultMode: Mode;
  /** Namespaces never decided (the chart also keeps them out of the webhook's namespaceSelector). */
  readonly exemptNamespaces: ReadonlySet<string>;
}

/** Where namespace labels come from: the live index, a snapshot, or nothing. */
export interface NamespaceModes {
  /** The value of MODE_LABEL on `namespace`, if the namespace carries it. */
  modeLabelOf(namespace: string): string | undefined;
}

/** Narrows a label value or configuration string to a Mode. */
export function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

/**
 * The mode for a request in `namespace`: `exempt` for exempt namespaces, else the
 * namespace's label when it names a mode, else the configured default. A label with an
 * unknown value falls back to the default, so a typo never switches enforcement off.
 */
export function modeFor(namespace: string, policy: Policy, namespaces: NamespaceModes): Mode | 'exempt' {
  if (policy.exemptNamespaces.has(namespace)) return 'exempt';
  const label = namespaces.modeLabelOf(namespace);
  return label !== undefined && isMode(label) ? label : policy.defaultMode;
}
