import { Command, CommanderError, Option } from 'commander';
import { MODES, UNDECLARED_PORTS } from '../admission/decide.js';
import { isMode } from '../admission/policy.js';
import { configErrorText, loadConfig } from '../config/load.js';
import { commandLine, serveOptions } from '../config/options.js';
import type { Config } from '../config/schema.js';
import { NO_RESERVED_PORTS, RESERVED_PORT_FORMAT, reservedPortsFromFlags, reservedPortText } from '../config/reserved-ports.js';
import { DEFAULTS } from '../config/settings.js';
import type { CheckDeps, OutputFormat } from './check.js';
import { OUTPUT_FORMATS, runCheck } from './check.js';
import type { CommandResult, ExitCode } from './exit.js';
import { errorText, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit.js';

/** The outside world of the CLI, passed in so tests run commands without spawning. */
export interface CliDeps {
  readonly version: string;
  /** Reads the configuration file. */
  readonly readConfigFile: (path: string) => string;
  readonly check: CheckDeps;
  /** Runs the server until it stops; `serve` exits 0 when it resolves. */
  readonly runServe: (config: Config) => Promise<void>;
}

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** check's `--reserved-port` (serve's comes with its variable from config/settings.ts). */
const RESERVED_PORT_HELP =
  `node daemon's port held on every node, ${RESERVED_PORT_FORMAT}, repeatable; replaces the defaults, ` +
  `\`${NO_RESERVED_PORTS}\` for none (default: ${DEFAULTS.reservedPorts.map(reservedPortText).join(' ')})`;

/** check's `--undeclared-ports`. */
const UNDECLARED_PORTS_HELP = `${UNDECLARED_PORTS.join(' or ')} hostNetwork pods that declare no ports (default: ${DEFAULTS.undeclaredPorts})`;

function isUndeclaredPorts(value: unknown): value is (typeof UNDECLARED_PORTS)[number] {
  return UNDECLARED_PORTS.some((u) => u === value);
}

function isOutputFormat(value: unknown): value is OutputFormat {
  return OUTPUT_FORMATS.some((f) => f === value);
}

function stringOption(opts: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = opts[key];
  return typeof value === 'string' ? value : undefined;
}

function stringsOption(opts: Readonly<Record<string, unknown>>, key: string): string[] {
  const value = opts[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
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
        done({ exitCode: EXIT_USAGE, stdout: '', stderr: configErrorText(loaded.issues) });
        return;
      }
      // The server (composition root in ./serve.js) runs until it is asked to stop.
      try {
        await deps.runServe(loaded.config);
        done({ exitCode: EXIT_OK, stdout: '', stderr: '' });
      } catch (error) {
        done({ exitCode: EXIT_FAILURE, stdout: '', stderr: `error: ${errorText(error)}\n` });
      }
    });
}

/** `check`: would these manifests be admitted? */
function addCheck(program: Command, deps: CliDeps, done: (result: CommandResult) => void): void {
  program
    .command('check')
    .description('decide the objects in manifest files (multi-document YAML or JSON, - for stdin) without applying them')
    .argument('<file...>', 'manifest files; - reads standard input')
    .option('--state <file>', 'check against this file (kubectl get pods,nodes,namespaces -A -o yaml) instead of the live cluster')
    .option('--kubeconfig <path>', 'kubeconfig for the live cluster')
    .addOption(new Option('--mode <mode>', 'answer to conflicts; a namespace label hostport-guard.io/mode overrides it').choices(MODES).default('enforce'))
    .option('--exempt-namespace <ns>', 'namespace not decided, repeatable (default: none)', collect)
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
        exemptNamespaces: stringsOption(opts, 'exemptNamespace'),
        reservedPorts: reserved.ports,
        undeclaredPorts,
        ...(state === undefined ? {} : { state }),
        ...(kubeconfig === undefined ? {} : { kubeconfig }),
      };
      done(await runCheck(options, deps.check));
    });
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
  const program = new Command('hostport-guard')
    .description('Rejects host-port collisions between host-networked and hostPort pods at apply time, naming the pod that holds the port.')
    .version(deps.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => (stdout += s),
      writeErr: (s) => (stderr += s),
    })
    .showHelpAfterError('(add --help for usage)');
  // Subcommands made by .command() inherit the output, exit and error settings above.
  addServe(program, deps, done);
  addCheck(program, deps, done);
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const exitCode: ExitCode = error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return { exitCode, stdout, stderr };
  }
  return result === undefined ? { exitCode: EXIT_OK, stdout, stderr } : { exitCode: result.exitCode, stdout: stdout + result.stdout, stderr: stderr + result.stderr };
}
