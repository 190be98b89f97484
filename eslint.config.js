import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'report/**', 'dist/**', '.tmp/**', '**/*.qnt'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Explicit export lists only: a re-export never widens the API unnoticed.
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'list the exported names (no export *)' }],
    },
  },
  // Import boundaries: each folder may reach only the layers below it (README "Layout").
  {
    // The package's public entries (the exports map): the library and the directory's client, nothing else.
    files: ['api/**/*.ts'],
    ignores: ['api/test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/harness/**', '**/adapter/**', '**/cli/**', '**/vectors/**', '**/bench/**', '**/protocol/**', '**/services/*/*', '!**/services/directory/client.js', '!**/services/directory/publish.js'] }] },
  },
  {
    // The library: never reaches into the harness, its adapter, the services, the CLI, vectors or benchmarks.
    files: ['reference/**/*.ts'],
    ignores: ['reference/test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/api/**', '**/harness/**', '**/adapter/**', '**/services/**', '**/cli/**', '**/vectors/**', '**/bench/**'] }] },
  },
  {
    // The adapter contract's types: shared by the harness and adapters, standing on nothing but error kinds.
    files: ['protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/harness/**', '**/adapter/**', '**/services/**', '**/cli/**', '**/vectors/**', '**/bench/**'] }] },
  },
  {
    // The reference's adapter maps agentsec-adapter/1 onto the library and nothing else.
    files: ['adapter/**/*.ts'],
    ignores: ['adapter/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/harness/**', '**/services/**', '**/cli/**', '**/vectors/**', '**/bench/**'] }] },
  },
  {
    // Deployable services (directory, mailbox) stand on the library only.
    files: ['services/**/*.ts'],
    ignores: ['services/**/test/**', 'services/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/harness/**', '**/adapter/**', '**/cli/**', '**/vectors/**', '**/bench/**'] }] },
  },
  {
    // The harness judges implementations; the CLI and benchmarks sit above it.
    files: ['harness/**/*.ts'],
    ignores: ['harness/test/**', 'harness/**/*.test.ts', 'harness/suites/**', 'harness/trace/**', 'harness/conform/**', 'harness/report/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/cli/**', '**/bench/**'] }] },
  },
  {
    // Vectors and their generators stand on the library and the spec tools (schemas, Quint).
    files: ['vectors/**/*.ts'],
    ignores: ['vectors/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/harness/**', '**/adapter/**', '**/services/**', '**/cli/**', '**/bench/**', '**/api/**'] }] },
  },
  {
    // The judge never leans on what it judges: suites, traces, the runner and reports reach the
    // reference only through an adapter the CLI composes (verdicts use vectors/ and @noble directly).
    // The package's path helper, atomic file writer, file lock and null-prototype maps live in reference/ but judge nothing.
    files: ['harness/suites/**/*.ts', 'harness/trace/**/*.ts', 'harness/conform/**/*.ts', 'harness/report/**/*.ts'],
    ignores: ['harness/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/cli/**', '**/bench/**', '**/reference/**', '!**/reference/paths.js', '!**/reference/atomic-file.js', '!**/reference/dict.js', '!**/reference/file-lock.js', '**/adapter/**', '**/adapters/in-process*'] }] },
  },
  {
    files: ['bench/**/*.ts'],
    ignores: ['bench/test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/cli/**'] }] },
  },
  {
    files: ['spec/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/reference/**', '**/harness/**', '**/adapter/**', '**/services/**', '**/cli/**', '**/vectors/**', '**/bench/**'] }] },
  },
);
