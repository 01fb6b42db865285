// yamllint (repo .yamllint, hassio-addons style) over the repository's YAML files.
import { join } from 'node:path';
import { listFiles } from './git-files.ts';
import type { Problem } from './problems.ts';
import { run } from './tools.ts';

const PARSABLE = /^(.+?):(\d+):\d+: \[(error|warning)\] (.*?)(?: \(([\w-]+)\))?$/;

export const yamlFiles = (files: string[]): string[] =>
  files.filter((f) => /\.ya?ml$/.test(f) && !f.split('/').includes('node_modules') && !f.endsWith('package-lock.yaml'));

export async function yamllint(root: string, bin: string): Promise<Problem[]> {
  const files = yamlFiles(listFiles(root));
  if (files.length === 0) return [];
  const { code, stdout, stderr } = await run(
    join(bin, 'yamllint'),
    ['-f', 'parsable', '-c', '.yamllint', '--', ...files],
    { cwd: root },
  );
  const problems: Problem[] = [];
  for (const line of stdout.split('\n')) {
    const m = PARSABLE.exec(line);
    if (m?.[1] && m[4] !== undefined)
      problems.push({
        file: m[1],
        line: Number(m[2]),
        rule: `yamllint/${m[5] ?? 'syntax'}`,
        message: m[4],
        level: m[3] === 'warning' ? 'warning' : 'error',
      });
  }
  if (code !== 0 && !problems.some((p) => p.level === 'error')) {
    problems.push({
      file: '.yamllint',
      rule: 'yamllint',
      message: (stderr || stdout).trim() || `exit ${code}`,
      level: 'error',
    });
  }
  return problems;
}
