import type { HaState } from '../points/state-model.js';
import { looksLikeContainer, parsePythonLiteral } from './python-literal.js';
import type { SourcePoint, SourceSeries } from './source-types.js';

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

/** A stored value as HA's text for it (a number's text, Python's True/False). */
function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
}

function scalar(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v;
}

const isSet = (v: unknown): boolean => v !== null && v !== undefined;

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

/** Where a series' fields are, worked out once per series (SourceSeries). */
interface Plan {
  state: number;
  value: number;
  deviceClassStr: number;
  unitStr: number;
  /**
   * `<name>_str` fields with their name, and the last text read back there (most attributes keep their text from
   * one state to the next: a list of options is parsed once).
   */
  texts: Array<{ at: number; name: string; text?: string; value?: unknown; notes?: MappingNote[] }>;
  others: Array<{ at: number; name: string }>;
  domain: string;
  /** Tags other than HA's own. */
  extraTags: Array<[string, string]>;
}

function planOf(series: SourceSeries, entityId: string): Plan {
  const f = series.fields;
  const plan: Plan = {
    state: f.indexOf('state'),
    value: f.indexOf('value'),
    deviceClassStr: f.indexOf('device_class_str'),
    unitStr: f.indexOf('unit_of_measurement_str'),
    texts: [],
    others: [],
    domain: entityId.slice(0, entityId.indexOf('.')),
    extraTags: Object.entries(series.tags).filter(([k]) => !HA_TAGS.has(k)),
  };
  for (let i = 1; i < f.length; i += 1) {
    const name = f[i] as string;
    if (i === plan.state || i === plan.value) continue;
    if (name.endsWith('_str')) plan.texts.push({ at: i, name: name.slice(0, -4) });
    plan.others.push({ at: i, name });
  }
  return plan;
}

/**
 * Reads points of HA's schema back into states (see the top). One per migration: it keeps each series' plan and a
 * scratch set.
 */
export class HaStateReader {
  readonly #fromStr = new Set<string>();
  readonly #plans = new WeakMap<SourceSeries, Plan>();

  /**
   * The HA state a point of HA's schema was written from (see the top), or undefined when it has neither a
   * `state` nor a `value` field. `notes` receives one entry per approximation made.
   */
  read(p: SourcePoint, entityId: string, notes: MappingNote[]): HaState | undefined {
    let plan = this.#plans.get(p.series);
    if (!plan) {
      plan = planOf(p.series, entityId);
      this.#plans.set(p.series, plan);
    }
    const v = p.values;
    const sv = plan.state > 0 ? v[plan.state] : undefined;
    const vv = plan.value > 0 ? v[plan.value] : undefined;
    const hasState = isSet(sv);
    const hasValue = isSet(vv);
    let state: string;
    /** Fields that are attributes despite their name (`state`/`value` where HA writes no such field). */
    let stateAttr: unknown;
    let valueAttr: unknown;
    if (typeof sv === 'string') {
      state = sv;
      // HA writes `value` beside a text state only for the states it counts as 0/1.
      if (hasValue && !BOOLEAN_LIKE.has(state)) valueAttr = vv;
    } else if (hasValue) {
      notes.push(typeof vv === 'string' ? 'unexpected_type' : 'state_from_value');
      state = text(vv);
      stateAttr = sv; // a number `state` beside a number state: an attribute called state
    } else if (hasState) {
      notes.push('unexpected_type');
      state = text(sv);
    } else return undefined;

    // No prototype: an attribute may be called `__proto__` or `constructor`.
    const attributes = Object.create(null) as Record<string, unknown>;
    const m = p.series.measurement;
    if (m !== entityId) {
      const domain = plan.domain;
      if (
        m === domain ||
        (m.startsWith(`${domain}__`) && !(plan.deviceClassStr > 0 && isSet(v[plan.deviceClassStr])))
      ) {
        notes.push('measurement_layout');
        if (m !== domain) attributes['device_class'] = m.slice(domain.length + 2);
      } else if (plan.unitStr > 0 && typeof v[plan.unitStr] === 'string') {
        // `measurement_attr: entity_id` or an override: the unit is an attribute field.
        notes.push('measurement_layout');
      } else attributes['unit_of_measurement'] = m;
    }
    // Texts first: a float field named like a `<name>_str` text is its digit tail, not an attribute.
    const fromStr = this.#fromStr;
    fromStr.clear();
    for (const t of plan.texts) {
      const value = v[t.at];
      if (typeof value !== 'string') continue;
      const name = attributeName(t.name, hasState, hasValue);
      fromStr.add(name);
      if (t.text !== value) {
        t.notes = [];
        t.value = fromText(value, t.notes);
        t.text = value;
      }
      for (const n of t.notes ?? []) notes.push(n);
      if (t.value !== undefined) attributes[name] = t.value;
    }
    if (isSet(stateAttr)) attributes['state'] = scalar(stateAttr);
    if (isSet(valueAttr)) attributes['value'] = scalar(valueAttr);
    for (const o of plan.others) {
      const value = v[o.at];
      if (!isSet(value) || (typeof value === 'string' && o.name.endsWith('_str'))) continue;
      const name = attributeName(o.name, hasState, hasValue);
      if (fromStr.has(name)) continue;
      if (typeof value === 'string') notes.push('unexpected_type');
      attributes[name] = scalar(value);
    }
    for (const [tag, value] of plan.extraTags) {
      if (tag in attributes) continue;
      notes.push('tag_as_attribute');
      attributes[tag] = value;
    }
    return { entity_id: entityId, state, attributes, last_updated: v[0] as string };
  }
}

/** An attribute called `state` or `value` was written as `state_`/`value_` beside the field of that name. */
function attributeName(key: string, hasState: boolean, hasValue: boolean): string {
  if ((key === 'state_' && hasState) || (key === 'value_' && hasValue)) return key.slice(0, -1);
  return key;
}
