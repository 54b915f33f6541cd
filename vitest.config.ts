import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'stand-ins/**/*.test.ts'],
    // Child-process and real-server tests are fast but not instant on a 2-core CI machine.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
