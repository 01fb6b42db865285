import type { Problem } from './problems.js';

/**
 * InfluxDB line protocol, encoded exactly (docs/INFLUXDB.md, `models/points.go` of InfluxDB 2.x).
 *
 * | element            | escaped here                         |
 * |--------------------|--------------------------------------|
 * | measurement        | `,` and space                        |
 * | tag key/value      | `,`, `=` and space                   |
 * | field key          | `,`, `=` and space                   |
 * | string field value | `"` and `\` (inside double quotes)   |
 *
 * What line protocol cannot carry is sanitised, never passed through, so no input can inject a tag, a field
 * or a line:
 * - control characters (U+0000–U+001F, U+007F) in names and tag values become U+FFFD (the parser ends a line at
 *   `\n` outside quotes, and InfluxDB reserves `\x00`/`\xff` in keys);
 * - a backslash in a name or tag value becomes U+29F5 `⧵`: InfluxDB's scanners disagree about backslashes there
 *   (the line and field scanners skip `\` + any byte, the tag scanner only looks one byte back, the unescaper
 *   handles only `\,`, `\=`, `\ `), so a literal one could escape our own delimiter; with it gone, every
 *   backslash in the key part is one of our escapes and all scanners agree;
 * - a measurement starting with `#` would make the whole line a comment (silently not stored): the `#` becomes U+FFFD;
 * - an empty name cannot be written: the caller gets `undefined` and drops that tag or field;
 * - NaN and ±Infinity have no float syntax: such a field is dropped.
 * String field values keep every character (the 2.x parser accepts raw newlines inside quotes); the spool frames
 * points by length, not by newline, so this is safe end to end.
 */

export type FieldValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number | bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string };

export interface Point {
  measurement: string;
  /** Tag key → value; empty values are omitted (InfluxDB rejects empty tag values). */
  tags: Record<string, string | undefined>;
  fields: Record<string, FieldValue>;
  /** Nanoseconds since the epoch, as decimal digits. */
  timestampNs: string;
}

const REPLACEMENT = '\uFFFD';
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we are removing
const CONTROL = /[\u0000-\u001f\u007f]/g;
const MEASUREMENT_SPECIALS = /[, ]/g;
const KEY_SPECIALS = /[,= ]/g;
const STRING_SPECIALS = /["\\]/g;

const BACKSLASH = /\\/g;
const BACKSLASH_LOOKALIKE = '\u29F5';

function clean(s: string): string {
  return s.replace(CONTROL, REPLACEMENT).replace(BACKSLASH, BACKSLASH_LOOKALIKE);
}

/** Escaped measurement name, or undefined when there is nothing to write. */
export function escapeMeasurement(name: string): string | undefined {
  if (name.length === 0) return undefined;
  const cleaned = clean(name);
  return (cleaned.startsWith('#') ? `${REPLACEMENT}${cleaned.slice(1)}` : cleaned).replace(
    MEASUREMENT_SPECIALS,
    (c) => `\\${c}`,
  );
}

/** Escaped tag key, tag value or field key, or undefined when empty. */
export function escapeKey(key: string): string | undefined {
  if (key.length === 0) return undefined;
  return clean(key).replace(KEY_SPECIALS, (c) => `\\${c}`);
}

const HAS_STRING_SPECIAL = /["\\]/;

/** A string field value, quoted. */
export function quoteString(value: string): string {
  return HAS_STRING_SPECIAL.test(value) ? `"${value.replace(STRING_SPECIALS, (c) => `\\${c}`)}"` : `"${value}"`;
}

/** Encoded field value, or undefined when the value has no line-protocol form (NaN, ±Infinity, non-integer int). */
export function encodeFieldValue(f: FieldValue): string | undefined {
  switch (f.type) {
    case 'float':
      if (!Number.isFinite(f.value)) return undefined;
      // JS number → shortest round-trip decimal; Go's ParseFloat reads every form String() produces (incl. 1e+21).
      return Object.is(f.value, -0) ? '0' : String(f.value);
    case 'int': {
      if (typeof f.value === 'number' && !Number.isSafeInteger(f.value)) return undefined;
      const b = BigInt(f.value);
      if (b > 9223372036854775807n || b < -9223372036854775808n) return undefined;
      return `${b}i`;
    }
    case 'bool':
      return f.value ? 'true' : 'false';
    case 'string':
      return quoteString(f.value);
  }
}

/** Reserved by InfluxDB: tag keys the parser rejects. */
const RESERVED_TAG_KEYS = new Set(['_field', '_measurement', 'time']);

/**
 * One line (without the trailing newline), or undefined when the point has no encodable field.
 * Tags are written sorted by key (InfluxDB's recommended order; it sorts them anyway).
 * Two field keys that differ only in what `escapeKey` replaces would write one field twice, and InfluxDB would
 * silently keep the last: the first is written, and each other one counted in `problems` as 'duplicate_field'.
 */
export function encodePoint(p: Point, problems?: Problem[]): string | undefined {
  const line = encodeSeries(p.measurement, p.tags);
  if (line === undefined) return undefined;
  let fields = '';
  const written = new Set<string>();
  for (const [key, f] of Object.entries(p.fields)) {
    if (key === 'time') continue; // InfluxDB skips a field named time
    const k = escapeKey(key);
    const v = encodeFieldValue(f);
    if (k === undefined || v === undefined) continue;
    if (written.has(k)) {
      problems?.push('duplicate_field');
      continue;
    }
    written.add(k);
    fields += `${fields.length === 0 ? '' : ','}${k}=${v}`;
  }
  if (fields.length === 0) return undefined;
  if (!isTimestampNs(p.timestampNs)) return undefined;
  return `${line} ${fields} ${p.timestampNs}`;
}

/** The series part of a line: escaped measurement and tags sorted by key; undefined when the measurement is empty. */
export function encodeSeries(measurementName: string, tags: Record<string, string | undefined>): string | undefined {
  const measurement = escapeMeasurement(measurementName);
  if (measurement === undefined) return undefined;
  let line = measurement;
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    if (value === undefined || value.length === 0 || RESERVED_TAG_KEYS.has(key)) continue;
    const k = escapeKey(key);
    const v = escapeKey(value);
    if (k === undefined || v === undefined) continue;
    line += `,${k}=${v}`;
  }
  return line;
}

const TIMESTAMP_NS = /^-?\d{1,19}$/;
/**
 * InfluxDB's time range is ±9223372036854775806 ns (`models.MinNanoTime`/`MaxNanoTime`, about 1677-09-21 to
 * 2262-04-11); a point beyond it makes InfluxDB refuse the whole batch.
 */
const MAX_NS = 9_223_372_036_854_775_806n;
const MAX_NS_DIGITS = '9223372036854775806';
/** Whole seconds below which a positive timestamp is within range whatever its fraction. */
export const MAX_SAFE_SECONDS = 9_223_372_036;

/** Whether `ts` is a timestamp encodePoint writes: decimal digits within InfluxDB's time range. */
export function isTimestampNs(ts: string): boolean {
  if (!TIMESTAMP_NS.test(ts)) return false;
  const digits = ts.charCodeAt(0) === 45 ? ts.slice(1) : ts;
  // Digit strings of the same length compare as their numbers do.
  return digits.length < MAX_NS_DIGITS.length || digits <= MAX_NS_DIGITS;
}

/** `float` field text (finite numbers only; -0 prints as 0). */
export function floatText(v: number): string {
  return String(v);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * HA's ISO 8601 timestamp (`2026-09-01T10:01:00.123456+00:00`) → nanoseconds since the epoch as digits,
 * keeping every fractional digit (µs from HA; a JS Date would cut it to ms and make replays collide).
 * Undefined for anything that is not such a timestamp, and for a time outside InfluxDB's range (isTimestampNs).
 */
export function isoToNs(iso: string): string | undefined {
  // Fast path for the form HA always sends; same result as the general path below (tested).
  const seconds = haIsoSeconds(iso, true);
  if (seconds !== undefined && seconds > 0 && seconds < MAX_SAFE_SECONDS) return `${seconds}${iso.slice(20, 26)}000`;
  return isoToNsGeneral(iso);
}

/** HA's own form, `2026-09-01T10:01:00.123456+00:00` (UTC, six fraction digits). */
const HA_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/;

/** Whether `iso` is in HA's own form (its fraction is then `iso.slice(20, 26)`). */
export function isHaIso(iso: string): boolean {
  return iso.length === 32 && HA_ISO.test(iso);
}

/**
 * Seconds since the epoch of the minute of a timestamp in HA's own form; NaN when out of Date's range, and for
 * years 0000–0099, which Date.UTC reads as 1900–1999 (the fast paths then leave them to the general parsers).
 */
export function haMinuteSeconds(iso: string): number {
  if (iso.charCodeAt(0) === 48 && iso.charCodeAt(1) === 48) return Number.NaN;
  return (
    Date.UTC(
      Number(iso.slice(0, 4)),
      Number(iso.slice(5, 7)) - 1,
      Number(iso.slice(8, 10)),
      Number(iso.slice(11, 13)),
      Number(iso.slice(14, 16)),
      0,
    ) / 1000
  );
}

/** Whether the month, day, hour and minute of a timestamp in HA's own form pass isoToNs's range checks. */
export function haMinuteInRange(iso: string): boolean {
  return (
    Number(iso.slice(5, 7)) <= 12 &&
    Number(iso.slice(8, 10)) <= 31 &&
    Number(iso.slice(11, 13)) <= 23 &&
    Number(iso.slice(14, 16)) <= 59
  );
}

/** The seconds digits of a timestamp in HA's own form. */
export function haSecond(iso: string): number {
  return (iso.charCodeAt(17) - 48) * 10 + (iso.charCodeAt(18) - 48);
}

/**
 * Whole seconds since the epoch of a timestamp in HA's own form, exactly `Date.UTC(y, mo - 1, d, h, mi, s) / 1000`;
 * undefined when not that form, when haMinuteSeconds gives NaN (years 0000–0099 included), or with `validate`
 * when isoToNs's field checks would reject it (its time range is checked by the callers).
 * HaTimestamps (ha-time.ts) is the same with a cache, for the live path.
 */
export function haIsoSeconds(iso: string, validate: boolean): number | undefined {
  if (!isHaIso(iso)) return undefined;
  const minute = haMinuteSeconds(iso);
  if (!Number.isFinite(minute)) return undefined;
  const s = haSecond(iso);
  if (validate && (!haMinuteInRange(iso) || s > 60)) return undefined;
  return minute + s;
}

/** isoToNs for every accepted form (exported for tests comparing it with the fast path). */
export function isoToNsGeneral(iso: string): string | undefined {
  const m = ISO.exec(iso);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const ms = utcMs(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(ms) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60)
    return undefined;
  let offsetMin = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const seconds = BigInt(ms / 1000 - offsetMin * 60);
  const ns = seconds * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  return ns > MAX_NS || ns < -MAX_NS ? undefined : ns.toString();
}

/** 400 Gregorian years are exactly 146097 days. */
const FOUR_CENTURIES_MS = 146_097 * 86_400_000;

/** Date.UTC, but years 0–99 are those years (Date.UTC reads them as 1900–1999): counted 400 years later, then moved back. */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return y < 100 ? Date.UTC(y + 400, mo, d, h, mi, s) - FOUR_CENTURIES_MS : Date.UTC(y, mo, d, h, mi, s);
}
