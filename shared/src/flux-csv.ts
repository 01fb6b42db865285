/**
 * The one reader of InfluxDB's Flux answers (annotated CSV), for every add-on and test. It imports nothing, so
 * the panel's browser bundle may use it too.
 *
 * What InfluxDB sends: RFC 4180 records ended by `\r\n`, tables separated by an empty line, each table with a
 * header row whose first column is the (empty) annotation column, optionally preceded by `#datatype`, `#group`
 * and `#default` rows; a query that fails once the answer has started is ended by an error table
 * (`,error,reference`). Flux's CSV writer (Go's encoding/csv with CRLF line ends) also rewrites text inside
 * quoted fields: every `\n` becomes `\r\n` and every `\r` is dropped. The first is undone here; the second
 * cannot be, so a column that may hold a `\r` (a stored string) is escaped in the query by {@link fluxExact}
 * and unescaped here (`exact` option): then every stored string comes back exactly.
 */

/** One row of a Flux answer by column name, plus `result` (the yield's name); the `table` column is left out. */
export type FluxRow = Record<string, string>;

export interface FluxColumn {
  name: string;
  /** `#datatype` (`string`, `long`, `double`, `boolean`, `dateTime:RFC3339`, …); `''` without annotations. */
  type: string;
  /** `#group`: part of the table's group key. */
  group: boolean;
  /** `#default`: the value of an empty cell. */
  default: string;
}

export interface FluxTable {
  /** The yield's name (`_result` unless the query names it). */
  result: string;
  /** The table's number within its result. */
  table: string;
  /** The data columns, without the annotation, `result` and `table` columns. */
  columns: FluxColumn[];
  /** Cells in the order of `columns`; defaults applied, `exact` columns unescaped. */
  rows: string[][];
}

/** A Flux query that failed after InfluxDB had begun to answer (an error table in the CSV). */
export class FluxQueryError extends Error {
  constructor(
    message: string,
    readonly reference: string,
  ) {
    super(message);
    this.name = 'FluxQueryError';
  }
}

export interface FluxCsvOptions {
  /** Columns the query escaped with {@link fluxExact}: unescaped here. */
  exact?: readonly string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The Flux import that {@link fluxExact} needs at the top of the query. */
export const FLUX_EXACT_IMPORT = 'import "strings"';

/**
 * A pipe stage that makes the string column `column` survive the CSV answer exactly: `\` becomes `\\` and `\r`
 * becomes `\r` (backslash, r), which Flux's writer leaves alone; read the answer with `{ exact: [column] }`.
 * Put it after the stages that reduce the rows (`last()`, `limit()`), as it runs once per row.
 */
export function fluxExact(column = '_value'): string {
  if (!NAME.test(column)) throw new Error(`fluxExact: ${JSON.stringify(column)} is not a plain column name`);
  const inner = `strings.replaceAll(v: r.${column}, t: "\\\\", u: "\\\\\\\\")`;
  return `|> map(fn: (r) => ({r with ${column}: strings.replaceAll(v: ${inner}, t: "\\r", u: "\\\\r")}))`;
}

/** Undoes {@link fluxExact}: `\\` → `\`, `\r` → carriage return; anything else is kept as it is. */
export function unescapeExact(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    const next = s[i + 1];
    if (c === '\\' && (next === '\\' || next === 'r')) {
      out += next === 'r' ? '\r' : '\\';
      i++;
    } else out += c;
  }
  return out;
}

/**
 * RFC 4180 records. A record ends at `\n` or `\r\n` outside quotes; inside quotes `""` is a quote and `\r\n` is
 * `\n` (how Flux writes a stored line feed); a lone `\r` is kept.
 */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  // The next `"` and `\r\n` at or after `i` (-1: none; -2: not looked for yet), looked for again only once `i` has
  // passed them: a field of many line ends or quotes, or a record of many quoted fields, is read in one pass.
  let q = -2;
  let cr = -2;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */ && field === '') {
      // A quoted field: copy runs of plain text between the special characters.
      i++;
      for (;;) {
        if (q !== -1 && q < i) q = text.indexOf('"', i);
        if (cr !== -1 && cr < i) cr = text.indexOf('\r\n', i);
        if (cr !== -1 && (q === -1 || cr < q)) {
          field += `${text.slice(i, cr)}\n`;
          i = cr + 2;
          continue;
        }
        if (q === -1) {
          field += text.slice(i);
          i = n;
          break;
        }
        field += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 0x22) {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Text between the closing quote and the next separator is not RFC 4180; keep it rather than lose it.
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x2c || d === 0x0a || (d === 0x0d && text.charCodeAt(i + 1) === 0x0a)) break;
        field += text[i];
        i++;
      }
      continue;
    }
    if (c === 0x2c /* , */) {
      record.push(field);
      field = '';
      i++;
    } else if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) === 0x0a)) {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += c === 0x0a ? 1 : 2;
    } else {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x2c || d === 0x0a || d === 0x0d) break;
        j++;
      }
      field += text.slice(i, j);
      i = j;
    }
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

const blank = (rec: string[]): boolean => rec.length === 0 || (rec.length === 1 && rec[0] === '');

/**
 * The tables of a Flux answer, with or without annotations. Throws {@link FluxQueryError} when the answer
 * holds an error table: the rows before it are a partial answer and are not returned.
 */
export function readFluxTables(text: string, options: FluxCsvOptions = {}): FluxTable[] {
  const exact = new Set(options.exact ?? []);
  const tables: FluxTable[] = [];
  let annotations: Map<string, string[]> = new Map();
  let header: string[] | undefined;
  let columns: FluxColumn[] = [];
  let exactAt: number[] = [];
  let resultAt = -1;
  let tableAt = -1;
  let dataAt: number[] = [];
  let current: FluxTable | undefined;
  const records = parseCsvRecords(text);
  for (let r = 0; r < records.length; r++) {
    const rec = records[r] as string[];
    if (blank(rec)) {
      header = undefined;
      current = undefined;
      annotations = new Map();
      continue;
    }
    if (!header) {
      const first = rec[0] ?? '';
      if (first.startsWith('#')) {
        annotations.set(first, rec);
        continue;
      }
      header = rec;
      if (rec.length === 3 && rec[0] === '' && rec[1] === 'error' && rec[2] === 'reference') {
        const row = records[r + 1] ?? [];
        throw new FluxQueryError(row[1] || 'the query failed (an error table without a message)', row[2] ?? '');
      }
      const types = annotations.get('#datatype') ?? [];
      const groups = annotations.get('#group') ?? [];
      const defaults = annotations.get('#default') ?? [];
      resultAt = rec.indexOf('result');
      tableAt = rec.indexOf('table');
      columns = [];
      dataAt = [];
      exactAt = [];
      for (let i = 0; i < rec.length; i++) {
        const name = rec[i] as string;
        if (i === resultAt || i === tableAt || (i === 0 && name === '')) continue;
        if (exact.has(name)) exactAt.push(columns.length);
        dataAt.push(i);
        columns.push({ name, type: types[i] ?? '', group: groups[i] === 'true', default: defaults[i] ?? '' });
      }
      continue;
    }
    const result = (resultAt >= 0 ? rec[resultAt] : '') || (annotations.get('#default')?.[resultAt] ?? '');
    const table = tableAt >= 0 ? (rec[tableAt] ?? '') : '';
    if (!current || current.result !== result || current.table !== table) {
      current = { result, table, columns, rows: [] };
      tables.push(current);
    }
    const cells: string[] = new Array(dataAt.length);
    for (let k = 0; k < dataAt.length; k++) {
      const v = rec[dataAt[k] as number] ?? '';
      cells[k] = v === '' ? (columns[k] as FluxColumn).default : v;
    }
    for (const k of exactAt) cells[k] = unescapeExact(cells[k] as string);
    current.rows.push(cells);
  }
  return tables;
}

/** Every row of every table as an object by column name, with `result`; see {@link readFluxTables}. */
export function parseFluxCsv(text: string, options: FluxCsvOptions = {}): FluxRow[] {
  const rows: FluxRow[] = [];
  for (const t of readFluxTables(text, options)) {
    for (const cells of t.rows) {
      const row: FluxRow = { result: t.result };
      for (let k = 0; k < t.columns.length; k++) row[(t.columns[k] as FluxColumn).name] = cells[k] as string;
      rows.push(row);
    }
  }
  return rows;
}
