import { parseJson } from './json-text.js';

/**
 * InfluxDB's `/query` answer (InfluxQL, 1.x and 2.x's compatibility API) in JSON, chunked (one JSON document a
 * line) or not: the one reader of it for the add-ons.
 */

export interface InfluxqlSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
  /** More of this series follows in the next chunk. */
  partial?: boolean;
}

export interface InfluxqlResult {
  statement_id?: number;
  series?: InfluxqlSeries[];
  error?: string;
}

/** A statement's error (`statement`), or a body that is not InfluxDB's JSON (`not_json`). */
export class InfluxqlError extends Error {
  override readonly name = 'InfluxqlError';
  constructor(
    readonly kind: 'statement' | 'not_json',
    message: string,
  ) {
    super(message);
  }
}

/** Every statement's result, chunk after chunk; throws InfluxqlError for the first error in the answer. */
export function readInfluxqlAnswer(text: string): InfluxqlResult[] {
  const out: InfluxqlResult[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let doc: { results?: InfluxqlResult[]; error?: unknown };
    try {
      doc = parseJson(line) as typeof doc;
    } catch {
      throw new InfluxqlError('not_json', `an answer that is not InfluxDB's JSON: ${line.slice(0, 120)}`);
    }
    if (typeof doc.error === 'string') throw new InfluxqlError('statement', doc.error);
    for (const r of doc.results ?? []) {
      if (typeof r.error === 'string') throw new InfluxqlError('statement', r.error);
      out.push(r);
    }
  }
  return out;
}
