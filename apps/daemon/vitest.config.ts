import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Some tests start real processes and HTTPS servers; CI runs every package's suite at once on
    // 2 cores, where vitest's 5 s default was seen to run out for a daemon start.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
