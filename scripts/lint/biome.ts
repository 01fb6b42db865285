// Biome (config in biome.jsonc): the formatter check, the linter's recommended rules, and the import-cycle
// rule (lint/suspicious/noImportCycles), in one `biome ci` run. Warnings count as errors: the tree stays clean.
import { relative } from 'node:path';
import type { CheckResult, Problem } from './problems.ts';
import { run } from './tools.ts';

// `::error title=lint/x/y,file=/abs/path,line=3,endLine=3,col=1,endColumn=4::message`
const ANNOTATION = /^::(error|warning|notice) title=([^,]+),file=([^,]+),line=(\d+),[^:]*::(.*)$/;

export async function biome(root: string): Promise<CheckResult> {
  const bin = `${root}/node_modules/@biomejs/biome/bin/biome`;
  const { code, stdout, stderr } = await run(
    process.execPath,
    [bin, 'ci', '--reporter=github', '--error-on-warnings', '--colors=off', '.'],
    { cwd: root },
  );
  const problems: Problem[] = [];
  for (const line of `${stdout}\n${stderr}`.split('\n')) {
    const m = ANNOTATION.exec(line);
    if (m?.[2] && m[3] && m[5] !== undefined)
      problems.push({ file: relative(root, m[3]), line: Number(m[4]), rule: m[2], message: m[5], level: 'error' });
  }
  if (code !== 0 && problems.length === 0) {
    problems.push({
      file: 'biome.jsonc',
      rule: 'biome',
      message: (stdout + stderr).trim() || `biome exited ${code}`,
      level: 'error',
    });
  }
  return { problems, notes: ['formatter check, linter (recommended rules), import cycles'] };
}
