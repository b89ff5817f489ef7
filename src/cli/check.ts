import { apiServerRefusal } from '../admission/api-validation.js';
import type { Mode, UndeclaredPorts } from '../admission/decide.js';
import { decide } from '../admission/decide.js';
import { modeFor } from '../admission/policy.js';
import { subjectOf } from '../admission/subject.js';
import { ReservingView } from '../cluster/reservations.js';
import type { ReservedPort } from '../engine/types.js';
import { InputTooLargeError, sizeText } from '../yaml/bounded.js';
import type { ManifestError } from '../manifests/documents.js';
import { originText } from '../manifests/documents.js';
import type { ManifestInput, Manifests } from '../manifests/read.js';
import { MAX_MANIFEST_BYTES, readManifests } from '../manifests/read.js';
import type { CheckedObject } from './check-output.js';
import { jsonReport, skippedNotes, textReport } from './check-output.js';
import type { CommandResult } from './exit.js';
import { errorText, EXIT_DENIED, EXIT_OK, usageError } from './exit.js';
import type { ClusterState } from './state-file.js';
import { readStateOrLive, stateFromText } from './state-file.js';

/** Output formats of `check`. */
export const OUTPUT_FORMATS = ['text', 'json'] as const;

/** One output format. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The options of `check`, after commander has parsed them. */
export interface CheckOptions {
  /** Manifest files; `-` is standard input. */
  readonly files: readonly string[];
  /** A `kubectl get pods,nodes,namespaces,priorityclasses -A -o yaml` file to check against instead of the live cluster. */
  readonly state?: string;
  readonly kubeconfig?: string;
  readonly mode: Mode;
  readonly output: OutputFormat;
  /** Namespaces not decided: the server's default (`kube-system`) unless given. */
  readonly exemptNamespaces: readonly string[];
  /** Node daemons' ports on every node (the kubelet's by default, as on the server). */
  readonly reservedPorts: readonly ReservedPort[];
  readonly undeclaredPorts: UndeclaredPorts;
}

/** The outside world of `check`, passed in so tests use strings and fakes. */
export interface CheckDeps {
  /** The UTF-8 text of a file, at most `maxBytes` (InputTooLargeError past it); throws when it cannot be read. */
  readonly readFile: (path: string, maxBytes: number) => string;
  /** All of standard input, at most `maxBytes`. */
  readonly readStdin: (maxBytes: number) => Promise<string>;
  /** Reads the live cluster once; absent where no cluster access is wired. */
  readonly liveState?: (kubeconfig: string | undefined) => Promise<ClusterState>;
}

/** What an input past MAX_MANIFEST_BYTES is told. */
const MANIFESTS_TOO_LARGE = `more than ${sizeText(MAX_MANIFEST_BYTES)} of manifests in all, the most check reads`;

/**
 * The text of every input, MAX_MANIFEST_BYTES in all at most; standard input is read
 * once however often `-` is named.
 */
async function readInputs(files: readonly string[], deps: CheckDeps): Promise<{ inputs: ManifestInput[]; errors: string[] }> {
  const inputs: ManifestInput[] = [];
  const errors: string[] = [];
  let stdin: string | undefined;
  let used = 0;
  for (const file of files) {
    const name = file === '-' ? '<stdin>' : file;
    try {
      const left = MAX_MANIFEST_BYTES - used;
      let text: string;
      if (file === '-') {
        const first = stdin === undefined;
        stdin ??= await deps.readStdin(left);
        text = stdin;
        if (first) used += Buffer.byteLength(text);
      } else {
        text = deps.readFile(file, left);
        used += Buffer.byteLength(text);
      }
      if (used > MAX_MANIFEST_BYTES) throw new InputTooLargeError(MAX_MANIFEST_BYTES);
      inputs.push({ file: name, text });
    } catch (error) {
      if (error instanceof InputTooLargeError) {
        errors.push(`${name}: ${MANIFESTS_TOO_LARGE}`);
        break;
      }
      errors.push(`cannot read ${file === '-' ? 'standard input' : file}: ${errorText(error)}`);
    }
  }
  return { inputs, errors };
}

function manifestErrorText(error: ManifestError): string {
  return `${originText(error.origin)}: ${error.message}`;
}

/** The options decideAll reads. */
export type DecideOptions = Pick<CheckOptions, 'mode' | 'exemptNamespaces' | 'reservedPorts' | 'undeclaredPorts'>;

/**
 * Decides the objects in order. An object let in on a known node holds its ports for the
 * objects after it (the server's reservation, without expiry), so two colliding pods in
 * one input are caught. Exempt objects are not decided, but their ports count too. An
 * object the API server itself would refuse (a host port declared twice) is denied
 * whatever the mode or namespace.
 */
export function decideAll(manifests: Manifests, state: ClusterState, options: DecideOptions): CheckedObject[] {
  const view = new ReservingView(state.view, { now: () => 0, ttlMs: Number.POSITIVE_INFINITY });
  const policy = {
    defaultMode: options.mode,
    exemptNamespaces: new Set(options.exemptNamespaces),
    reservedPorts: options.reservedPorts,
    undeclaredPorts: options.undeclaredPorts,
  };
  return manifests.objects.map((m) => {
    const mode = modeFor(m.namespace, policy, state.namespaces);
    const subject = subjectOf(m.object, m.namespace);
    const refused = apiServerRefusal(subject, mode === 'exempt' ? options.mode : mode);
    if (refused !== undefined) return { kind: m.object.kind, namespace: m.namespace, name: m.name, decision: refused, exempt: false };
    const decision = decide(subject, mode === 'exempt' ? 'audit' : mode, view, policy);
    if (decision.admits !== undefined) view.reserve(decision.admits);
    return { kind: m.object.kind, namespace: m.namespace, name: m.name, decision, exempt: mode === 'exempt' };
  });
}

/**
 * `hostport-guard check`: would these objects be admitted? Reads every input and the state
 * first and reports every problem at once (exit 2); otherwise prints one result per object
 * and exits 1 when any would be denied, else 0.
 */
export async function runCheck(options: CheckOptions, deps: CheckDeps): Promise<CommandResult> {
  const { inputs, errors } = await readInputs(options.files, deps);
  const manifests = readManifests(inputs);
  errors.push(...manifests.errors.map(manifestErrorText));
  const { liveState } = deps;
  const state = await readStateOrLive({
    file: options.state,
    readFile: deps.readFile,
    fromText: stateFromText,
    live: liveState === undefined ? undefined : async () => ({ ok: true, state: await liveState(options.kubeconfig) }) as const,
    liveUnavailable: 'live cluster check not available: pass --state',
  });
  if (!state.ok) errors.push(...state.errors);
  if (errors.length > 0 || !state.ok) return usageError(errors);

  const checked = decideAll(manifests, state.state, options);
  const exitCode = checked.some((c) => !c.exempt && c.decision.kind === 'deny') ? EXIT_DENIED : EXIT_OK;
  if (options.output === 'json') return { exitCode, stdout: jsonReport(checked), stderr: skippedNotes(manifests.skipped) };
  return { exitCode, stdout: textReport(checked, manifests.skipped), stderr: '' };
}
