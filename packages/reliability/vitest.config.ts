import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Soak cases run only with WEFT_SOAK=1 (`npm run test:reliability`): bounded, but minutes long.
    exclude: process.env.WEFT_SOAK ? [] : ['src/**/*.soak.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One case at a time: each starts real processes and measures them.
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
  },
});
