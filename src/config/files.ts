import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';

/**
 * Reading the files and standard input a user names (manifests, cluster states, the
 * configuration file): reading files is the config layer's job, so the commands receive
 * these functions and tests pass fakes instead.
 */

/** The UTF-8 text of a file; throws the system error when it cannot be read. */
export function readTextFile(path: string): string {
  return readFileSync(path, 'utf8');
}

/** All of standard input as UTF-8 text. */
export function readStdin(): Promise<string> {
  return text(process.stdin);
}
