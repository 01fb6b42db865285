import type { Problem } from './problems.d.mts';
export const REQUIRED_FILES: string[];
export function checkAddonFiles(a: {
  root: string;
  dir: string;
  files: string[];
  modes: Map<string, string>;
  slug: string | undefined;
  problems: Problem[];
}): void;
export function strayConfigs(files: string[]): string[];
