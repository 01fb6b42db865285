// YAML parsing that keeps the source: lets rules report the line of a key and see scalar styles.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * @param {string} text
 * @returns {import('./yaml-source.d.mts').YamlSource}
 */
export function parseYamlSource(text) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const errors = doc.errors.map((e) => ({ line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] }));
  const data = errors.length === 0 ? doc.toJS() : undefined;
  const lineAt = (node) => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined);

  /** Walks `path`; returns the deepest node found and the line of its key (or item). */
  function walk(path) {
    let node = doc.contents;
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
    /** Scalar style of the value at `path` ('PLAIN', 'QUOTE_DOUBLE', …), undefined if not a scalar. */
    scalarType: (path) => {
      const { node } = walk(path);
      return isScalar(node) ? (node.type ?? 'PLAIN') : undefined;
    },
  };
}
