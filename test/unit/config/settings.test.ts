import { describe, expect, it } from '@jest/globals';
import type { SettingType } from '../../../src/config/settings.js';
import { howToSet, SETTINGS, settingValue } from '../../../src/config/settings.js';

describe('settingValue', () => {
  const cases: [string, SettingType, string, unknown][] = [
    ['keeps a string', 'string', ' warn', ' warn'],
    ['reads an integer', 'integer', '8443', 8443],
    ['reads an integer around spaces', 'integer', ' 30 ', 30],
    ['keeps a non-integer for the schema to report', 'integer', '1e3', '1e3'],
    ['splits a list on commas and drops empty entries', 'list', 'a, b,,c ', ['a', 'b', 'c']],
    ['reads an empty list', 'list', '', []],
  ];
  it.each(cases)('%s', (_name, type, raw, value) => {
    expect(settingValue(type, raw)).toEqual(value);
  });
});

describe('SETTINGS', () => {
  it('gives every setting its own variable and every flag its own name', () => {
    const envs = SETTINGS.map((s) => s.env);
    const flags = SETTINGS.flatMap((s) => (s.flag === undefined ? [] : [s.flag.name]));
    expect([new Set(envs).size, new Set(flags).size]).toEqual([envs.length, flags.length]);
  });

  it('names the commander key of a dashed flag in camelCase', () => {
    expect(SETTINGS.find((s) => s.env === 'HOSTPORT_GUARD_HEALTH_PORT')?.flag).toMatchObject({ name: '--health-port', key: 'healthPort', arg: '<port>' });
  });

  it('reads true and false, in any case, as booleans and keeps anything else for the schema to name', () => {
    expect([settingValue('boolean', 'TRUE'), settingValue('boolean', ' false '), settingValue('boolean', '1')]).toEqual([true, false, '1']);
  });

  it('says how to set a setting without a flag', () => {
    expect(howToSet(['maxBodyBytes'])).toBe('set it in the config file or HOSTPORT_GUARD_MAX_BODY_BYTES');
  });
});
