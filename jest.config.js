// Jest runs the TypeScript sources directly (ESM, through ts-jest) so tests never
// depend on a stale build. Unit and integration tests are separate projects so
// `make test-unit` stays fast; e2e tests need the local control plane.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: tsJest,
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // Needs a kind cluster with the release installed: run by hack/e2e-kind.sh only.
    { ...common, displayName: 'kind', testMatch: ['<rootDir>/test/kind/**/*.test.ts'] },
  ],
};
