/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // swc strips types only; `npm run typecheck` (tsc) checks them, once, in CI.
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  snapshotFormat: { escapeString: false },
  testTimeout: 30000,
};
