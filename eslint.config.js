import path from 'node:path';

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

import { layersPlugin } from './eslint/layers.js';

// The architecture's one-way rules, enforced: only src/cluster talks to Kubernetes,
// only src/server speaks HTTP, only src/config reads the environment, and the pure core
// (src/engine, src/admission) touches nothing outside itself. Our own folders import each
// other in one direction only (eslint/layers.js).
const only = (pkgs, where) => pkgs.map((name) => ({ name, message: `only ${where} may import ${name}` }));
const clientNode = only(['@kubernetes/client-node'], 'src/cluster');
const http = only(['express'], 'src/server');
const world = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process', 'http', 'node:http', 'https', 'node:https', 'net', 'node:net', 'pino', 'prom-client'].map((name) => ({
  name,
  message: 'the pure core does no I/O: take what you need as an argument',
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/', 'charts/', 'manifests/', 'bin/', '*.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['eslint/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // client-node's models (V1Pod, V1ObjectMeta, ...) are classes without behaviour, and
    // its documentation builds request bodies as object literals: tests and benchmarks
    // that create objects through the typed API do the same.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-class-instance-assignment': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { layers: layersPlugin(path.join(import.meta.dirname, 'src')) },
    rules: { 'layers/imports': 'error' },
  },
  {
    files: ['src/engine/**/*.ts', 'src/admission/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...clientNode, ...http, ...world] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'the pure core reads no environment' }],
    },
  },
  {
    files: ['src/server/**/*.ts', 'src/config/**/*.ts', 'src/cli/**/*.ts', 'src/manifests/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: clientNode }] },
  },
  {
    files: ['src/cluster/**/*.ts', 'src/config/**/*.ts', 'src/cli/**/*.ts', 'src/manifests/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: http }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'only src/cli ends the process' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'only src/cli ends the process' },
        { object: 'process', property: 'env', message: 'only src/config reads the environment' },
        { object: 'process', property: 'argv', message: 'only src/config reads flags' },
      ],
    },
  },
);
