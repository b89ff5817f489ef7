import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';

/**
 * Reading of user-named input files for the CLI: reading files is the config layer's
 * job, so the commands receive these functions and tests pass fakes instead.
 */

/** The UTF-8 text of a file; throws the system error when it cannot be read. */
export function readTextFile(path: string): string {
  return readFileSync(path, 'utf8');
}

/** All of standard input as UTF-8 text. */
export function readStdin(): Promise<string> {
  return text(process.stdin);
}

/** The package version, read once from package.json next to src/ and dist/. */
export function packageVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  if (typeof raw === 'object' && raw !== null && 'version' in raw && typeof raw.version === 'string') return raw.version;
  return '0.0.0';
}
