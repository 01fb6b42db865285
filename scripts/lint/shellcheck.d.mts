import type { Problem } from './problems.d.mts';
export function shellFromShebang(line: string | undefined): string | undefined;
export function shellTargets(
  root: string,
  files: string[],
): { targets: { file: string; shell: string }[]; problems: Problem[] };
export function shellcheck(root: string, bin: string): Promise<Problem[]>;
