export interface Problem {
  file: string;
  line?: number;
  rule: string;
  message: string;
  level: 'error' | 'warning';
}
export type KeyPath = (string | number)[];
export type Report = (rule: string, message: string, at?: KeyPath | number) => void;
export interface ProblemSink {
  problems: Problem[];
  error: Report;
  warning: Report;
}
export function problemSink(
  file: string,
  lineOf?: (path: KeyPath) => number | undefined,
  problems?: Problem[],
): ProblemSink;
export function formatProblem(p: Problem): string;
export function countErrors(problems: Problem[]): number;
