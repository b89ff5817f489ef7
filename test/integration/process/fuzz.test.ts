/**
 * Fuzzing the real webhook process and the real CLI with seeded random and mutated input.
 *
 * The seed is printed; `HPG_FUZZ_SEED=N` replays a run exactly, and `HPG_FUZZ_REVIEWS`
 * and `HPG_FUZZ_CHECKS` change how many reviews and `check` runs it makes.
 *
 * Every answer of `serve` must be a well-formed AdmissionReview with status 200, 400, 413
 * or 415 (413 and 415 exactly when the body's size or type asks for it), echo the uid it
 * was sent, and say nothing a terminal would interpret; the process must stay alive and
 * answer its probes. Every `check` must exit 0, 1 or 2 as its contract says, print no
 * stack and nothing a terminal would interpret.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isVisible } from '../../../src/admission/text.js';
import { MAX_MESSAGE_LENGTH, MAX_WARNINGS, WARNING_HARD_LIMIT } from '../../../src/admission/messages.js';
import { run } from '../../e2e/support/process.js';
import type { WireCase } from './fuzz-inputs.js';
import { manifestArb, oversizedCase, wireCaseArb } from './fuzz-inputs.js';
import type { Reply, Serve } from './serve.js';
import { BIN, httpGet, keepAliveAgent, postReview, removeTemporaryFiles, startServe, STATE_FILE } from './serve.js';

jest.setTimeout(180_000);

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : Number(raw);
}

const SEED = envNumber('HPG_FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
const REVIEWS = envNumber('HPG_FUZZ_REVIEWS', 5000);
const CHECKS = envNumber('HPG_FUZZ_CHECKS', 20);
/** Requests in flight at once, over as many kept-alive connections. */
const CONCURRENCY = 8;

// Printed before anything runs, so even a hung run can be replayed.
process.stdout.write(`fuzz seed ${SEED}: replay with HPG_FUZZ_SEED=${SEED}\n`);

/** A failed check, with what is needed to replay it. */
function failure(what: string, index: number, detail: string): Error {
  return new Error(`${what} #${index} (HPG_FUZZ_SEED=${SEED}): ${detail}`);
}

/** Every string in a JSON value. */
function stringsIn(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, into);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) stringsIn(v, into);
  return into;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What is wrong with the answer to `sent`, or undefined when it keeps the contract. */
function problemWith(sent: WireCase, reply: Reply): string | undefined {
  if (reply.error !== undefined) return `no answer: ${reply.error}`;
  const status = reply.status ?? 0;
  if (![200, 400, 413, 415].includes(status)) return `status ${status}: ${reply.body?.slice(0, 300) ?? ''}`;
  if (sent.expect !== undefined && status !== sent.expect) return `status ${status}, expected ${sent.expect}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body ?? '');
  } catch {
    return `not JSON: ${reply.body?.slice(0, 300) ?? ''}`;
  }
  if (!isObject(parsed) || parsed['apiVersion'] !== 'admission.k8s.io/v1' || parsed['kind'] !== 'AdmissionReview' || !isObject(parsed['response'])) {
    return `not an AdmissionReview: ${reply.body?.slice(0, 300) ?? ''}`;
  }
  const response = parsed['response'];
  const allowed = response['allowed'];
  if (typeof response['uid'] !== 'string' || typeof allowed !== 'boolean') return 'response without uid or allowed';
  if (status === 200 && sent.uid !== undefined && response['uid'] !== sent.uid) return 'the uid was not echoed';
  if (response['patch'] !== undefined) return 'a patch';
  const answerStatus = response['status'];
  if (status !== 200) {
    if (allowed || !isObject(answerStatus) || answerStatus['code'] !== status) return `an error answer without its status: ${reply.body?.slice(0, 300) ?? ''}`;
  } else if (!allowed) {
    if (!isObject(answerStatus) || answerStatus['code'] !== 403 || answerStatus['reason'] !== 'Forbidden') return 'a denial without 403 Forbidden';
  }
  // What kubectl and the audit log show: the uid is only echoed, never shown.
  const { uid: _uid, ...shown } = response;
  const hidden = stringsIn(shown).find((s) => !isVisible(s));
  if (hidden !== undefined) return `an invisible character in ${JSON.stringify(hidden).slice(0, 200)}`;
  const message = isObject(answerStatus) && typeof answerStatus['message'] === 'string' ? answerStatus['message'] : '';
  if (message.length > MAX_MESSAGE_LENGTH + 100) return `a message of ${message.length} characters`;
  const warnings = Array.isArray(response['warnings']) ? response['warnings'] : [];
  if (warnings.length > MAX_WARNINGS || warnings.some((w) => typeof w !== 'string' || w.length > WARNING_HARD_LIMIT)) return 'warnings past their limits';
  const annotations = isObject(response['auditAnnotations']) ? Object.values(response['auditAnnotations']) : [];
  if (annotations.some((a) => typeof a !== 'string' || a.length > MAX_MESSAGE_LENGTH)) return 'an audit annotation past its limit';
  return undefined;
}

describe(`fuzzing serve with ${REVIEWS} reviews (seed ${SEED})`, () => {
  let serve: Serve;
  let agent: https.Agent;

  beforeAll(async () => {
    serve = await startServe({ args: ['--log-level', 'warn'] });
    agent = keepAliveAgent(CONCURRENCY);
  });

  afterAll(() => {
    agent.destroy();
    serve.kill();
    removeTemporaryFiles();
  });

  it('answers every review with a well-formed AdmissionReview or 400/413/415, and stays up', async () => {
    const cases = [...fc.sample(wireCaseArb, { seed: SEED, numRuns: REVIEWS }), oversizedCase(), oversizedCase()];
    const problems: Error[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < cases.length && problems.length < 5; i = next++) {
        const sent = cases[i];
        if (sent === undefined) continue;
        const headers = sent.contentType === undefined ? {} : { 'content-type': sent.contentType };
        const reply = await postReview(serve, sent.body, agent, headers);
        const problem = problemWith(sent, reply);
        if (problem !== undefined) problems.push(failure('review', i, problem));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(problems.map((p) => p.message)).toEqual([]);
    expect(serve.child.exitCode).toBeNull();
    expect((await httpGet(serve.healthPort, '/livez')).status).toBe(200);
    expect((await httpGet(serve.healthPort, '/readyz')).status).toBe(200);
    // Nothing went wrong inside: no answer was an internal error, and nothing was logged as one.
    expect(serve.logEntries().filter((e) => e['level'] === 50 || e['level'] === 60).slice(0, 3)).toEqual([]);
  });

  it('stops cleanly afterwards', async () => {
    serve.child.kill('SIGTERM');
    expect(await serve.ended).toEqual({ code: 0, signal: null });
  });
});

describe(`fuzzing check with ${CHECKS} runs (seed ${SEED})`, () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hpg-fuzz-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** What is wrong with one run of check, or undefined when it keeps its contract. */
  function checkProblem(json: boolean, result: { exitCode: number; stdout: string; stderr: string }): string | undefined {
    const { exitCode, stdout, stderr } = result;
    if (![0, 1, 2].includes(exitCode)) return `exit ${exitCode}: ${stderr.slice(0, 300)}`;
    if (/^\s+at .+:\d+/m.test(stderr) || stderr.includes('error: unexpected')) return `a crash: ${stderr.slice(0, 500)}`;
    if (!isVisible(stdout.replace(/\n/g, '')) || !isVisible(stderr.replace(/\n/g, ''))) return 'an invisible character in the output';
    if (exitCode === 2) {
      if (stdout !== '' || stderr === '' || !stderr.split('\n').filter((l) => l !== '').every((l) => l.startsWith('error: '))) return `exit 2 without only error lines: ${stderr.slice(0, 300)}`;
      return undefined;
    }
    if (json) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(stdout);
      } catch {
        return `not JSON: ${stdout.slice(0, 300)}`;
      }
      const results = isObject(parsed) && Array.isArray(parsed['results']) ? parsed['results'] : undefined;
      if (results === undefined) return 'no results';
      const denied = results.some((r) => isObject(r) && r['decision'] === 'deny');
      if (denied !== (exitCode === 1)) return `exit ${exitCode} with ${denied ? 'a' : 'no'} denial`;
      if (!stderr.split('\n').filter((l) => l !== '').every((l) => l.startsWith('skipped '))) return `unexpected stderr: ${stderr.slice(0, 300)}`;
      return undefined;
    }
    const denied = stdout.split('\n').some((l) => l.startsWith('deny  '));
    if (denied !== (exitCode === 1)) return `exit ${exitCode} with ${denied ? 'a' : 'no'} deny line`;
    if (stderr !== '') return `unexpected stderr: ${stderr.slice(0, 300)}`;
    if (!/\d+ objects? checked: \d+ denied, \d+ with warnings, \d+ allowed/.test(stdout.split('\n').at(-2) ?? '')) return 'no summary line last';
    return undefined;
  }

  it('exits 0, 1 or 2 as the contract says, without a stack or anything a terminal interprets', async () => {
    // Two runs in three are clean (verdicts); the rest hostile (mostly errors).
    const runArb = fc.tuple(fc.constantFrom(true, true, false), fc.boolean(), fc.constantFrom('enforce', 'warn', 'audit')).chain(([clean, json, mode]) =>
      fc.tuple(fc.array(manifestArb(clean), { minLength: 1, maxLength: 3 }), fc.constant(json), fc.constant(mode)),
    );
    const runs = fc.sample(runArb, { seed: SEED, numRuns: CHECKS });
    const problems: string[] = [];
    const exits = [0, 0, 0];
    let documents = 0;
    for (const [i, [manifests, json, mode]] of runs.entries()) {
      const files = manifests.map((text, j) => {
        const file = path.join(dir, `run-${i}-${j}.yaml`);
        writeFileSync(file, text);
        documents += text.split('\n---\n').length;
        return file;
      });
      const args = [BIN, 'check', '--state', STATE_FILE, '--mode', mode, ...(json ? ['-o', 'json'] : []), ...files];
      const result = await run(process.execPath, args, { timeoutMs: 60_000 });
      exits[result.exitCode] = (exits[result.exitCode] ?? 0) + 1;
      const problem = checkProblem(json, result);
      if (problem !== undefined) problems.push(failure('check run', i, problem).message);
    }
    process.stdout.write(`fuzz: ${runs.length} check runs over ${documents} documents; exit 0: ${exits[0]}, 1: ${exits[1]}, 2: ${exits[2]}\n`);
    expect(problems).toEqual([]);
  });
});
