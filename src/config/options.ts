/**
 * The options of `serve`, made from SETTINGS: every setting with a flag is a commander
 * Option that also reads its HOSTPORT_GUARD_* variable (`Option.env`), so commander
 * finds each value, lets the flag win over the variable, and says which one it took
 * (`getOptionValueSource`). Commander reads variables only for options: the settings
 * without a flag, and the refusal of unknown HOSTPORT_GUARD_* variables, stay with
 * envLayer (sources.ts).
 */
import type { Command } from 'commander';
import { Option } from 'commander';

import { CONFIG_FILE_ENV, isRepeatable, SETTINGS } from './settings.js';

/** Where commander found an option's value: on the command line or in its variable. */
export type FlagSource = 'cli' | 'env';

/** What commander found for `serve`: option values by camelCase name, and where each came from. */
export interface CommandLine {
  readonly flags: Readonly<Record<string, unknown>>;
  /** A value without a source here came from the command line. */
  readonly flagSources: Readonly<Record<string, FlagSource>>;
}

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--config` and one option per setting with a flag, each with its variable. */
export function serveOptions(): Option[] {
  const config = new Option('--config <file>', 'configuration file, YAML or JSON').env(CONFIG_FILE_ENV);
  const settings = SETTINGS.flatMap((row) => {
    if (row.flag === undefined) return [];
    const option = new Option(`${row.flag.name} ${row.flag.arg}`, row.flag.help).env(row.env);
    return [isRepeatable(row.type) ? option.argParser(collect) : option];
  });
  return [config, ...settings];
}

/** The values commander parsed for `command`, with their sources. */
export function commandLine(command: Command): CommandLine {
  const flags: Record<string, unknown> = {};
  const flagSources: Record<string, FlagSource> = {};
  for (const option of command.options) {
    const key = option.attributeName();
    const source = command.getOptionValueSource(key);
    if (source !== 'cli' && source !== 'env') continue;
    flags[key] = command.getOptionValue(key);
    flagSources[key] = source === 'cli' ? 'cli' : 'env';
  }
  return { flags, flagSources };
}
