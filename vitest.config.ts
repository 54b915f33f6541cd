import { globSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const ALL_TESTS = ['test/**/*.test.ts', 'stand-ins/**/*.test.ts'];

/**
 * Test files that open a database through one of the helpers that choose the dialect
 * (test/support/test-database.ts): they run twice, on SQLite in memory and on a throwaway
 * PostgreSQL; the others (pure logic, stand-ins, chart) run once.
 */
const DATABASE_HELPERS =
  /\b(memoryDatabase|databaseEachTest|createTestApp|startHarness|reportSuite|freshDatabaseUrl|assistantDatabase)\(/;
const databaseTests = globSync(ALL_TESTS).filter((file) => DATABASE_HELPERS.test(readFileSync(file, 'utf8')));

export default defineConfig({
  test: {
    // Child-process and real-server tests are fast but not instant on a 2-core CI machine.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'sqlite', include: ALL_TESTS } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: databaseTests,
          env: { TEST_DATABASE: 'postgres' },
          globalSetup: ['test/support/postgres-global-setup.ts'],
          setupFiles: ['test/support/postgres-test-setup.ts'],
        },
      },
    ],
  },
});
