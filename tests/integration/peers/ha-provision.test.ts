// dev/peers/homeassistant/provision.sh without PyPI: copies of its folder (one per "checkout") run with a stand-in
// interpreter that plays Python's part in each step (or fails to create the venv), into a throw-away cache. What is
// checked: which venv a checkout gets, that no failing build takes away another checkout's venv, the pruning, and
// the one line a machine without the right Python gets.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../dev/addon-process.js';

const PEER = join(REPO_ROOT, 'dev/peers/homeassistant');
let root: string;

/** A stand-in for python3.13: `-c` (the interpreter check, the constraints path), `-m venv`, pip, the scripts. */
const WORKS = `#!/bin/sh
case "$1" in
  -c) case "$2" in *package_constraints*) echo /dev/null ;; esac ;;
  -m) if [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi ;;
esac
exit 0
`;
/** One that passes the interpreter check and then cannot create a venv (as an offline or broken build fails). */
const FAILS = `#!/bin/sh
case "$1" in -c) exit 0 ;; esac
exit 1
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(checkout: string, python: string, role = 'main'): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [join(checkout, 'provision.sh'), role],
      {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: root,
          HOMEIQ_CACHE: join(root, 'cache'),
          HOMEIQ_PYTHON_3_13: python,
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A copy of the peer folder's provisioning inputs; `edit` changes a file of it. */
async function checkout(name: string, edit?: { file: string; change: (text: string) => string }): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, 'config'), { recursive: true });
  for (const f of ['provision.sh', 'VERSIONS', 'integration_requirements.py', 'config/configuration.yaml'])
    await cp(join(PEER, f), join(dir, f));
  if (edit) await writeFile(join(dir, edit.file), edit.change(await readFile(join(dir, edit.file), 'utf8')));
  return dir;
}

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

let works: string;
let fails: string;
let a: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'homeiq-ha-provision-'));
  works = join(root, 'python-works');
  fails = join(root, 'python-fails');
  await writeFile(works, WORKS);
  await writeFile(fails, FAILS);
  await chmod(works, 0o755);
  await chmod(fails, 0o755);
  a = await checkout('a');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('provision.sh (Home Assistant venvs)', () => {
  let venvA: string;

  it('builds a venv, then reuses it, also for a checkout that differs only in comments', async () => {
    const built = await run(a, works);
    expect(built.stderr).toMatch(/done: .* in /);
    expect(built.code).toBe(0);
    venvA = built.stdout.trim();
    expect(venvA).toMatch(/\/homeassistant\/2025\.4\.4-py3\.13\/[0-9a-f]{16}\/venv\/bin\/python$/);
    const again = await run(a, works);
    expect([again.code, again.stdout.trim(), again.stderr]).toEqual([0, venvA, expect.stringMatching(/reusing/)]);
    // The same inputs with other comments (a moved folder renames the paths its comments mention).
    const moved = await checkout('moved', {
      file: 'config/configuration.yaml',
      change: (t) => t.replace(/^# .*$/gm, '# somewhere else'),
    });
    const reused = await run(moved, works);
    expect([reused.code, reused.stdout.trim(), reused.stderr]).toEqual([0, venvA, expect.stringMatching(/reusing/)]);
  });

  it('gives a checkout with another configuration its own venv, and its failed build leaves the other one', async () => {
    const other = await checkout('other', {
      file: 'config/configuration.yaml',
      change: (t) => t.replace('input_boolean:\n', 'input_boolean:\n  provision_test:\n    name: Provision test\n'),
    });
    const failed = await run(other, fails);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/ERROR: step 'create venv' failed/);
    expect(await exists(venvA)).toBe(true);
    expect((await run(a, works)).stderr).toMatch(/reusing/);
  });

  it('removes, after a build, the venvs of the same version nobody has used for two days', async () => {
    const homeA = join(venvA, '../../..');
    const old = new Date(Date.now() - 3 * 86_400_000);
    await utimes(join(homeA, 'last-used'), old, old);
    const newer = await checkout('newer', {
      file: 'config/configuration.yaml',
      change: (t) => t.replace('counter:\n', 'counter:\n  provision_test:\n    initial: 1\n'),
    });
    const built = await run(newer, works);
    expect(built.code).toBe(0);
    expect(built.stderr).toMatch(/removing .*unused for more than 2 days/);
    expect(await exists(homeA)).toBe(false);
    expect(await exists(built.stdout.trim())).toBe(true);
  });

  it('says in one line which Python is missing and how to provide it', async () => {
    const nowhere = await checkout('nowhere', {
      file: 'VERSIONS',
      change: (t) => t.replace(/^(main\s+\S+\s+)3\.13/m, '$19.99'),
    });
    const r = await run(nowhere, works);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /ERROR: Home Assistant 2025\.4\.4 needs Python 9\.99: none found \(tried \$HOMEIQ_PYTHON_9_99, python9\.99 on PATH, pyenv\); install it .* or set HOMEIQ_PYTHON_9_99/,
      ),
    ]);
  });
});
