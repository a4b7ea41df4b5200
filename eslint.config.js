// ESLint (flat config): typescript-eslint's recommended rules on the TypeScript sources, and
// the size limits of issue 9 as warnings until the sign-in restructure brings files under them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/out/', 'public/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused names are errors, except ones marked as deliberately unused.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Gatehouse refuses control characters in input on purpose (docs/input.md): the patterns
      // that find them are deliberate.
      'no-control-regex': 'off',
    },
  },
  {
    // Issue 9's size limits, as warnings until the sign-in restructure brings every file and
    // function under them (`npm run lint` lists what is still over).
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['warn', { max: 250, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['warn', { max: 40, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
);
