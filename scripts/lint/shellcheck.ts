// shellcheck on the add-ons' rootfs scripts, scripts/*.sh, dev/**/*.sh, tests/**/*.sh and .ci/run, each with the
// shell named by its shebang. Every finding fails the check.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listFiles } from './git-files.ts';
import type { Problem } from './problems.ts';
import { run } from './tools.ts';

const SHELLS: Record<string, string> = { sh: 'sh', ash: 'sh', dash: 'dash', ksh: 'ksh', bash: 'bash', bashio: 'bash' };

/**
 * The shellcheck dialect for a shebang line, following `env` and s6's `with-contenv`;
 * undefined when it is not a shell script (node, execlineb, python…) or there is no shebang.
 */
export function shellFromShebang(line: string | undefined): string | undefined {
  if (!line?.startsWith('#!')) return undefined;
  const words = line.slice(2).trim().split(/\s+/);
  let i = 0;
  while (i < words.length && ['env', 'with-contenv'].includes(basename(words[i] ?? ''))) {
    i += 1;
    while ((words[i] ?? '').startsWith('-')) i += 1; // env -S, etc.
  }
  return SHELLS[basename(words[i] ?? '')];
}

/** Files to check: { file, shell } plus problems for .sh files without a usable shebang. */
export function shellTargets(
  root: string,
  files: string[],
): { targets: { file: string; shell: string }[]; problems: Problem[] } {
  const targets: { file: string; shell: string }[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    const rootfs = /^[^/.][^/]*\/rootfs\//.test(f);
    const named = /^scripts\/[^/]+\.sh$/.test(f) || /^(dev|tests)\/.+\.sh$/.test(f) || f === '.ci/run';
    if (!rootfs && !named) continue;
    const abs = join(root, f);
    if (!existsSync(abs)) continue;
    const first = readFileSync(abs, 'utf8').split('\n', 1)[0] ?? '';
    const shell = shellFromShebang(first);
    if (shell) targets.push({ file: f, shell });
    else if (named && !first.startsWith('#!')) {
      problems.push({ file: f, line: 1, rule: 'shebang', message: 'shell script has no shebang', level: 'error' });
      targets.push({ file: f, shell: 'bash' });
    }
  }
  return { targets, problems };
}

export async function shellcheck(root: string, bin: string): Promise<Problem[]> {
  const { targets, problems } = shellTargets(root, listFiles(root));
  for (const shell of [...new Set(targets.map((t) => t.shell))]) {
    const files = targets.filter((t) => t.shell === shell).map((t) => t.file);
    const args = ['-f', 'json1', '-s', shell, '--', ...files];
    const { code, stdout, stderr } = await run(join(bin, 'shellcheck'), args, { cwd: root });
    let comments: { file: string; line: number; code: number; message: string; level: string }[] = [];
    try {
      comments = JSON.parse(stdout || '{"comments":[]}').comments;
    } catch {
      problems.push({
        file: files[0] ?? '',
        rule: 'shellcheck',
        message: (stderr || stdout).trim() || `exit ${code}`,
        level: 'error',
      });
      continue;
    }
    for (const c of comments) {
      problems.push({
        file: c.file,
        line: c.line,
        rule: `SC${c.code}`,
        message: `${c.message} [${c.level}, -s ${shell}]`,
        level: 'error',
      });
    }
    if (code !== 0 && comments.length === 0) {
      problems.push({
        file: files[0] ?? '',
        rule: 'shellcheck',
        message: stderr.trim() || `exit ${code}`,
        level: 'error',
      });
    }
  }
  return problems;
}
