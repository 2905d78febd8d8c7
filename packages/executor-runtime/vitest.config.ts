import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Runtimes log JSON lines with pino; keep test output readable.
    env: { WEFT_LOG_LEVEL: 'silent' },
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
  },
});
