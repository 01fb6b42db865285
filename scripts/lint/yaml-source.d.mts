import type { KeyPath } from './problems.d.mts';
export interface YamlSource {
  /** The document as plain JS, undefined when it has syntax errors. */
  data: unknown;
  errors: { line: number | undefined; message: string }[];
  lineOf(path: KeyPath): number | undefined;
  scalarType(path: KeyPath): string | undefined;
}
export function parseYamlSource(text: string): YamlSource;
