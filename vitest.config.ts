import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing outside the process tree it starts; `e2e` gets the real peers
// (InfluxDB built from source, Home Assistant Core from PyPI) from a global setup, once per run.
// `npm test` runs both; `npm test -- --project unit` is the fast loop.
const E2E = ['tests/peers/**/*.test.ts', 'tests/e2e/**/*.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['shared/src/**/*.test.ts', 'homeiq-*/src/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', ...E2E],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['tests/peers/global-setup.ts'],
        },
      },
    ],
  },
});
