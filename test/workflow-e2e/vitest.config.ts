import { defineConfig } from 'vitest/config';

// One Docker engine: the suites run one file at a time, with time for real containers to settle.
export default defineConfig({
  test: { fileParallelism: false, testTimeout: 120_000, hookTimeout: 120_000 },
});
