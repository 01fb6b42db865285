import {
  FluxQueryError,
  HttpError,
  InfluxqlError,
  influxErrorMessage,
  parseJson,
  readFluxTables,
  readInfluxqlAnswer,
  type FluxTable,
  type InfluxqlResult,
} from '@homeiq/shared';
import type { QueryAnswer, QueryLanguage, QueryTable } from '../api-types.js';
import type { InfluxReader } from '../influx/flux.js';
import { refusedInfluxql } from './influxql-guard.js';
import { mayCreateEmptyWindows, refusedFlux } from './query-guard.js';

export interface ConsoleRequest {
  language: QueryLanguage;
  query: string;
  /** InfluxQL's database (a DBRP mapping the influxdb add-on keeps); default: the raw bucket's. */
  database?: string | undefined;
  /** Rows returned at most. */
  rows: number;
  /** InfluxDB's answer must be complete within this; the query is stopped at the limit. */
  timeoutS: number;
}

/** The largest answer read from InfluxDB; past it the query is stopped and the rows so far are shown. */
export const CONSOLE_MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** Console queries running at once; a busy console answers 429 rather than queueing work on a Raspberry Pi. */
const MAX_RUNNING = 2;

/** An error InfluxDB gave, passed on in its own words (a 400: the query, not the panel, is at fault). */
function influxError(status: number, message: string): HttpError {
  return new HttpError(status >= 500 ? 502 : 400, message, { source: 'influxdb', status });
}

/**
 * `option planner.disablePhysicalRules = [...]` as a file of the query's package (`extern`): the planner rules
 * that hand a window aggregate to influxd's storage engine, for programs that may ask for empty windows (see
 * mayCreateEmptyWindows). Flux then computes the windows itself, within the query's memory limit. The user's
 * program cannot change it back: `planner` is not a package the guard lets it import.
 */
const WINDOWS_IN_FLUX = {
  type: 'File',
  package: null,
  imports: [{ type: 'ImportDeclaration', path: { type: 'StringLiteral', value: 'planner' } }],
  body: [
    {
      type: 'OptionStatement',
      assignment: {
        type: 'MemberAssignment',
        member: {
          type: 'MemberExpression',
          object: { type: 'Identifier', name: 'planner' },
          property: { type: 'Identifier', name: 'disablePhysicalRules' },
        },
        init: {
          type: 'ArrayExpression',
          elements: [
            'PushDownWindowAggregateRule',
            'PushDownAggregateWindowRule',
            'GroupWindowAggregateTransposeRule',
          ].map((value) => ({ type: 'StringLiteral', value })),
        },
      },
    },
  ],
};

const sizeCut = `the answer passed ${CONSOLE_MAX_ANSWER_BYTES / 1024 / 1024} MB; the query was stopped there`;

/** Keeps the first `limit` rows of `tables`; says why when some were left out. */
function limitRows(
  tables: QueryTable[],
  limit: number,
  cut: string | undefined,
): Omit<QueryAnswer, 'language' | 'tookMs'> {
  const out: QueryTable[] = [];
  let rows = 0;
  let truncated = cut;
  for (const t of tables) {
    if (rows >= limit) {
      truncated = `the first ${limit} rows (the row limit)`;
      break;
    }
    const take = t.rows.slice(0, limit - rows);
    if (take.length < t.rows.length) truncated = `the first ${limit} rows (the row limit)`;
    rows += take.length;
    out.push({ ...t, rows: take });
  }
  return { tables: out, rows, truncated };
}

/** A column's type, named as Flux annotates it, from its first value. */
function v1Type(name: string, values: unknown[][], i: number): string {
  const v = values.find((row) => row[i] !== null && row[i] !== undefined)?.[i];
  if (name === 'time' && typeof v === 'string') return 'dateTime:RFC3339';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'boolean') return 'boolean';
  return 'string';
}

/**
 * The read-only query console: the admin's read token (it cannot write), a program the guard accepts (Flux as
 * InfluxDB itself parses it), a time limit (the connection is closed at it, which cancels the query in
 * InfluxDB), an answer size limit and a row limit. Answers are tables, whichever the language.
 */
export class QueryConsole {
  #running = 0;

  constructor(private readonly influx: InfluxReader) {}

  async run(req: ConsoleRequest): Promise<QueryAnswer> {
    if (this.#running >= MAX_RUNNING)
      throw new HttpError(429, `${MAX_RUNNING} console queries are running already; wait for one to finish`);
    this.#running++;
    const t0 = performance.now();
    try {
      const answer = req.language === 'flux' ? await this.#flux(req) : await this.#influxql(req);
      return { language: req.language, ...answer, tookMs: Math.round(performance.now() - t0) };
    } finally {
      this.#running--;
    }
  }

  /** InfluxQL's databases, for the console's choice; empty when InfluxDB cannot list them. */
  async databases(): Promise<string[]> {
    try {
      const a = await this.#influxql({ language: 'influxql', query: 'SHOW DATABASES', rows: 1000, timeoutS: 5 });
      return a.tables.flatMap((t) => t.rows.map((r) => r[0] ?? '')).filter((d) => d !== '' && !d.startsWith('_'));
    } catch {
      return [];
    }
  }

  async #flux(req: ConsoleRequest): Promise<Omit<QueryAnswer, 'language' | 'tookMs'>> {
    const parsed = await this.influx.post(
      '/api/v2/query/ast',
      { query: req.query },
      { timeoutMs: 10_000, maxBodyBytes: 16 * 1024 * 1024 },
    );
    const parsedText = parsed.body.toString('utf8');
    if (parsed.status !== 200) throw influxError(parsed.status, influxErrorMessage(parsedText));
    const ast = (parseJson(parsedText) as { ast?: unknown }).ast;
    const refusal = refusedFlux(ast);
    if (refusal) throw new HttpError(400, refusal, { source: 'console' });
    const res = await this.influx.post(
      '/api/v2/query',
      {
        query: req.query,
        ...(mayCreateEmptyWindows(ast) ? { extern: WINDOWS_IN_FLUX } : {}),
        type: 'flux',
        dialect: { header: true, annotations: ['datatype', 'group', 'default'] },
      },
      { timeoutMs: req.timeoutS * 1000, maxBodyBytes: CONSOLE_MAX_ANSWER_BYTES, truncate: true },
    );
    let text = res.body.toString('utf8');
    if (res.status !== 200) throw influxError(res.status, influxErrorMessage(text));
    // A cut answer ends inside a row: parse up to the last line end, and drop the row that may be partial.
    if (res.truncated) text = text.slice(0, text.lastIndexOf('\n') + 1);
    let tables: FluxTable[];
    try {
      tables = readFluxTables(text);
    } catch (err) {
      if (err instanceof FluxQueryError) throw influxError(400, err.message);
      throw err;
    }
    if (res.truncated) tables.at(-1)?.rows.pop();
    return limitRows(
      tables.map((t) => ({
        result: t.result,
        table: t.table,
        columns: t.columns.map((c) => ({ name: c.name, type: c.type, group: c.group })),
        rows: t.rows,
      })),
      req.rows,
      res.truncated ? sizeCut : undefined,
    );
  }

  /**
   * InfluxQL through InfluxDB's `/query` (the influxdb add-on maps the buckets to databases), chunked: the answer
   * is one JSON document per line, so a cut answer still reads up to its last whole chunk.
   */
  async #influxql(req: ConsoleRequest): Promise<Omit<QueryAnswer, 'language' | 'tookMs'>> {
    const refusal = refusedInfluxql(req.query);
    if (refusal) throw new HttpError(400, refusal, { source: 'console' });
    const database = req.database ?? (await this.influx.grant()).buckets.raw;
    const res = await this.influx.post(
      '/query',
      { q: req.query },
      {
        form: true,
        search: { db: database, chunked: 'true', chunk_size: '1000' },
        accept: 'application/json',
        timeoutMs: req.timeoutS * 1000,
        maxBodyBytes: CONSOLE_MAX_ANSWER_BYTES,
        truncate: true,
      },
    );
    const text = res.body.toString('utf8');
    if (res.status !== 200) throw influxError(res.status, influxErrorMessage(text));
    const lines = text.split('\n');
    if (res.truncated) lines.pop();
    const tables = new Map<string, QueryTable>();
    let results: InfluxqlResult[];
    try {
      results = readInfluxqlAnswer(lines.join('\n'));
    } catch (err) {
      if (err instanceof InfluxqlError) throw influxError(400, err.message);
      throw err;
    }
    for (const r of results) {
      for (const s of r.series ?? []) {
        const tags = Object.entries(s.tags ?? {});
        const name = [s.name ?? '', ...tags.map(([k, v]) => `${k}=${v}`)].join(' ');
        // A series longer than a chunk arrives in parts (`partial`): they continue one table.
        const key = JSON.stringify([r.statement_id, name, s.columns]);
        const values = s.values ?? [];
        let t = tables.get(key);
        if (!t) {
          const columns = (s.columns ?? []).map((c, i) => ({ name: c, type: v1Type(c, values, i), group: false }));
          t = {
            result: `statement ${r.statement_id ?? 0}`,
            table: name,
            columns: [...columns, ...tags.map(([k]) => ({ name: k, type: 'string', group: true }))],
            rows: [],
          };
          tables.set(key, t);
        }
        for (const row of values) {
          t.rows.push([
            ...row.map((v) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v))),
            ...tags.map(([, v]) => v),
          ]);
        }
      }
    }
    return limitRows([...tables.values()], req.rows, res.truncated ? sizeCut : undefined);
  }
}
