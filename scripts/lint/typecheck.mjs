// tsc --noEmit -p tsconfig.json (strict), output turned into problems.
import { join } from 'node:path';
import { run } from './tools.mjs';

const TSC_LINE = /^(.+?)\((\d+),\d+\): (error|warning) (TS\d+): (.*)$/;

export async function typecheck(root) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const { code, stdout, stderr } = await run(
    process.execPath,
    [tsc, '--noEmit', '-p', 'tsconfig.json', '--pretty', 'false'],
    { cwd: root },
  );
  const problems = [];
  for (const line of `${stdout}\n${stderr}`.split('\n')) {
    const m = TSC_LINE.exec(line);
    if (m) problems.push({ file: m[1], line: Number(m[2]), rule: m[4], message: m[5], level: 'error' });
  }
  if (code !== 0 && problems.length === 0) {
    problems.push({
      file: 'tsconfig.json',
      rule: 'tsc',
      message: (stdout + stderr).trim() || `tsc exited ${code}`,
      level: 'error',
    });
  }
  return problems;
}
