/**
 * influxd prints logfmt lines (`ts=… lvl=info msg="Welcome to InfluxDB" log_id=… service=bolt`).
 * We re-emit them through our logger so the add-on log has one format and one level filter.
 */
export type InfluxdLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface InfluxdLogLine {
  level: InfluxdLevel;
  msg: string;
  /** The remaining key=value pairs (without ts, lvl, msg, log_id), e.g. service, error. */
  fields: Record<string, string>;
}

const PAIR = /([A-Za-z0-9_.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g;

/**
 * influxd's `info` is chatty (every compaction, every task run); it becomes our `debug`. Its own debug
 * becomes trace; warnings and errors keep their level. A line that is not logfmt (a Go panic) is an error.
 */
const LEVELS: Record<string, InfluxdLevel> = { debug: 'trace', info: 'debug', warn: 'warn', error: 'error' };
const DROPPED = new Set(['ts', 'lvl', 'msg', 'log_id']);

export function parseInfluxdLine(line: string): InfluxdLogLine {
  const pairs = new Map<string, string>();
  for (const m of line.matchAll(PAIR)) {
    const [, key = '', raw = ''] = m;
    pairs.set(key, raw.startsWith('"') ? unquote(raw) : raw);
  }
  const lvl = pairs.get('lvl');
  if (!pairs.has('ts') || lvl === undefined) return { level: 'error', msg: line, fields: {} };
  const fields: Record<string, string> = {};
  for (const [k, v] of pairs) if (!DROPPED.has(k)) fields[k] = v;
  return { level: LEVELS[lvl] ?? 'warn', msg: pairs.get('msg') ?? '', fields };
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

/** Splits a byte stream into lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
  #rest = '';
  push(chunk: Buffer | string, onLine: (line: string) => void): void {
    const text = this.#rest + chunk.toString();
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') onLine(l);
  }
}

/** The last lines influxd printed, for the crash report. */
export class Tail {
  readonly #lines: string[] = [];
  constructor(private readonly max = 20) {}
  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.max) this.#lines.shift();
  }
  lines(): string[] {
    return [...this.#lines];
  }
}
