/**
 * Turns pino's JSON records into one readable line each, because the Home Assistant Log tab shows raw
 * stdout and JSON there is hard to read. Secrets are scrubbed by value as a last line of defence
 * (key-based redaction happens in pino before this).
 */

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

const RESERVED = new Set(['level', 'time', 'msg', 'module', 'name', 'pid', 'hostname', 'err']);
const MIN_SECRET_LENGTH = 6;

/** Secret values that must never be printed, whatever key (or string) they hide in. */
export class LogSecrets {
  readonly #values = new Set<string>();

  add(value: string | undefined): void {
    // Very short values would scrub ordinary words; real tokens and passwords are longer.
    if (value && value.length >= MIN_SECRET_LENGTH) this.#values.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const v of this.#values) {
      if (out.includes(v)) out = out.split(v).join('[redacted]');
    }
    return out;
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function formatTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** A record is one line whatever its texts hold (an error message from outside may carry line ends). */
function oneLine(s: string): string {
  return /[\r\n]/.test(s) ? s.replace(/\r\n|\r|\n/g, '\\n') : s;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /[\s="]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

interface ErrRecord {
  type?: string;
  message?: string;
  stack?: string;
}

/**
 * Formats one pino JSON record (a line) as text; input that is not a record passes through unchanged. With
 * `stacks`, an error's stack follows its line, passed through it (e.g. a {@link StackDecoder}'s decode).
 */
export function formatRecord(json: string, secrets: LogSecrets, stacks?: (stack: string) => string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return secrets.scrub(json.endsWith('\n') ? json : `${json}\n`);
  }
  const level = LEVEL_NAMES[Number(rec['level'])] ?? 'INFO ';
  const time = typeof rec['time'] === 'number' ? formatTime(rec['time']) : formatTime(Date.now());
  const module = typeof rec['module'] === 'string' ? ` [${rec['module']}]` : '';
  let line = `${time} ${level}${module} ${oneLine(String(rec['msg'] ?? ''))}`;
  const extras: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (!RESERVED.has(k) && v !== undefined) extras.push(`${k}=${formatValue(v)}`);
  }
  if (extras.length > 0) line += ` (${extras.join(' ')})`;
  const err = rec['err'] as ErrRecord | undefined;
  if (err && typeof err === 'object') {
    line += `: ${oneLine(`${err.type ?? 'Error'}: ${err.message ?? ''}`)}`;
    if (err.stack && stacks) line += `\n${stacks(err.stack)}`;
  } else if (err !== undefined) line += `: ${oneLine(formatValue(err))}`; // something thrown that is not an Error
  return `${secrets.scrub(line)}\n`;
}
