import { encodePoint, isoToNs, type FieldValue } from './line-protocol.js';
import { cap, splitEntityId, toJson, type EncodeOptions, type Encoded, type HaState, type Problem } from './state-model.js';

/**
 * The layout of Home Assistant's own influxdb integration with its default options
 * (`_generate_event_to_json`, ha-influx-incumbent.md §1.4), so its users keep their dashboards:
 * - skipped: states `unknown`, `unavailable` and empty;
 * - measurement = `unit_of_measurement`, else the full entity_id;
 * - tags `domain` and `entity_id` = the object id (without the domain);
 * - `value` (float) when the state parses as a float → only `value`; else when it is boolean-like
 *   (HA's `state_as_number`) → `state` and `value`; else only `state`;
 * - attributes: a float-parsable value (numbers, bools, numeric strings) → field `<key>` (float); otherwise
 *   `<key>_str`, plus a float `<key>` with everything but digits and dots removed when the string ends in a
 *   number (HA's `RE_DIGIT_TAIL`); keys colliding with `value`/`state` get a trailing `_`; NaN/inf dropped;
 * - time = `time_fired` (equal to `new_state.last_updated` in current HA).
 * Differences, on purpose: objects and lists are JSON rather than Python's repr; HomeIQ's string cap applies.
 * This layout can produce field type conflicts by design (an attribute that is sometimes numeric): those
 * points go to the quarantine with InfluxDB's reason, exactly as HA's integration would drop them.
 */

const SKIPPED = new Set(['unknown', 'unavailable', '']);
const ONE = new Set(['on', 'locked', 'above_horizon', 'open', 'home']);
const ZERO = new Set(['off', 'unlocked', 'unknown', 'below_horizon', 'closed', 'not_home']);
/** Python's float() accepts surrounding whitespace, underscores between digits, inf and nan. */
const PY_FLOAT = /^\s*[-+]?((\d(_?\d)*)?\.?\d(_?\d)*([eE][-+]?\d+)?|\d(_?\d)*\.|inf(inity)?|nan)\s*$/i;
const RE_DIGIT_TAIL = /^[^.]*\d+\.?\d+[^.]*$/;

function pyFloat(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && PY_FLOAT.test(v)) {
    const n = Number(v.trim().replaceAll('_', '').replace(/^([-+]?)inf(inity)?$/i, '$1Infinity'));
    return Number.isNaN(n) && !/nan/i.test(v) ? undefined : n;
  }
  return undefined;
}

function pyStr(v: unknown, max: number, problems: Problem[]): string {
  if (typeof v === 'string') return cap(v, max, problems);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  return toJson(v, max, problems);
}

/** `toNs` is isoToNs, or an encoder's cached equivalent (HaTimestamps.ns). */
export function encodeHaCompatible(s: HaState, timeFired: string, opts: EncodeOptions, problems: Problem[] = [], toNs: (iso: string) => string | undefined = isoToNs): Encoded {
  if (SKIPPED.has(s.state)) return { problems: [...problems, 'skipped_state'] };
  const ts = toNs(timeFired) ?? toNs(s.last_updated);
  if (ts === undefined) return { problems: [...problems, 'bad_timestamp'] };
  const { domain, objectId, valid } = splitEntityId(s.entity_id);
  if (!valid) problems.push('hostile_entity_id');
  const unit = s.attributes['unit_of_measurement'];
  const measurement = typeof unit === 'string' && unit.length > 0 ? unit : s.entity_id;
  const fields: Record<string, FieldValue> = {};
  const numeric = pyFloat(s.state);
  if (numeric !== undefined && Number.isFinite(numeric)) fields['value'] = { type: 'float', value: numeric };
  else if (ONE.has(s.state) || ZERO.has(s.state)) {
    fields['state'] = { type: 'string', value: s.state };
    fields['value'] = { type: 'float', value: ONE.has(s.state) ? 1 : 0 };
  } else fields['state'] = { type: 'string', value: cap(s.state, opts.maxStringLength, problems) };

  for (const [name, v] of Object.entries(s.attributes)) {
    if (opts.excludeAttributes.has(name) || (name === 'unit_of_measurement' && measurement === unit)) continue;
    const key = name === 'value' || name === 'state' ? `${name}_` : name;
    const f = pyFloat(v);
    if (f !== undefined) {
      if (Number.isFinite(f)) fields[key] = { type: 'float', value: f };
      continue;
    }
    const text = pyStr(v, opts.maxStringLength, problems);
    fields[`${key}_str`] = { type: 'string', value: text };
    if (RE_DIGIT_TAIL.test(text)) {
      const digits = Number(text.replace(/[^\d.]+/g, ''));
      if (Number.isFinite(digits)) fields[key] = { type: 'float', value: digits };
    }
  }
  const line = encodePoint({ measurement, tags: { domain, entity_id: objectId }, fields, timestampNs: ts });
  return line === undefined ? { problems } : { line, problems };
}
