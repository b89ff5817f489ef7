import { Command, CommanderError, Option } from 'commander';
import { MODES, UNDECLARED_PORTS } from '../admission/decide.js';
import { isMode } from '../admission/policy.js';
import { visible, visibleLines } from '../admission/text.js';
import { configErrorText, loadConfig } from '../config/load.js';
import { commandLine, serveOptions } from '../config/options.js';
import type { Config } from '../config/schema.js';
import { NO_RESERVED_PORTS, RESERVED_PORT_FORMAT, reservedPortsFromFlags, reservedPortText } from '../config/reserved-ports.js';
import { DEFAULTS } from '../config/settings.js';
import type { CheckDeps, OutputFormat } from './check.js';
import { OUTPUT_FORMATS, runCheck } from './check.js';
import type { CommandResult, ExitCode } from './exit.js';
import { errorText, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, InputError, usageError } from './exit.js';
import type { ScanDeps } from './scan.js';
import { parsePortFilter, runScan } from './scan.js';
import type { ScanFormat } from './scan-output.js';
import { SCAN_FORMATS } from './scan-output.js';
import type { PortFilter } from './scan-report.js';

/** The outside world of the CLI, passed in so tests run commands without spawning. */
export interface CliDeps {
  readonly version: string;
  /** Reads the configuration file, at most `maxBytes` of it. */
  readonly readConfigFile: (path: string, maxBytes: number) => string;
  readonly check: CheckDeps;
  readonly scan: ScanDeps;
  /** Runs the server until it stops; `serve` exits 0 when it resolves. */
  readonly runServe: (config: Config) => Promise<void>;
}

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** check's and scan's `--reserved-port` (serve's comes with its variable from config/settings.ts). */
const RESERVED_PORT_HELP =
  `node daemon's port held on every node, ${RESERVED_PORT_FORMAT}, repeatable; replaces the defaults, ` +
  `\`${NO_RESERVED_PORTS}\` for none (default: ${DEFAULTS.reservedPorts.map(reservedPortText).join(' ')})`;

/** check's `--exempt-namespace`: the server's default, so both decide the same objects. */
const EXEMPT_HELP =
  `namespace not decided, repeatable; replaces the defaults, "" for none (default: ${DEFAULTS.exemptNamespaces.join(', ')}, as for serve)`;

/** check's `--undeclared-ports`. */
const UNDECLARED_PORTS_HELP = `${UNDECLARED_PORTS.join(' or ')} hostNetwork pods that declare no ports (default: ${DEFAULTS.undeclaredPorts})`;

function isUndeclaredPorts(value: unknown): value is (typeof UNDECLARED_PORTS)[number] {
  return UNDECLARED_PORTS.some((u) => u === value);
}

function isOutputFormat(value: unknown): value is OutputFormat {
  return OUTPUT_FORMATS.some((f) => f === value);
}

function isScanFormat(value: unknown): value is ScanFormat {
  return SCAN_FORMATS.some((f) => f === value);
}

function stringOption(opts: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = opts[key];
  return typeof value === 'string' ? value : undefined;
}

function stringsOption(opts: Readonly<Record<string, unknown>>, key: string): string[] {
  const value = opts[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * check's exempt namespaces: the server's default unless `--exempt-namespace` is given,
 * whose entries replace it; an empty entry (`--exempt-namespace ""`) stands for none, as
 * an empty HOSTPORT_GUARD_EXEMPT_NAMESPACES does for the server.
 */
function exemptNamespaces(opts: Readonly<Record<string, unknown>>): string[] {
  const flagged = stringsOption(opts, 'exemptNamespace');
  return flagged.length === 0 ? [...DEFAULTS.exemptNamespaces] : flagged.filter((ns) => ns !== '');
}

/** `serve`: the options and their variables come from the config layer (config/options.ts), defaults too. */
function addServe(program: Command, deps: CliDeps, done: (result: CommandResult) => void): void {
  const serve = program.command('serve').description('run the admission webhook server');
  for (const option of serveOptions()) serve.addOption(option);
  serve
    .addHelpText('after', '\nEvery setting can also come from the configuration file or a HOSTPORT_GUARD_* variable;\nflags win over variables, variables over the file.')
    .action(async (_options: unknown, command: Command) => {
      const loaded = loadConfig({ ...commandLine(command), readFile: deps.readConfigFile });
      if (!loaded.ok) {
        done({ exitCode: EXIT_USAGE, stdout: '', stderr: visibleLines(configErrorText(loaded.issues)) });
        return;
      }
      // The server (composition root in ./serve.js) runs until it is asked to stop.
      try {
        await deps.runServe(loaded.config);
        done({ exitCode: EXIT_OK, stdout: '', stderr: '', exitAtOnce: true });
      } catch (error) {
        // One line per line of the message (a cluster state lists its problems), each shown visibly.
        const lines = errorText(error).split('\n').map((line) => visible(line));
        done({ exitCode: error instanceof InputError ? EXIT_USAGE : EXIT_FAILURE, stdout: '', stderr: `error: ${lines.join('\n')}\n`, exitAtOnce: true });
      }
    });
}

/** `check`: would these manifests be admitted? */
function addCheck(program: Command, deps: CliDeps, done: (result: CommandResult) => void): void {
  program
    .command('check')
    .description('decide the objects in manifest files (multi-document YAML or JSON, - for stdin) without applying them')
    .argument('<file...>', 'manifest files; - reads standard input')
    .option('--state <file>', 'check against this file (kubectl get pods,nodes,namespaces,priorityclasses -A -o yaml) instead of the live cluster')
    .option('--kubeconfig <path>', 'kubeconfig for the live cluster')
    .addOption(new Option('--mode <mode>', 'answer to conflicts; a namespace label hostport-guard.io/mode overrides it').choices(MODES).default('enforce'))
    .option('--exempt-namespace <ns>', EXEMPT_HELP, collect)
    .option('--reserved-port <port>', RESERVED_PORT_HELP, collect)
    .addOption(new Option('--undeclared-ports <what>', UNDECLARED_PORTS_HELP).choices(UNDECLARED_PORTS).default(DEFAULTS.undeclaredPorts))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .addHelpText('after', '\nExit status: 0 when nothing would be denied, 1 when something would, 2 on bad input or usage.')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const opts: Readonly<Record<string, unknown>> = command.opts();
      const mode = stringOption(opts, 'mode') ?? 'enforce';
      const output = opts['output'];
      const undeclaredPorts = opts['undeclaredPorts'];
      if (!isMode(mode) || !isOutputFormat(output) || !isUndeclaredPorts(undeclaredPorts)) {
        done({ exitCode: EXIT_USAGE, stdout: '', stderr: 'error: invalid --mode, --output or --undeclared-ports\n' });
        return;
      }
      const flagged = stringsOption(opts, 'reservedPort');
      const reserved = flagged.length === 0 ? { ok: true as const, ports: [...DEFAULTS.reservedPorts] } : reservedPortsFromFlags(flagged);
      if (!reserved.ok) {
        done({ exitCode: EXIT_USAGE, stdout: '', stderr: reserved.problems.map((p) => `error: --reserved-port ${p}\n`).join('') });
        return;
      }
      const state = stringOption(opts, 'state');
      const kubeconfig = stringOption(opts, 'kubeconfig');
      const options = {
        files,
        mode,
        output,
        exemptNamespaces: exemptNamespaces(opts),
        reservedPorts: reserved.ports,
        undeclaredPorts,
        ...(state === undefined ? {} : { state }),
        ...(kubeconfig === undefined ? {} : { kubeconfig }),
      };
      done(await runCheck(options, deps.check));
    });
}

/** The usage line of `scan` under both of its names. */
const SCAN_HELP = `
Reads every pod and node once, page by page, from the live cluster (or --state FILE)
and shows the host ports held on each node, the conflicts between pods already bound to
one node, and the pods that cannot run because of a port, naming who holds it.
A pod on a node daemon's port (--reserved-port, the kubelet's by default) is a
conflict too. All namespaces are read; -n narrows the report to what involves a
namespace.

Exit status: 0 when the report shows no conflict and no pod kept from running by a
port, 1 when it shows one, 2 when the cluster or the file could not be read or on
bad usage.`;

/** Gives `command` the options and action of `scan` (as `hostport-guard scan` or as the root of `kubectl hostports`). */
function defineScan(command: Command, deps: CliDeps, done: (result: CommandResult) => void): void {
  command
    .option('--state <file>', 'read this file (kubectl get pods,nodes -A -o yaml) instead of the live cluster')
    .option('--kubeconfig <path>', 'kubeconfig for the live cluster (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <ns>', 'show only what involves this namespace, repeatable', collect)
    .option('-A, --all-namespaces', 'show every namespace (the default)')
    .option('--node <node>', 'show only this node, repeatable', collect)
    .option('--port <port>', 'show only this port, e.g. 8080 or 53/UDP, repeatable', collect)
    .option('--reserved-port <port>', RESERVED_PORT_HELP, collect)
    .addOption(new Option('-o, --output <format>', 'text (summary and tables), wide (nothing cut, every port by node), json or yaml').choices(SCAN_FORMATS).default('text'))
    .addHelpText('after', SCAN_HELP)
    .action(async (_options: unknown, cmd: Command) => {
      const opts: Readonly<Record<string, unknown>> = cmd.opts();
      const output = opts['output'];
      const namespaces = stringsOption(opts, 'namespace');
      const errors: string[] = [];
      if (!isScanFormat(output)) errors.push('invalid --output');
      if (opts['allNamespaces'] === true && namespaces.length > 0) errors.push('-A and -n cannot be used together');
      const ports: PortFilter[] = [];
      for (const text of stringsOption(opts, 'port')) {
        const parsed = parsePortFilter(text);
        if (typeof parsed === 'string') errors.push(parsed);
        else ports.push(parsed);
      }
      const flagged = stringsOption(opts, 'reservedPort');
      const reserved = flagged.length === 0 ? { ok: true as const, ports: [...DEFAULTS.reservedPorts] } : reservedPortsFromFlags(flagged);
      if (!reserved.ok) errors.push(...reserved.problems.map((p) => `--reserved-port ${p}`));
      if (errors.length > 0 || !isScanFormat(output) || !reserved.ok) {
        done(usageError(errors));
        return;
      }
      const state = stringOption(opts, 'state');
      const kubeconfig = stringOption(opts, 'kubeconfig');
      const context = stringOption(opts, 'context');
      const options = {
        output,
        reservedPorts: reserved.ports,
        filters: { namespaces, nodes: stringsOption(opts, 'node'), ports },
        ...(state === undefined ? {} : { state }),
        ...(kubeconfig === undefined ? {} : { kubeconfig }),
        ...(context === undefined ? {} : { context }),
      };
      done(await runScan(options, deps.scan));
    });
}

/** A root command whose output, exit and error settings its subcommands inherit. */
function rootCommand(name: string, write: { out: (s: string) => void; err: (s: string) => void }): Command {
  return new Command(name)
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    // Commander quotes the arguments it refuses: show them, never let the terminal run them.
    .configureOutput({
      writeOut: write.out,
      writeErr: (s) => {
        write.err(visibleLines(s));
      },
    })
    .showHelpAfterError('(add --help for usage)');
}

/** Parses `args` with `program`; commander's usage errors exit 2. */
async function parse(program: Command, args: readonly string[], printed: () => { stdout: string; stderr: string }, result: () => CommandResult | undefined): Promise<CommandResult> {
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const exitCode: ExitCode = error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return { exitCode, ...printed() };
  }
  const { stdout, stderr } = printed();
  const r = result();
  return r === undefined ? { exitCode: EXIT_OK, stdout, stderr } : { ...r, stdout: stdout + r.stdout, stderr: stderr + r.stderr };
}

/**
 * Runs `kubectl hostports ARGS`: kubectl runs the executable `kubectl-hostports` found on
 * PATH with the arguments after the plugin's name, so the plugin is `scan` under
 * kubectl's name.
 */
export async function runKubectlPlugin(args: readonly string[], deps: CliDeps): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  let result: CommandResult | undefined;
  const program = rootCommand('kubectl hostports', { out: (s) => (stdout += s), err: (s) => (stderr += s) })
    .description('Show the host ports held on every node, the conflicts that already exist, and the pods that cannot run because of a port (hostport-guard scan).')
    .version(deps.version, '-V, --version', 'print the version');
  defineScan(program, deps, (r) => {
    result = r;
  });
  return parse(program, args, () => ({ stdout, stderr }), () => result);
}

/**
 * Runs one command line (without `node` and the script) and returns what it printed and
 * its exit code; nothing here exits the process. Commander's usage errors exit 2.
 */
export async function runCli(args: readonly string[], deps: CliDeps): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  let result: CommandResult | undefined;
  const done = (r: CommandResult): void => {
    result = r;
  };
  const program = rootCommand('hostport-guard', { out: (s) => (stdout += s), err: (s) => (stderr += s) })
    .description('Rejects host-port collisions between host-networked and hostPort pods at apply time, naming the pod that holds the port.')
    .version(deps.version, '-V, --version', 'print the version')
    .option('--debug', 'print the stack of an unexpected error');
  // Subcommands made by .command() inherit the output, exit and error settings above.
  addServe(program, deps, done);
  addCheck(program, deps, done);
  defineScan(program.command('scan').description('show the host ports of the cluster by node, the conflicts that already exist, and the pods that cannot run because of a port'), deps, done);
  return parse(program, args, () => ({ stdout, stderr }), () => result);
}
