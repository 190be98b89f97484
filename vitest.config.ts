import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['api/**/*.test.ts', 'reference/**/*.test.ts', 'adapter/**/*.test.ts', 'services/**/*.test.ts', 'cli/**/*.test.ts', 'harness/**/*.test.ts', 'vectors/**/*.test.ts', 'spec/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['./vitest.setup.ts'],
    globalSetup: ['./vitest.build.ts'],
  },
});
