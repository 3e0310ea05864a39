import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real engine on a shared 2-core machine: generous per-test limits; tests in a file run in order.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
