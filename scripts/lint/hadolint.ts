// hadolint (repo .hadolint.yaml) on every <addon>/Dockerfile. Every finding fails the check.
import { join } from 'node:path';
import { listFiles } from './git-files.ts';
import type { Problem } from './problems.ts';
import { run } from './tools.ts';

export async function hadolint(root: string, bin: string): Promise<Problem[]> {
  const files = listFiles(root).filter((f) => /^[^/.][^/]*\/Dockerfile$/.test(f));
  if (files.length === 0) return [];
  const { code, stdout, stderr } = await run(
    join(bin, 'hadolint'),
    ['--config', '.hadolint.yaml', '--format', 'json', ...files],
    { cwd: root },
  );
  let findings: { file: string; line: number; code: string; message: string; level: string }[];
  try {
    findings = JSON.parse(stdout || '[]');
  } catch {
    return [
      {
        file: '.hadolint.yaml',
        rule: 'hadolint',
        message: (stderr || stdout).trim() || `exit ${code}`,
        level: 'error',
      },
    ];
  }
  const problems = findings.map(
    (f): Problem => ({
      file: f.file,
      line: f.line,
      rule: f.code,
      message: `${f.message} [${f.level}]`,
      level: 'error',
    }),
  );
  if (code !== 0 && problems.length === 0) {
    problems.push({
      file: '.hadolint.yaml',
      rule: 'hadolint',
      message: stderr.trim() || `exit ${code}`,
      level: 'error',
    });
  }
  return problems;
}
