/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The cluster suite has its own config (jest.cluster.config.js): one control plane, one worker.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  // swc strips types only; `npm run typecheck` (tsc) checks them, once, in CI.
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  snapshotFormat: { escapeString: false },
  testTimeout: 30000,
};
