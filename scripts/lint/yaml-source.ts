// YAML parsing that keeps the source: lets rules report the line of a key and see scalar styles.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { KeyPath } from './problems.ts';

export interface YamlSource {
  /** The document as plain JS, undefined when it has syntax errors. */
  data: unknown;
  errors: { line: number | undefined; message: string }[];
  lineOf(path: KeyPath): number | undefined;
  /** Scalar style of the value at `path` ('PLAIN', 'QUOTE_DOUBLE', …), undefined if not a scalar. */
  scalarType(path: KeyPath): string | undefined;
}

export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const errors = doc.errors.map((e) => ({
    line: e.linePos?.[0]?.line,
    message: e.message.split('\n')[0] ?? e.message,
  }));
  const data = errors.length === 0 ? doc.toJS() : undefined;
  const lineAt = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };

  /** Walks `path`; returns the deepest node found and the line of its key (or item). */
  function walk(path: KeyPath): { node: unknown; line: number | undefined } {
    let node: unknown = doc.contents;
    let line = lineAt(node);
    let complete = true;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
        if (!pair) {
          complete = false;
          break;
        }
        line = lineAt(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key];
        line = lineAt(node) ?? line;
      } else {
        complete = false;
        break;
      }
    }
    return { node: complete ? node : undefined, line };
  }

  return {
    data,
    errors,
    lineOf: (path) => walk(path).line,
    scalarType: (path) => {
      const { node } = walk(path);
      return isScalar(node) ? (node.type ?? 'PLAIN') : undefined;
    },
  };
}
