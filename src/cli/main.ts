import { readStdin, readTextFile } from '../config/files.js';
import { packageVersion } from '../config/version.js';
import type { CliDeps } from './program.js';
import { runCli, runKubectlPlugin } from './program.js';
import { visible } from './terminal-text.js';

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
 * The entry point of bin/hostport-guard.js (and, with `plugin`, of bin/kubectl-hostports.js):
 * runs `args` (process.argv without node and the script), prints what the command printed
 * and sets the exit code. The process ends when nothing is left to do, so output is never
 * cut off by an early exit.
 */
export async function main(args: readonly string[] = process.argv.slice(2), options: { readonly plugin?: boolean } = {}): Promise<void> {
  const result = options.plugin === true ? await runKubectlPlugin(args, realDeps()) : await runCli(args, realDeps());
  if (result.stdout !== '') process.stdout.write(result.stdout);
  if (result.stderr !== '') process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
