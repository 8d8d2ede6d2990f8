/** @type {import('jest').Config} */
module.exports = {
  // The package as users get it (test/package/): npm pack, installed into empty projects. Minutes, not seconds: its own run.
  testEnvironment: 'node',
  roots: ['<rootDir>/test/package'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 600000,
};
