import { defineConfig } from 'vitest/config';

// One Docker engine, restarted by some cases: one file at a time, in order, with time for real
// containers to settle. The slow cases (registry cut mid-pull, soak) say so in their names.
export default defineConfig({
  test: {
    fileParallelism: false,
    globalSetup: ['./src/support/global-setup.ts'],
    sequence: { concurrent: false },
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
