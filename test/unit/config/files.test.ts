import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';

import { discardBytes, readFileBytes, readTextFile } from '../../../src/config/files.js';
import { InputTooLargeError } from '../../../src/yaml/bounded.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hpg-files-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const at = path.join(dir, name);
  writeFileSync(at, content);
  return at;
}

/**
 * A named pipe (no size to read up front) that a child process fills with `bytes` bytes
 * of `x`. The pipe exists before this returns and the writer runs on its own, so a
 * synchronous read of it cannot wait on this process's event loop.
 */
function pipe(name: string, bytes: number): { readonly path: string; readonly written: Promise<void> } {
  const at = path.join(dir, name);
  execFileSync('mkfifo', [at]);
  // head stops writing when the reader closes early (SIGPIPE); that is not a failure here.
  const writer = spawn('sh', ['-c', `head -c ${bytes} /dev/zero | tr '\\0' x > '${at}'`], { stdio: 'ignore' });
  const written = new Promise<void>((resolve, reject) => {
    writer.on('exit', () => {
      resolve();
    });
    writer.on('error', reject);
  });
  return { path: at, written };
}

describe('readFileBytes', () => {
  it('reads a file whole, in a buffer of its own that holds exactly its bytes', () => {
    const text = 'kind: Pod\nmetadata: {name: caf\u00e9}\n';
    const bytes = readFileBytes(file('pod.yaml', text));
    expect(bytes.toString('utf8')).toBe(text);
    expect(bytes.length).toBe(Buffer.byteLength(text));
    expect(bytes.byteOffset).toBe(0);
  });

  it('reads an empty file as no bytes', () => {
    expect(readFileBytes(file('empty', '')).length).toBe(0);
  });

  it('refuses a file larger than the limit by its size, and takes one exactly at it', () => {
    const at = file('ten', '0123456789');
    expect(() => readFileBytes(at, 9)).toThrow(InputTooLargeError);
    expect(readFileBytes(at, 10).toString()).toBe('0123456789');
  });

  it('says a directory is one', () => {
    const at = path.join(dir, 'sub');
    mkdirSync(at);
    expect(() => readFileBytes(at)).toThrow('is a directory');
  });

  it('reads a pipe, which has no size, growing the buffer as bytes arrive', async () => {
    const p = pipe('fifo-large', 300_000);
    const bytes = readFileBytes(p.path);
    await p.written;
    expect(bytes.length).toBe(300_000);
    expect(bytes.every((b) => b === 0x78)).toBe(true);
  });

  it('stops reading a pipe past the limit', async () => {
    const p = pipe('fifo-over', 200_000);
    expect(() => readFileBytes(p.path, 100_000)).toThrow(InputTooLargeError);
    await p.written;
  });

  it('reads a file whose size stat gives as 0 (in /proc) by what arrives', () => {
    const bytes = readFileBytes('/proc/self/status');
    expect(bytes.toString('utf8')).toMatch(/^Name:/);
  });
});

describe('discardBytes', () => {
  it('gives the memory back at once: the buffer and its views are empty afterwards', () => {
    const bytes = readFileBytes(file('gone', 'x'.repeat(100_000)));
    const view = bytes.subarray(10, 20);
    discardBytes(bytes);
    expect(bytes.length).toBe(0);
    expect(view.length).toBe(0);
    expect(bytes.buffer.detached).toBe(true);
  });
});

describe('readTextFile', () => {
  it('decodes the bytes as UTF-8, a broken sequence as U+FFFD', () => {
    expect(readTextFile(file('text', Buffer.from([0x61, 0xc3, 0xa9, 0xff, 0x62])))).toBe('a\u00e9\ufffdb');
  });
});
