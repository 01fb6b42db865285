// The repository's files as git sees them: what CI (a fresh clone) and the Supervisor would get.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const git = (root: string, args: string[]): string =>
  execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

/** Tracked plus untracked-but-not-ignored files that exist on disk (repo-relative, '/' separated). */
export function listFiles(root: string): string[] {
  const out = git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  return [...new Set(out.split('\0').filter(Boolean))].filter((f) => existsSync(join(root, f))).sort();
}

/** Map of tracked path → index mode ('100644', '100755', '120000', …). */
export function indexModes(root: string): Map<string, string> {
  const modes = new Map<string, string>();
  for (const entry of git(root, ['ls-files', '-s', '-z']).split('\0')) {
    const m = /^(\d{6}) [0-9a-f]+ \d\t(.*)$/s.exec(entry);
    if (m?.[1] && m[2]) modes.set(m[2], m[1]);
  }
  return modes;
}
