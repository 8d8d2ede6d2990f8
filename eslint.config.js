// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/** ESLint with typescript-eslint's strict rules; generated imports/ are not ours to lint. */
module.exports = tseslint.config(
  { ignores: ['imports/**', 'build/**', 'node_modules/**', 'dist/**', 'cdk8s.out/**', '.cache/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      // Validation code checks values that TypeScript already "knows" are there: a JSON/YAML
      // caller or a cast can still pass undefined, so non-null assertions are used deliberately.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-new': 'off',
    },
  },
);
