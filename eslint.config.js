import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'report/**', 'dist/**', '**/*.qnt'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The dependency direction of DESIGN.md: the reference never reaches into the harness, vectors or benchmarks.
    files: ['reference/**/*.ts'],
    ignores: ['reference/test/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/harness/**', '**/vectors/**', '**/bench/**'] }],
    },
  },
  {
    files: ['spec/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/reference/**', '**/harness/**', '**/vectors/**', '**/bench/**'] }] },
  },
);
