// tsc --noEmit (strict) on every TypeScript project, output turned into problems: the Node side (add-ons, shared,
// tests, bench: tsconfig.json), the panel, which is browser code with its own tsconfig (DOM, JSX), and the scripts,
// which Node runs directly and so may only use TypeScript that strips to JavaScript (scripts/tsconfig.json).
import { join } from 'node:path';
import type { CheckResult, Problem } from './problems.ts';
import { run } from './tools.ts';

export const PROJECTS = ['tsconfig.json', 'homeiq-admin/panel/tsconfig.json', 'scripts/tsconfig.json'];

const TSC_LINE = /^(.+?)\((\d+),\d+\): (error|warning) (TS\d+): (.*)$/;

export async function typecheck(root: string): Promise<CheckResult> {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const runs = await Promise.all(
    PROJECTS.map((project) =>
      run(process.execPath, [tsc, '--noEmit', '-p', project, '--pretty', 'false'], { cwd: root }).then((r) => ({
        project,
        ...r,
      })),
    ),
  );
  const problems: Problem[] = [];
  for (const { project, code, stdout, stderr } of runs) {
    const found: Problem[] = [];
    for (const line of `${stdout}\n${stderr}`.split('\n')) {
      const m = TSC_LINE.exec(line);
      if (m?.[1] && m[4] && m[5] !== undefined)
        found.push({ file: m[1], line: Number(m[2]), rule: m[4], message: m[5], level: 'error' });
    }
    if (code !== 0 && found.length === 0) {
      found.push({
        file: project,
        rule: 'tsc',
        message: (stdout + stderr).trim() || `tsc exited ${code}`,
        level: 'error',
      });
    }
    problems.push(...found);
  }
  return { problems, notes: [`projects: ${PROJECTS.join(', ')}`] };
}
