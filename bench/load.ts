/**
 * A small closed-loop HTTPS load generator: N keep-alive connections, each sending the
 * next body as soon as the previous answer is complete, for a warm-up and then a fixed
 * measured window (both bounded). HTTP/1.1 is written and read by hand over tls.connect:
 * a generic client costs more CPU per request than the servers under test, and the
 * generator must not be the bottleneck.
 *
 * Usage: node load.js --url https://127.0.0.1:P/path --ca FILE --bodies FILE
 *        [--connections 8] [--warmup 2] [--duration 6]
 * --bodies is a JSON array of request bodies (strings), sent round-robin.
 * Prints one JSON line: requests, rps, latency percentiles (ms), statuses, answers.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { parseArgs } from 'node:util';

import { percentiles } from './lib/stats.js';

const CRLF2 = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** A parsed response: status and body. */
interface Response {
  readonly status: number;
  readonly body: Buffer;
}

/** Reads HTTP/1.1 responses from one connection, one at a time (no pipelining). */
class ResponseReader {
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: ((response: Response) => void) | undefined;
  #failed: ((error: Error) => void) | undefined;

  constructor(socket: tls.TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#tryComplete();
    });
    const fail = (error: Error): void => {
      const reject = this.#failed;
      this.#waiting = undefined;
      this.#failed = undefined;
      reject?.(error);
    };
    socket.on('error', fail);
    socket.on('close', () => {
      fail(new Error('connection closed'));
    });
  }

  next(): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failed = reject;
      this.#tryComplete();
    });
  }

  #tryComplete(): void {
    if (this.#waiting === undefined) return;
    const end = this.#buffer.indexOf(CRLF2);
    if (end < 0) return;
    const head = this.#buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let body: Buffer;
    let consumed: number;
    if (length?.[1] !== undefined) {
      consumed = end + 4 + Number(length[1]);
      if (this.#buffer.length < consumed) return;
      body = this.#buffer.subarray(end + 4, consumed);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const chunks: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const lineEnd = this.#buffer.indexOf(CRLF, at);
        if (lineEnd < 0) return;
        const size = parseInt(this.#buffer.subarray(at, lineEnd).toString('latin1'), 16);
        if (this.#buffer.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          consumed = lineEnd + 4;
          break;
        }
        chunks.push(this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(chunks);
    } else {
      throw new Error(`a response without Content-Length or chunked encoding: ${head}`);
    }
    this.#buffer = this.#buffer.subarray(consumed);
    const resolve = this.#waiting;
    this.#waiting = undefined;
    this.#failed = undefined;
    resolve({ status, body });
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** What an answer said: admission responses carry `allowed`, OPA's a `result` set. */
function answerOf(body: Buffer): string {
  const text = body.toString('utf8');
  if (text.includes('"allowed":true')) return 'allowed';
  if (text.includes('"allowed":false')) return 'denied';
  if (/"result":\s*\[\s*\]/.test(text)) return 'allowed';
  if (text.includes('"result"')) return 'denied';
  return 'other';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      ca: { type: 'string' },
      bodies: { type: 'string' },
      connections: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      duration: { type: 'string', default: '6' },
    },
  });
  if (values.url === undefined || values.ca === undefined || values.bodies === undefined) throw new Error('--url, --ca and --bodies are required');
  const url = new URL(values.url);
  const ca = readFileSync(values.ca);
  const parsed: unknown = JSON.parse(readFileSync(values.bodies, 'utf8'));
  if (!isStringArray(parsed) || parsed.length === 0) throw new Error(`${values.bodies}: expected a JSON array of strings`);
  const requests = parsed.map((body) => {
    const payload = Buffer.from(body);
    const head = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
  });
  const connections = Number(values.connections);
  const warmupMs = Number(values.warmup) * 1000;
  const durationMs = Number(values.duration) * 1000;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const measureUntil = measureFrom + durationMs;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const answers = new Map<string, number>();
  let errors = 0;
  let next = 0;

  const connection = async (): Promise<void> => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca, ALPNProtocols: ['http/1.1'] });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const reader = new ResponseReader(socket);
    while (performance.now() < measureUntil) {
      const request = requests[next % requests.length];
      next += 1;
      if (request === undefined) break;
      const sent = performance.now();
      socket.write(request);
      const response = await reader.next();
      const done = performance.now();
      if (sent < measureFrom || done > measureUntil) continue;
      latencies.push(done - sent);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const answer = answerOf(response.body);
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
    }
    socket.end();
  };

  let cpuAtStart = process.cpuUsage();
  setTimeout(() => {
    cpuAtStart = process.cpuUsage();
  }, warmupMs).unref();
  const results = await Promise.allSettled(Array.from({ length: connections }, connection));
  const cpu = process.cpuUsage(cpuAtStart);
  const clientCpu = (cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - measureFrom);
  for (const r of results) if (r.status === 'rejected') errors += 1;
  const stats = percentiles(latencies);
  process.stdout.write(
    `${JSON.stringify({
      url: values.url,
      connections,
      seconds: durationMs / 1000,
      requests: stats.count,
      rps: stats.count / (durationMs / 1000),
      p50ms: stats.p50,
      p99ms: stats.p99,
      maxMs: stats.max,
      statuses: Object.fromEntries(statuses),
      answers: Object.fromEntries(answers),
      failedConnections: errors,
      clientCpu,
    })}\n`,
  );
}

await main();
