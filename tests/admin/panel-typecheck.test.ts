import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/addon-process.js';

// The panel is browser code (DOM, JSX) with its own tsconfig; the root typecheck covers the server only.
it('the panel typechecks in strict mode', async () => {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = promisify(execFile)(process.execPath, [
    tsc,
    '--noEmit',
    '-p',
    join(REPO_ROOT, 'homeiq-admin', 'panel', 'tsconfig.json'),
    '--pretty',
    'false',
  ]);
  await expect(
    run.catch((e: { stdout?: string }) => Promise.reject(new Error(e.stdout ?? String(e)))),
  ).resolves.toBeDefined();
}, 60_000);
