import { readStdin, readTextFile } from '../config/files.js';
import { packageVersion } from '../config/version.js';
import type { CliDeps } from './program.js';
import { runCli } from './program.js';

/** The real outside world: files, standard input, the environment and the server. */
export function realDeps(): CliDeps {
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
    // COMPOSITION ROOT: `serve` runs ./serve.js runServe(config). It is imported on demand, so
    // `check` and `--help` do not load the server and cluster modules.
    runServe: async (config) => {
      const { runServe } = await import('./serve.js');
      await runServe(config);
    },
  };
}

/**
 * The entry point of bin/hostport-guard.js: runs `args` (process.argv without node and the
 * script), prints what the command printed and sets the exit code. The process ends when
 * nothing is left to do, so output is never cut off by an early exit.
 */
export async function main(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const result = await runCli(args, realDeps());
  if (result.stdout !== '') process.stdout.write(result.stdout);
  if (result.stderr !== '') process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
