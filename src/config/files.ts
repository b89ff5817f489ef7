import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputTooLargeError } from '../yaml/bounded.js';

/**
 * Reading the files and standard input a user names (manifests, cluster states, the
 * configuration file): reading files is the config layer's job, so the commands receive
 * these functions and tests pass fakes instead. Every read has a size limit: a file is
 * refused by its size before it is read, and a pipe or standard input is read only up to
 * the limit.
 */

const CHUNK_BYTES = 64 * 1024;

/**
 * The UTF-8 text of a file, at most `maxBytes` long; throws InputTooLargeError past it,
 * an Error saying `is a directory` for a directory, or the system error.
 */
export function readTextFile(path: string, maxBytes = Number.POSITIVE_INFINITY): string {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new Error('is a directory');
    if (stat.isFile() && stat.size > maxBytes) throw new InputTooLargeError(maxBytes);
    // Files can grow while read, and pipes have no size: count what arrives.
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.alloc(CHUNK_BYTES);
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      total += n;
      if (total > maxBytes) throw new InputTooLargeError(maxBytes);
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** All of standard input as UTF-8 text, at most `maxBytes`; rejects with InputTooLargeError past it. */
export function readStdin(maxBytes = Number.POSITIVE_INFINITY): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        process.stdin.off('data', onData);
        process.stdin.destroy();
        reject(new InputTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', () => {
      resolve(Buffer.concat(chunks, total).toString('utf8'));
    });
    process.stdin.once('error', reject);
  });
}
