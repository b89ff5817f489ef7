#!/usr/bin/env node
// `kubectl hostports`: kubectl runs an executable named kubectl-<plugin> found on PATH with
// the arguments after the plugin's name. This one is `hostport-guard scan`.
import { main } from '../dist/cli/main.js';

await main(process.argv.slice(2), { plugin: true });
