import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['api/**/*.test.ts', 'reference/**/*.test.ts', 'adapter/**/*.test.ts', 'services/**/*.test.ts', 'cli/**/*.test.ts', 'harness/**/*.test.ts', 'vectors/**/*.test.ts', 'spec/**/*.test.ts', 'bench/**/*.test.ts'],
    // Deadlines only catch hangs: on a loaded 2-core machine the long conformance and model tests take minutes.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    setupFiles: ['./vitest.setup.ts'],
    globalSetup: ['./vitest.build.ts'],
  },
});
