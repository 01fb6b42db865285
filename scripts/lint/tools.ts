// Running external programs, and getting the pinned lint tools from scripts/setup-tools.sh.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(
  cmd: string,
  args: string[],
  { cwd, env }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: `${stderr}${err.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Installs/reuses the tool venv; resolves with its bin dir, or rejects with setup-tools' stderr. */
export async function setupTools(root: string): Promise<string> {
  const { code, stdout, stderr } = await run('bash', [join(root, 'scripts', 'setup-tools.sh')], { cwd: root });
  const bin = stdout.trim().split('\n').at(-1);
  if (code !== 0 || !bin)
    throw new Error(`scripts/setup-tools.sh failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return bin;
}
