/**
 * The one way ajv's validation errors are put into words, for every schema that guards
 * untrusted input: AdmissionReviews and manifests (review.ts), watch events, lists and
 * cluster-state files (src/cluster), and the configuration (src/config). The same
 * invalid field reads the same wherever it is refused.
 */
import type { ErrorObject } from 'ajv';

/** The keys of a JSON pointer, unescaped (RFC 6901: `~1` is `/`, `~0` is `~`). */
export function pointerKeys(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * A JSON pointer as a path a user reads: `/spec/containers/0/name` is
 * `spec.containers[0].name`, and label keys keep their slash (`labels.hostport-guard.io/mode`).
 * The pointer of the whole value is the empty path.
 */
export function readablePath(pointer: string): string {
  return pointerKeys(pointer).reduce((path, key) => (/^[0-9]+$/.test(key) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`), '');
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

function listed(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ') : '';
}

/**
 * What is wrong with the value an ajv error points at: `must be an integer`,
 * `must be one of enforce, warn, audit`, `must be at least 1`. Given the offending
 * value (the configuration, where it came from a flag or a variable and is short), a
 * type error names it: `must be an integer, not "eighty"`.
 */
export function problemOf(error: ErrorObject, offending?: { readonly value: unknown }): string {
  const p = error.params;
  switch (error.keyword) {
    case 'type': {
      const words = String(p['type']).split(',').map((type) => TYPE_WORDS[type] ?? type).join(' or ');
      return offending === undefined ? `must be ${words}` : `must be ${words}, not ${JSON.stringify(offending.value)}`;
    }
    case 'const':
      return `must be ${JSON.stringify(p['allowedValue'])}`;
    case 'enum':
      return `must be one of ${listed(p['allowedValues'])}`;
    case 'minimum':
      return `must be at least ${String(p['limit'])}`;
    case 'maximum':
      return `must be at most ${String(p['limit'])}`;
    case 'minLength':
      return Number(p['limit']) === 1 ? 'must not be empty' : `must be at least ${String(p['limit'])} characters long`;
    case 'uniqueItems':
      return 'must not list a value twice';
    default:
      return error.message ?? 'is invalid';
  }
}

/** Each error as `path problem`, e.g. `spec.containers[0].ports[1].hostPort must be an integer`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${readablePath(e.instancePath) || 'object'} ${problemOf(e)}`);
}
