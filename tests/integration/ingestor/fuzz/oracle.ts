/**
 * What InfluxDB must hold for a state, written from the ingestor's documentation (DOCS.md "What it writes" and
 * "What is dropped, capped or marked"), not from its code: the fuzz round trip compares this with what a Flux
 * read gives back.
 */
import type { FuzzState, Json } from './generate.js';

export interface Expected {
  measurement: string;
  tags: Record<string, string>;
  /** Field key → value as Flux prints it is compared: strings exactly, numbers and booleans by value. */
  fields: Map<string, string | number | boolean>;
  /** Some text, name or the attributes were cut to fit (a `…[truncated N chars]` marker, or `dropped_attributes`). */
  capped: boolean;
}

export type Verdict = { written: Expected } | { refused: string };

const TEXT_CAP = 16_384;
const NAME_CAP = 255;
const BUDGET = 256 * 1024;
const ENTITY = /^([a-z0-9][a-z0-9_]*)\.([a-z0-9_]+)$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const ONE = new Set(['on', 'open', 'locked', 'home', 'true', 'above_horizon']);
const ZERO = new Set(['off', 'closed', 'unlocked', 'not_home', 'false', 'below_horizon']);
/** InfluxDB's range: 1677-09-21T00:12:43.145224194Z … 2262-04-11T23:47:16.854775806Z. */
const MIN_MS = -9_223_372_036_854;
const MAX_MS = 9_223_372_036_854;

/** Names and tag values: control characters → U+FFFD, backslash → U+29F5 (DOCS "What it writes"). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the documented mapping is about exactly these
const name = (s: string): string => s.replace(/[\u0000-\u001f\u007f]/g, '\uFFFD').replace(/\\/g, '\u29F5');

export function cut(s: string, max: number, hit: { capped: boolean }): string {
  if (s.length <= max) return s;
  hit.capped = true;
  return `${s.slice(0, max)}…[truncated ${s.length - max} chars]`;
}

/** µs since the epoch of HA's ISO time, undefined when it is not one or InfluxDB cannot store it. */
export function timeUs(iso: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\+00:00$/.exec(iso);
  if (!m || Number(m[1]) < 100) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (!(ms > MIN_MS && ms < MAX_MS)) return undefined;
  return ms * 1000 + Number((m[7] ?? '').padEnd(6, '0'));
}

/** The attributes as a JSON parser gives them: the last value of a repeated key, at the place of its first. */
function attributes(pairs: Array<[string, Json]>): Record<string, Json> {
  const o: Record<string, Json> = {};
  for (const [k, v] of pairs)
    Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  return o;
}

/** Line-protocol size of one field as `,key=value` (keys escape `,`, `=`, space; strings `"` and `\`). */
function size(key: string, v: string | number | boolean): number {
  const k = key.replace(/[,= ]/g, (c) => `\\${c}`);
  const t = typeof v === 'string' ? `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"` : String(v);
  return 2 + k.length + t.length;
}

export function expected(s: FuzzState): Verdict {
  if (s.kind === 'removed') return { refused: 'entity_removed' };
  if (s.kind === 'malformed') return { refused: 'bad_event' };
  if (timeUs(s.lastUpdated) === undefined) return { refused: 'bad_timestamp' };
  const hit = { capped: false };
  const valid = s.entityId.length <= NAME_CAP && ENTITY.exec(s.entityId);
  const domain = valid ? (valid[1] as string) : 'invalid';
  const tags: Record<string, string> = { domain };
  const id = name(cut(s.entityId, NAME_CAP, hit));
  if (id !== '') tags['entity_id'] = id;
  const attrs = attributes(s.pairs);
  for (const [tag, attr] of [
    ['device_class', 'device_class'],
    ['unit', 'unit_of_measurement'],
  ] as const) {
    const v = attrs[attr];
    if (typeof v === 'string' && v !== '') tags[tag] = name(cut(v, NAME_CAP, hit));
  }
  const fields = new Map<string, string | number | boolean>();
  fields.set('state', cut(s.state, TEXT_CAP, hit));
  const lower = s.state.toLowerCase();
  const num = NUMBER.test(s.state) ? Number(s.state) : Number.NaN;
  if (Number.isFinite(num)) fields.set('value', num);
  else if (ONE.has(lower)) fields.set('value', 1);
  else if (ZERO.has(lower)) fields.set('value', 0);
  let used = 0;
  const keys = Object.keys(attrs);
  for (const [i, k] of keys.entries()) {
    const v = attrs[k] as Json;
    if (k === 'device_class' || k === 'unit_of_measurement' || v === null) continue;
    const type =
      typeof v === 'number' ? 'num' : typeof v === 'boolean' ? 'bool' : typeof v === 'string' ? 'str' : 'json';
    const local = { capped: false };
    const key = `attr_${name(cut(k, NAME_CAP, local))}_${type}`;
    if (fields.has(key)) continue; // two names giving one key: the first is written
    const val =
      typeof v === 'string'
        ? cut(v, TEXT_CAP, local)
        : typeof v === 'object'
          ? cut(JSON.stringify(v), TEXT_CAP, local)
          : v;
    if (used + size(key, val) > BUDGET) {
      hit.capped = true;
      fields.set(
        'dropped_attributes',
        keys.slice(i).filter((x) => attrs[x] !== null && x !== 'device_class' && x !== 'unit_of_measurement').length,
      );
      break;
    }
    used += size(key, val);
    if (local.capped) hit.capped = true;
    fields.set(key, val);
  }
  return { written: { measurement: domain, tags, fields, capped: hit.capped } };
}
