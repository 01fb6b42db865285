import type { FieldValue } from '../points/line-protocol.js';
import type { HaState } from '../points/state-model.js';
import { looksLikeContainer, parsePythonLiteral } from './python-literal.js';
import type { SourcePoint } from './source-types.js';

/**
 * HA's influxdb integration schema read back into the states it was written from (docs/MIGRATION.md has the
 * rules with examples). With its default options a state becomes one point:
 * - measurement = the `unit_of_measurement` when it has one, else the full entity id; tags `domain` and
 *   `entity_id` (the object id, without the domain), plus any configured static or attribute tags;
 * - `value` (float) for a numeric state; `state` (text) and `value` 0/1 for a boolean-like one; `state` else;
 * - each attribute as `<name>` (float) when float() takes it (numbers, booleans, numeric text), else as
 *   `<name>_str` (Python's str(): `None`, `['a', 'b']`), plus a float `<name>` of its digits when the text ends in
 *   a number; an attribute named like a field already there gets a trailing `_`.
 * Read back: the state is the `state` field, else the `value` number as text; `<name>_str` is the attribute's
 * text (its digit-tail float is dropped), converted back to JSON data when it is a Python list, tuple, set or
 * dict, left out when it is `None` (HA's null, which HomeIQ does not write either); other fields are attributes
 * as they are; the measurement is the unit unless it is the entity id; extra tags become text attributes.
 * What cannot come back: booleans stored as 1/0 stay numbers, and a number's text form (`21.0` reads as `21`).
 */

/** Kinds of approximation, counted per migration and shown in the report (texts in migration-report.ts). */
export type MappingNote =
  | 'state_from_value'
  | 'python_value'
  | 'python_text'
  | 'none_attribute'
  | 'tag_as_attribute'
  | 'unexpected_type'
  | 'measurement_layout';

const ENTITY = /^[a-z0-9_]{1,64}\.[a-z0-9_]{1,255}$/;
/** HA's tag names; every other tag of a point was configured (`tags`, `tags_attributes`). */
const HA_TAGS = new Set(['domain', 'entity_id']);
/** The states HA's `state_as_number` turns into 1 or 0 (it then writes both `state` and `value`). */
const BOOLEAN_LIKE = new Set([
  'on',
  'locked',
  'above_horizon',
  'open',
  'home',
  'off',
  'unlocked',
  'unknown',
  'below_horizon',
  'closed',
  'not_home',
]);

/** `domain.object_id` of a series of HA's schema, or undefined when the tags are not HA's. */
export function haEntityId(tags: Record<string, string>): string | undefined {
  const domain = tags['domain'];
  const objectId = tags['entity_id'];
  if (domain === undefined || objectId === undefined) return undefined;
  const id = `${domain}.${objectId}`;
  return ENTITY.test(id) ? id : undefined;
}

/** Nanoseconds since the epoch (digits) → ISO 8601 UTC, with six fraction digits when they are whole µs, else nine. */
export function nsToIso(ns: bigint | string): string {
  const t = String(ns);
  if (t.length <= 9 || t.startsWith('-')) return negativeOrEarly(BigInt(t));
  const sec = t.slice(0, -9);
  const frac = t.slice(-9);
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac.endsWith('000') ? frac.slice(0, 6) : frac}Z`;
}

function negativeOrEarly(ns: bigint): string {
  const sec = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  const frac = (ns - sec * 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac}Z`;
}

/** Compares two times in ns digits (as InfluxDB gives them: no leading zeros). */
export function nsBefore(a: string, b: string): boolean {
  if (a.startsWith('-') || b.startsWith('-')) return BigInt(a) < BigInt(b);
  return a.length !== b.length ? a.length < b.length : a < b;
}

function text(f: FieldValue): string {
  return f.type === 'string' ? f.value : f.type === 'bool' ? (f.value ? 'True' : 'False') : String(f.value);
}

function scalar(f: FieldValue): unknown {
  return f.type === 'int' ? Number(f.value) : f.value;
}

/** A `<name>_str` text as the attribute value it was written from (see the top). */
function fromText(s: string, notes: MappingNote[]): unknown {
  if (s === 'None') {
    notes.push('none_attribute');
    return undefined;
  }
  if (!looksLikeContainer(s)) return s;
  const v = parsePythonLiteral(s);
  if (v === undefined) {
    notes.push('python_text');
    return s;
  }
  notes.push('python_value');
  return v;
}

/** What the measurement says about the state: its unit, or (`measurement_attr: domain__device_class`) its device class. */
function measurementMeaning(
  m: string,
  entityId: string,
  domain: string,
  fields: Map<string, FieldValue>,
  notes: MappingNote[],
): { unit?: string; deviceClass?: string } {
  if (m === entityId) return {};
  if (m === domain || (m.startsWith(`${domain}__`) && !fields.has('device_class_str'))) {
    notes.push('measurement_layout');
    return m === domain ? {} : { deviceClass: m.slice(domain.length + 2) };
  }
  if (fields.get('unit_of_measurement_str')?.type === 'string') {
    // `measurement_attr: entity_id` or an override: the unit is an attribute field.
    notes.push('measurement_layout');
    return {};
  }
  return { unit: m };
}

/**
 * Reads points of HA's schema back into states (see the top). One per migration: it keeps a scratch set and the
 * ISO text of the last second it printed (a window's points of one series are close in time).
 */
export class HaStateReader {
  readonly #fromStr = new Set<string>();
  #isoSecond = '';
  #isoBase = '';

  /** `nsToIso`, for the positive 19-digit times of any HA point, with the second's text cached. */
  iso(ns: string): string {
    if (ns.length !== 19) return nsToIso(ns);
    const sec = ns.slice(0, 10);
    if (sec !== this.#isoSecond) {
      this.#isoSecond = sec;
      this.#isoBase = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    }
    const frac = ns.slice(10);
    return `${this.#isoBase}.${frac.endsWith('000') ? frac.slice(0, 6) : frac}Z`;
  }

  /**
   * The HA state a point of HA's schema was written from (see the top), or undefined when it has neither a
   * `state` nor a `value` field. `notes` receives one entry per approximation made.
   */
  read(p: SourcePoint, entityId: string, lastUpdated: string, notes: MappingNote[]): HaState | undefined {
    const fields = p.fields;
    const stateField = fields.get('state');
    const valueField = fields.get('value');
    let state: string;
    /** Fields that are attributes despite their name (`state`/`value` where HA writes no such field). */
    let stateAttr: FieldValue | undefined;
    let valueAttr: FieldValue | undefined;
    if (stateField?.type === 'string') {
      state = stateField.value;
      // HA writes `value` beside a text state only for the states it counts as 0/1.
      if (valueField !== undefined && !BOOLEAN_LIKE.has(state)) valueAttr = valueField;
    } else if (valueField !== undefined) {
      notes.push(valueField.type === 'string' ? 'unexpected_type' : 'state_from_value');
      state = text(valueField);
      stateAttr = stateField; // a number `state` beside a number state: an attribute called state
    } else if (stateField !== undefined) {
      notes.push('unexpected_type');
      state = text(stateField);
    } else return undefined;

    const domain = entityId.slice(0, entityId.indexOf('.'));
    // No prototype: an attribute may be called `__proto__` or `constructor`.
    const attributes = Object.create(null) as Record<string, unknown>;
    const meaning = measurementMeaning(p.measurement, entityId, domain, fields, notes);
    if (meaning.unit !== undefined) attributes['unit_of_measurement'] = meaning.unit;
    if (meaning.deviceClass !== undefined) attributes['device_class'] = meaning.deviceClass;
    // Texts first: a float field named like a `<name>_str` text is its digit tail, not an attribute.
    const fromStr = this.#fromStr;
    fromStr.clear();
    for (const [key, f] of fields) {
      if (f.type !== 'string' || !key.endsWith('_str')) continue;
      const name = attributeName(key.slice(0, -4), fields);
      fromStr.add(name);
      const value = fromText(f.value, notes);
      if (value !== undefined) attributes[name] = value;
    }
    if (stateAttr !== undefined) attributes['state'] = scalar(stateAttr);
    if (valueAttr !== undefined) attributes['value'] = scalar(valueAttr);
    for (const [key, f] of fields) {
      if (key === 'state' || key === 'value' || (f.type === 'string' && key.endsWith('_str'))) continue;
      const name = attributeName(key, fields);
      if (fromStr.has(name)) continue;
      if (f.type === 'string') notes.push('unexpected_type');
      attributes[name] = scalar(f);
    }
    for (const tag in p.tags) {
      if (HA_TAGS.has(tag) || tag in attributes) continue;
      notes.push('tag_as_attribute');
      attributes[tag] = p.tags[tag];
    }
    return { entity_id: entityId, state, attributes, last_updated: lastUpdated };
  }
}

/** An attribute called `state` or `value` was written as `state_`/`value_` beside the field of that name. */
function attributeName(key: string, fields: Map<string, FieldValue>): string {
  if ((key === 'state_' && fields.has('state')) || (key === 'value_' && fields.has('value'))) return key.slice(0, -1);
  return key;
}
