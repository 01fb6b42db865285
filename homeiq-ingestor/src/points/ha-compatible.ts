import { encodeFieldValue, encodePoint, escapeKey, isoToNs, type FieldValue } from './line-protocol.js';
import {
  cap,
  DROPPED_FIELD,
  MAX_ATTRIBUTE_CHARS,
  MAX_NAME_LENGTH,
  splitEntityId,
  toJson,
  type EncodeOptions,
  type Encoded,
  type HaState,
  type Problem,
} from './state-model.js';

/**
 * The layout of Home Assistant's own influxdb integration with its default options
 * (`_generate_event_to_json`, docs/HOME-ASSISTANT.md), so its users keep their dashboards:
 * - skipped: states `unknown`, `unavailable` and empty;
 * - measurement = `unit_of_measurement` as text (`5`, `True` when not a string), else (missing, null or '')
 *   the full entity_id; the unit is then not written as a field;
 * - tags `domain` and `entity_id` = the object id (without the domain);
 * - `value` (float) when the state parses as a float → only `value` (for nan/inf a value InfluxDB cannot
 *   take, so nothing); else when it is boolean-like (HA's `state_as_number`) → `state` and `value`; else `state`;
 * - attributes, in their order: the key gets a trailing `_` when it is already a field at that moment (`state`
 *   or `value` of the state, an earlier attribute's `<key>_str` or digit-tail number); then a float-parsable value
 *   (numbers, bools, numeric strings) → field `<key>` (float); otherwise `<key>_str` = the text, plus a float
 *   `<key>` of its digits and dots when the text ends in a number (HA's `RE_DIGIT_TAIL`); a later field of the
 *   same key replaces the earlier one (a Python dict); a NaN/inf `<key>` is deleted;
 * - time = `time_fired` (equal to `new_state.last_updated` in current HA).
 * Differences, on purpose: objects and lists are JSON rather than Python's repr; HomeIQ's string cap applies
 * (after the digit tail is read, as HA reads it from the whole text); names, the unit and the object id are cut
 * at 255 characters (InfluxDB refuses keys far longer); of two keys that differ only in characters line
 * protocol cannot carry, the first is written ('duplicate_field'); a time outside InfluxDB's range is refused.
 * This layout can produce field type conflicts by design (an attribute that is sometimes numeric): those
 * points go to the quarantine with InfluxDB's reason, exactly as HA's integration would drop them.
 */

const SKIPPED = new Set(['unknown', 'unavailable', '']);
const ONE = new Set(['on', 'locked', 'above_horizon', 'open', 'home']);
const ZERO = new Set(['off', 'unlocked', 'unknown', 'below_horizon', 'closed', 'not_home']);
/** What Python's float() strips around a number: ASCII whitespace and the other characters str.isspace() accepts. */
const PY_SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
/** Python's float() grammar (after stripping, Unicode digits made ASCII): `_` only between digits. */
const PY_FLOAT = /^[-+]?(?:(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:e[-+]?\d(?:_?\d)*)?|inf(?:inity)?|nan)$/i;
/** HA's RE_DIGIT_TAIL and RE_DECIMAL; Python's `\d` is any Unicode decimal digit. */
const RE_DIGIT_TAIL = /^[^.]*\p{Nd}+\.?\p{Nd}+[^.]*$/u;
const RE_DECIMAL = /[^\p{Nd}.]+/gu;
const NON_ASCII_DIGIT = /(?![0-9])\p{Nd}/gu;

/** Unicode decimal digits → ASCII, as Python's float() reads them (each Nd block is 0–9 in a row). */
function asciiDigits(s: string): string {
  return s.replace(NON_ASCII_DIGIT, (d) => {
    let cp = d.codePointAt(0) as number;
    let n = 0;
    while (/\p{Nd}/u.test(String.fromCodePoint(cp - 1))) {
      cp -= 1;
      n += 1;
    }
    return String(n % 10);
  });
}

/** Python's `float(v)`, undefined where it raises. */
function pyFloat(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return undefined;
  const t = asciiDigits(v.replace(PY_SPACE, ''));
  if (!PY_FLOAT.test(t)) return undefined;
  const lower = t.toLowerCase();
  if (lower.endsWith('nan')) return Number.NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity'))
    return lower.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return Number(t.replaceAll('_', ''));
}

/** Python's `str(v)` for what float() refused (JSON for objects and lists), uncapped. */
function pyStr(v: unknown, problems: Problem[]): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  return toJson(v, Number.POSITIVE_INFINITY, problems);
}

/** The attributes from `from` on that this layout would have written (it writes `null` as `None`). */
function droppedHa(names: readonly string[], from: number, opts: EncodeOptions, unitIsField: boolean): number {
  let n = 0;
  for (let i = from; i < names.length; i += 1) {
    const name = names[i] as string;
    if (!opts.excludeAttributes.has(name) && (name !== 'unit_of_measurement' || unitIsField)) n += 1;
  }
  return n;
}

/** `toNs` is isoToNs, or an encoder's cached equivalent (HaTimestamps.ns). */
export function encodeHaCompatible(
  s: HaState,
  timeFired: string,
  opts: EncodeOptions,
  problems: Problem[] = [],
  toNs: (iso: string) => string | undefined = isoToNs,
): Encoded {
  if (SKIPPED.has(s.state)) return { problems: [...problems, 'skipped_state'] };
  const ts = toNs(timeFired) ?? toNs(s.last_updated);
  if (ts === undefined) return { problems: [...problems, 'bad_timestamp'] };
  const { domain, objectId, valid } = splitEntityId(s.entity_id);
  if (!valid) problems.push('hostile_entity_id');
  const unit = s.attributes['unit_of_measurement'];
  const unitIsField = unit === undefined || unit === null || unit === '';
  const measurement = cap(
    unitIsField ? s.entity_id : typeof unit === 'string' ? unit : pyStr(unit, problems),
    MAX_NAME_LENGTH,
    problems,
  );
  const tags = { domain, entity_id: cap(objectId, MAX_NAME_LENGTH, problems) };
  // A Map, as HA's dict: `in` and assignment must not meet Object.prototype (`constructor`, `__proto__`).
  const fields = new Map<string, FieldValue>();
  const numeric = pyFloat(s.state);
  // A non-finite value stays in the map (so it still renames an attribute `value`); encodePoint leaves it out.
  if (numeric !== undefined) fields.set('value', { type: 'float', value: numeric });
  else if (ONE.has(s.state) || ZERO.has(s.state)) {
    fields.set('state', { type: 'string', value: s.state });
    fields.set('value', { type: 'float', value: ONE.has(s.state) ? 1 : 0 });
  } else fields.set('state', { type: 'string', value: cap(s.state, opts.maxStringLength, problems) });

  const budget = opts.maxAttributeChars ?? MAX_ATTRIBUTE_CHARS;
  let used = 0;
  const names = Object.keys(s.attributes);
  for (const [i, name] of names.entries()) {
    const v = s.attributes[name];
    if (opts.excludeAttributes.has(name) || (name === 'unit_of_measurement' && !unitIsField)) continue;
    const own: Problem[] = [];
    let key = cap(name, MAX_NAME_LENGTH, own);
    if (fields.has(key)) key = `${key}_`;
    const f = pyFloat(v);
    const add: Array<[string, FieldValue]> = [];
    if (f !== undefined) add.push([key, { type: 'float', value: f }]);
    else {
      const text = pyStr(v, own);
      add.push([`${key}_str`, { type: 'string', value: cap(text, opts.maxStringLength, own) }]);
      if (RE_DIGIT_TAIL.test(text))
        add.push([key, { type: 'float', value: Number(asciiDigits(text.replace(RE_DECIMAL, ''))) }]);
    }
    // The point budget (state-model.ts), measured on the fields' text as encodePoint writes them.
    let size = 0;
    for (const [k, fv] of add) size += 2 + (escapeKey(k)?.length ?? 0) + (encodeFieldValue(fv)?.length ?? 0);
    if (used + size > budget) {
      problems.push('oversized_point');
      const marker = fields.has(DROPPED_FIELD) ? `${DROPPED_FIELD}_` : DROPPED_FIELD;
      fields.set(marker, { type: 'float', value: droppedHa(names, i, opts, unitIsField) });
      break;
    }
    used += size;
    problems.push(...own);
    for (const [k, fv] of add) fields.set(k, fv);
    const field = fields.get(key);
    if (field?.type === 'float' && !Number.isFinite(field.value)) fields.delete(key);
  }
  const line = encodePoint({ measurement, tags, fields: Object.fromEntries(fields), timestampNs: ts }, problems);
  return line === undefined ? { problems } : { line, problems };
}
