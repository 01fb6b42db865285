// Problem records shared by every check, and their one-line rendering.
// A problem is { file, line?, rule, message, level: 'error' | 'warning' }.

/**
 * Collects problems for one file; `lineOf(path)` (optional) maps a key path to a 1-based line.
 * @param {string} file
 * @param {(path: (string|number)[]) => number | undefined} [lineOf]
 * @param {import('./problems.d.mts').Problem[]} [problems] array to append to (shared between sinks)
 */
export function problemSink(file, lineOf, problems = []) {
  /** @param {'error'|'warning'} level */
  const add = (level) => (rule, message, path) => {
    const line = Array.isArray(path) ? lineOf?.(path) : path;
    problems.push({ file, ...(line ? { line } : {}), rule, message, level });
  };
  return { problems, error: add('error'), warning: add('warning') };
}

/** `path:line rule: message` (warnings are marked). */
export function formatProblem(p) {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  return `${where} ${p.rule}: ${p.level === 'warning' ? 'warning: ' : ''}${p.message}`;
}

export const countErrors = (problems) => problems.filter((p) => p.level === 'error').length;
