/**
 * Setup file of the `unit` project: a unit test runs inside the test process only, so starting any other process
 * (a bundle, influxd, python, git, a browser) fails at once with where such a test belongs (docs/CONVENTIONS.md).
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

for (const name of STARTERS) {
  Object.defineProperty(childProcess, name, {
    configurable: true,
    writable: true,
    value: (file: unknown) => {
      throw new Error(
        `a unit test started a process (child_process.${name}: ${String(file)}); ` +
          'a test that needs another process belongs in tests/integration/ (docs/CONVENTIONS.md, Tests)',
      );
    },
  });
}
// ES module imports of node:child_process see the replaced functions too.
syncBuiltinESMExports();
