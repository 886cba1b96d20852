import { defineConfig } from 'vitest/config';

// Three projects, run in this order by `npm test`: fast unit tests beside the code,
// then guest boots through the CLI and workers, then the browser end-to-end tests.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['core/**/*.test.ts', 'jit/**/*.test.ts', 'workers/**/*.test.ts', 'tests/unit/**/*.test.ts', 'tests/system/**/*.test.ts', 'cli/**/*.test.ts', 'docs/**/*.test.ts', 'bench/**/*.test.ts', 'guests/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      { test: { name: 'boot', include: ['tests/boot/**/*.test.ts'], testTimeout: 120_000, fileParallelism: false } },
      { test: { name: 'browser', include: ['tests/browser/**/*.test.ts'], testTimeout: 180_000, fileParallelism: false } },
    ],
  },
});
