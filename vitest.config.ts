import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/server/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    globalSetup: ['test/support/build.ts'],
    // CPU-heavy pure tests (codec round trips over real games, fuzzes) take ~8 s alone on two
    // cores, and several times that while browsers of the e2e files run beside them.
    testTimeout: 60_000,
    hookTimeout: 20_000,
  },
});
