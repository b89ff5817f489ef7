import { visible, visibleLines } from '../admission/text.js';
import { readStdin, readTextFile } from '../config/files.js';
import { packageVersion } from '../config/version.js';
import type { CommandResult } from './exit.js';
import { errorName, errorStack, errorText, EXIT_USAGE } from './exit.js';
import type { CliDeps } from './program.js';
import { runCli, runKubectlPlugin } from './program.js';

/**
 * A progress line on standard error, rewritten in place, when standard error is a
 * terminal; nothing otherwise, so logs and pipes get only the report.
 */
function terminalProgress(): ((line: string | undefined) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let shown = false;
  return (line) => {
    // \r returns to the start of the line, ESC [ K clears it.
    if (line === undefined) {
      if (shown) process.stderr.write('\r\u001b[K');
      shown = false;
      return;
    }
    process.stderr.write(`\r\u001b[K${visible(line)}`);
    shown = true;
  };
}

/** The real outside world: files, standard input, the environment and the server. */
export function realDeps(): CliDeps {
  const progress = terminalProgress();
  return {
    version: packageVersion(),
    readConfigFile: readTextFile,
    check: {
      readFile: readTextFile,
      readStdin,
      // Imported on demand, like serve: `check --state` never loads the cluster client.
      liveState: async (kubeconfig) => {
        const { loadKubeConfig } = await import('../cluster/kube-config.js');
        const { readClusterOnce } = await import('../cluster/live-cluster.js');
        const index = await readClusterOnce(loadKubeConfig(kubeconfig === undefined ? {} : { path: kubeconfig }));
        return { view: index, namespaces: index };
      },
    },
    scan: {
      readFile: readTextFile,
      // Imported on demand: `scan --state` never loads the cluster client.
      liveScan: async (source, onProgress) => {
        const { loadKubeConfig } = await import('../cluster/kube-config.js');
        const { scanCluster } = await import('../cluster/scan-live.js');
        const kubeConfig = loadKubeConfig({
          ...(source.kubeconfig === undefined ? {} : { path: source.kubeconfig }),
          ...(source.context === undefined ? {} : { context: source.context }),
        });
        return scanCluster(kubeConfig, { onProgress });
      },
      ...(progress === undefined ? {} : { progress }),
    },
    // COMPOSITION ROOT: `serve` runs ./serve.js runServe(config). It is imported on demand, so
    // `check` and `--help` do not load the server and cluster modules.
    runServe: async (config) => {
      const { runServe } = await import('./serve.js');
      await runServe(config);
    },
  };
}

/**
 * An error no command expected (a bug, or a collaborator breaking its contract) as one
 * line and exit 2; the stack only with `--debug` (`serve` also logs it, stack included).
 */
export function unexpectedError(error: unknown, debug: boolean): CommandResult {
  const line = `error: unexpected ${visible(errorName(error))}: ${visible(errorText(error).split('\n')[0] ?? '')}${debug ? '' : ' (run with --debug for the stack)'}\n`;
  const stack = debug ? errorStack(error) : undefined;
  return { exitCode: EXIT_USAGE, stdout: '', stderr: line + (stack === undefined ? '' : visibleLines(`${stack}\n`)) };
}

/** runCli (or, with `plugin`, runKubectlPlugin) behind the top-level handler: whatever a command throws becomes unexpectedError. */
export async function runMain(args: readonly string[], deps: CliDeps, plugin = false): Promise<CommandResult> {
  try {
    return plugin ? await runKubectlPlugin(args, deps) : await runCli(args, deps);
  } catch (error) {
    return unexpectedError(error, args.includes('--debug'));
  }
}

/**
 * The entry point of bin/hostport-guard.js (and, with `plugin`, of bin/kubectl-hostports.js):
 * runs `args` (process.argv without node and the script), prints what the command printed
 * and sets the exit code. The process ends when nothing is left to do, so output is never
 * cut off by an early exit; `serve` ends it as soon as the output is written (exitAtOnce),
 * once the writes have been flushed. An exception nothing caught ends it with unexpectedError.
 */
export async function main(args: readonly string[] = process.argv.slice(2), options: { readonly plugin?: boolean } = {}): Promise<void> {
  const last = (error: unknown): void => {
    process.stderr.write(unexpectedError(error, args.includes('--debug')).stderr);
    process.exit(EXIT_USAGE);
  };
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  const result = await runMain(args, realDeps(), options.plugin === true);
  // The commands show what they quote visibly already; this is the last guard.
  await write(process.stdout, visibleLines(result.stdout));
  await write(process.stderr, visibleLines(result.stderr));
  process.exitCode = result.exitCode;
  if (result.exitAtOnce === true) process.exit(result.exitCode);
}

/** Writes `text` and resolves once it is handed to the system (pipes may be asynchronous). */
function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => {
    stream.write(text, () => {
      resolve();
    });
  });
}
