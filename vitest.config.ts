import { defineConfig } from 'vitest/config';

// Three projects, named for what a test needs (docs/CONVENTIONS.md, Tests):
// - unit: nothing outside the test process (in-process loopback servers such as the HA simulator or the
//   Supervisor emulator are fine); next to the module it tests. Starting a process fails the test.
// - integration: starts other processes (the add-on bundles, a real influxd, Python, a browser, git);
//   tests/integration/.
// - e2e: against a real Home Assistant Core, which the global setup starts once per run; tests/e2e/.
// `npm test` runs all three; `npm test -- --project unit` is the fast loop.
const IGNORED = ['**/node_modules/**', '**/dist/**'];

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
          include: ['{shared,homeiq-*,scripts,dev,tests}/**/*.test.ts'],
          exclude: [...IGNORED, 'tests/integration/**', 'tests/e2e/**'],
          setupFiles: ['tests/harness/no-processes.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['tests/integration/**/*.test.ts'], exclude: IGNORED },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          exclude: IGNORED,
          globalSetup: ['tests/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
