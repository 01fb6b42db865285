// Problem records shared by every check, and their one-line rendering.

export interface Problem {
  file: string;
  /** 1-based. */
  line?: number;
  rule: string;
  message: string;
  level: 'error' | 'warning';
}
/** Where in a YAML/JSON document: keys and array indices from the root. */
export type KeyPath = (string | number)[];
/** Records a problem at a key path (mapped to its line) or at a line number. */
export type Report = (rule: string, message: string, at?: KeyPath | number) => void;
export interface ProblemSink {
  problems: Problem[];
  error: Report;
  warning: Report;
}
/** What a check returns: its problems, and notes printed before them. */
export type CheckResult = Problem[] | { problems: Problem[]; notes?: string[] };

/**
 * Collects problems for one file; `lineOf(path)` (optional) maps a key path to a 1-based line. `problems` is the
 * array to append to (shared between sinks).
 */
export function problemSink(
  file: string,
  lineOf?: (path: KeyPath) => number | undefined,
  problems: Problem[] = [],
): ProblemSink {
  const add =
    (level: Problem['level']): Report =>
    (rule, message, at) => {
      const line = Array.isArray(at) ? lineOf?.(at) : at;
      problems.push({ file, ...(line ? { line } : {}), rule, message, level });
    };
  return { problems, error: add('error'), warning: add('warning') };
}

/** `path:line rule: message` (warnings are marked). */
export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  return `${where} ${p.rule}: ${p.level === 'warning' ? 'warning: ' : ''}${p.message}`;
}

export const countErrors = (problems: Problem[]): number => problems.filter((p) => p.level === 'error').length;
