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
  const bytes = readFileBytes(path, maxBytes);
  try {
    return bytes.toString('utf8');
  } finally {
    discardBytes(bytes);
  }
}

/**
 * The bytes of a file, at most `maxBytes`, as readTextFile reads them, in a Buffer over
 * memory of its own: a regular file is read into one allocation of its size, not
 * gathered in chunks and copied, and discardBytes gives that memory back at once, where
 * the garbage collector could hold it for as long as the process stays idle.
 */
export function readFileBytes(path: string, maxBytes = Number.POSITIVE_INFINITY): Buffer<ArrayBuffer> {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new Error('is a directory');
    if (stat.isFile() && stat.size > maxBytes) throw new InputTooLargeError(maxBytes);
    // Files can grow while read, and pipes have no size: count what arrives, and grow the
    // buffer when it fills. One byte more than the file's size lets the read that finds
    // its end do so without growing it.
    let buffer = Buffer.allocUnsafeSlow(Math.min(stat.isFile() && stat.size > 0 ? stat.size + 1 : CHUNK_BYTES, maxBytes + 1));
    let total = 0;
    try {
      for (;;) {
        if (total === buffer.length) buffer = grown(buffer, maxBytes);
        const n = readSync(fd, buffer, total, buffer.length - total, null);
        if (n === 0) break;
        total += n;
        if (total > maxBytes) throw new InputTooLargeError(maxBytes);
      }
    } catch (error) {
      discardBytes(buffer);
      throw error;
    }
    return buffer.subarray(0, total);
  } finally {
    closeSync(fd);
  }
}

/** A buffer twice as large (at most one byte past `maxBytes`) with the same bytes; the old one is discarded. */
function grown(buffer: Buffer<ArrayBuffer>, maxBytes: number): Buffer<ArrayBuffer> {
  const larger = Buffer.allocUnsafeSlow(Math.min(Math.max(buffer.length * 2, CHUNK_BYTES), maxBytes + 1));
  buffer.copy(larger);
  discardBytes(buffer);
  return larger;
}

/**
 * Gives the memory of a Buffer from readFileBytes back now: the Buffer, and every view
 * of it, is empty afterwards. A detached ArrayBuffer frees its memory at once.
 */
export function discardBytes(bytes: Buffer<ArrayBuffer>): void {
  bytes.buffer.transfer(0);
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
