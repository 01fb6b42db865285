import type { HaEvent } from '../ha/messages.js';
import { BoundedCache, type CacheStats } from './bounded-cache.js';
import { encodePoint, encodeSeries, escapeKey, floatText, isoToNs, isTimestampNs, quoteString, type FieldValue } from './line-protocol.js';

/**
 * HomeIQ's data model: Home Assistant events → line-protocol lines (documented for users in DOCS.md).
 *
 * `state_changed` → one point in the measurement named after the entity's domain (`sensor`, `light`, …):
 * - tags: `entity_id` (full, e.g. `sensor.kitchen_temp`), `domain`, `device_class`, `unit` (from
 *   `unit_of_measurement`), and from HA's registries (enrich/registry.ts) `area` (area id, the entity's own
 *   or its device's), `floor` (floor id of that area), `device` (the device's name as shown in HA),
 *   `device_id`, `labels` (label ids of the entity and its device, sorted, joined by `,`); a tag without a
 *   value is left out;
 * - field `state` (string, always, even `unavailable`/`unknown`, so outages are visible);
 * - field `value` (float) when the state is a number, or boolean-like: on/open/locked/home/true/above_horizon = 1,
 *   off/closed/unlocked/not_home/false/below_horizon = 0 (`unknown`/`unavailable` get no value, unlike HA's
 *   integration, which writes 0 for unknown);
 * - every attribute as `attr_<name>_<type>`: `_num` (float), `_str`, `_bool`, `_json` (objects and arrays);
 *   the type is part of the name, so a field type conflict cannot happen. `null` attributes are skipped;
 *   `device_class` and `unit_of_measurement` are tags, not fields;
 * - strings longer than the cap end with a visible marker `…[truncated N chars]`;
 * - time = `new_state.last_updated` at full precision, so a snapshot, replay or backfill of the same state
 *   overwrites the same point instead of duplicating it.
 * An entity removal (`new_state: null`) writes nothing (HA's recorder does not store it either).
 *
 * Any other event type → measurement `ha_events`, tag `event_type`, fields `data_json`, `origin`, `context_id`,
 * `context_user_id`, `context_parent_id`; time = `time_fired`.
 */

export interface EncodeOptions {
  /** Longest string field, in characters, before the truncation marker. */
  maxStringLength: number;
  /** Attribute names never written. */
  excludeAttributes: ReadonlySet<string>;
  /** `ha_compatible`: the layout of HA's own influxdb integration (see ha-compatible.ts). */
  layout: 'homeiq' | 'ha_compatible';
  /** Registry tags of an entity (HomeIQ layout only; the ha_compatible layout stays exactly HA's). */
  enrich?: ((entityId: string) => EnrichmentTags | undefined) | undefined;
}

/** Tags from HA's registries (see enrich/registry.ts for how they are chosen). */
export interface EnrichmentTags {
  area?: string;
  floor?: string;
  device?: string;
  device_id?: string;
  labels?: string;
}

/** What an encoder could not take as is; counted and logged once per kind by the caller. */
export type Problem =
  | 'bad_event'
  | 'bad_timestamp'
  | 'hostile_entity_id'
  | 'truncated'
  | 'unencodable_attribute'
  | 'entity_removed'
  | 'skipped_state';

export interface Encoded {
  line?: string;
  problems: Problem[];
}

export interface HaState {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
  last_updated: string;
  last_changed?: string;
}

const ENTITY_ID = /^([a-z0-9][a-z0-9_]*)\.([a-z0-9_]+)$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const ONE = new Set(['on', 'open', 'locked', 'home', 'true', 'above_horizon']);
const ZERO = new Set(['off', 'closed', 'unlocked', 'not_home', 'false', 'below_horizon']);
const TAG_ATTRIBUTES = new Set(['device_class', 'unit_of_measurement']);

export function isHaState(v: unknown): v is HaState {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s['entity_id'] === 'string' &&
    typeof s['state'] === 'string' &&
    typeof s['last_updated'] === 'string' &&
    s['attributes'] !== null &&
    typeof s['attributes'] === 'object' &&
    !Array.isArray(s['attributes'])
  );
}

/** Splits an entity id; hostile ids (not `domain.object_id`) are kept whole under the domain `invalid`. */
export function splitEntityId(entityId: string): { domain: string; objectId: string; valid: boolean } {
  const m = ENTITY_ID.exec(entityId);
  return m ? { domain: m[1] as string, objectId: m[2] as string, valid: true } : { domain: 'invalid', objectId: entityId, valid: false };
}

/** Numeric value of a state, per the rules above; undefined when it has none. */
export function stateValue(state: string): number | undefined {
  if (NUMBER.test(state)) {
    const n = Number(state);
    return Number.isFinite(n) ? n : undefined;
  }
  const lower = state.toLowerCase();
  if (ONE.has(lower)) return 1;
  if (ZERO.has(lower)) return 0;
  return undefined;
}

/**
 * States `String(Number(s))` gives back unchanged: at most 15 significant digits (so the shortest round-trip
 * form is these very digits), no sign but `-`, no redundant zeros, no exponent; `-0` and values below 1e-6
 * (printed with an exponent) are left to the general path.
 */
const CANONICAL_DECIMAL = /^-?(?:0|[1-9]\d{0,14})(?:\.\d*[1-9])?$/;
const TINY = /^-?0\.0{6}/;

/** `floatText(stateValue(state))`, without parsing and printing the number when the state is already its text. */
export function stateValueText(state: string): string | undefined {
  if (state.length <= 16 && CANONICAL_DECIMAL.test(state) && state !== '-0' && !TINY.test(state)) return state;
  const v = stateValue(state);
  return v === undefined ? undefined : floatText(v);
}

export function cap(s: string, max: number, problems: Problem[]): string {
  if (s.length <= max) return s;
  problems.push('truncated');
  return `${s.slice(0, max)}…[truncated ${s.length - max} chars]`;
}

/** JSON for objects and arrays; deep or otherwise unserialisable values become a visible marker. */
export function toJson(v: unknown, max: number, problems: Problem[]): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch (err) {
    problems.push('unencodable_attribute');
    return `[unencodable: ${(err as Error).name}]`;
  }
  return cap(text ?? 'null', max, problems);
}

/** Typed attribute fields: `attr_<name>_num|_str|_bool|_json`. */
export function attributeFields(attrs: Record<string, unknown>, opts: EncodeOptions, problems: Problem[]): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const [name, v] of Object.entries(attrs)) {
    if (TAG_ATTRIBUTES.has(name) || opts.excludeAttributes.has(name) || v === null || v === undefined) continue;
    const key = `attr_${name}`;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) fields[`${key}_num`] = { type: 'float', value: v };
      else problems.push('unencodable_attribute');
    } else if (typeof v === 'boolean') fields[`${key}_bool`] = { type: 'bool', value: v };
    else if (typeof v === 'string') fields[`${key}_str`] = { type: 'string', value: cap(v, opts.maxStringLength, problems) };
    else fields[`${key}_json`] = { type: 'string', value: toJson(v, opts.maxStringLength, problems) };
  }
  return fields;
}

/**
 * The series part of an entity's line (measurement and tags), cached per entity with the inputs it was made
 * from: a hit needs the same entity_id, device_class, unit and registry tags. `truncated` counts the tag values
 * cut by the cap (each one a 'truncated' problem, as when encoded afresh).
 */
interface SeriesHead {
  deviceClass: string | undefined;
  unit: string | undefined;
  area: string | undefined;
  floor: string | undefined;
  device: string | undefined;
  deviceId: string | undefined;
  labels: string | undefined;
  text: string | undefined;
  hostile: boolean;
  truncated: number;
}

/** Series heads by entity_id; bounded (a home has a few thousand entities). */
const heads = new BoundedCache<SeriesHead>(16_384);
/** Escaped `attr_<name>` by attribute name; bounded. */
const attrKeys = new BoundedCache<string>(8_192);

/** Hit/miss/eviction counts of the encoder's caches (for tests and the bench). */
export function encoderCacheStats(): { heads: CacheStats; attributeKeys: CacheStats } {
  return { heads: heads.stats(), attributeKeys: attrKeys.stats() };
}

function seriesHead(entityId: string, deviceClass: string | undefined, unit: string | undefined, extra: EnrichmentTags | undefined): SeriesHead {
  const area = extra?.area;
  const floor = extra?.floor;
  const device = extra?.device;
  const deviceId = extra?.device_id;
  const labels = extra?.labels;
  const h = heads.get(entityId);
  if (
    h !== undefined &&
    h.deviceClass === deviceClass &&
    h.unit === unit &&
    h.area === area &&
    h.floor === floor &&
    h.device === device &&
    h.deviceId === deviceId &&
    h.labels === labels
  ) {
    return h;
  }
  const { domain, valid } = splitEntityId(entityId);
  const problems: Problem[] = [];
  const text = encodeSeries(domain, {
    area: area === undefined ? undefined : cap(area, 255, problems),
    floor: floor === undefined ? undefined : cap(floor, 255, problems),
    device: device === undefined ? undefined : cap(device, 255, problems),
    device_id: deviceId === undefined ? undefined : cap(deviceId, 255, problems),
    labels: labels === undefined ? undefined : cap(labels, 1024, problems),
    entity_id: cap(entityId, 255, problems),
    domain,
    device_class: deviceClass === undefined ? undefined : cap(deviceClass, 255, problems),
    unit: unit === undefined ? undefined : cap(unit, 255, problems),
  });
  const head: SeriesHead = { deviceClass, unit, area, floor, device, deviceId, labels, text, hostile: !valid, truncated: problems.length };
  heads.set(entityId, head);
  return head;
}

function attrKey(name: string): string {
  let k = attrKeys.get(name);
  if (k === undefined) {
    k = escapeKey(`attr_${name}`) as string; // never empty
    attrKeys.set(name, k);
  }
  return k;
}

/** attributeFields, written straight as line-protocol field text (each field preceded by a comma). */
function attributeFieldsText(attrs: Record<string, unknown>, opts: EncodeOptions, problems: Problem[]): string {
  let out = '';
  for (const name of Object.keys(attrs)) {
    const v = attrs[name];
    if (v === null || v === undefined || TAG_ATTRIBUTES.has(name) || opts.excludeAttributes.has(name)) continue;
    switch (typeof v) {
      case 'number':
        if (Number.isFinite(v)) out += `,${attrKey(name)}_num=${floatText(v)}`;
        else problems.push('unencodable_attribute');
        break;
      case 'boolean':
        out += `,${attrKey(name)}_bool=${v ? 'true' : 'false'}`;
        break;
      case 'string':
        out += `,${attrKey(name)}_str=${quoteString(cap(v, opts.maxStringLength, problems))}`;
        break;
      default:
        out += `,${attrKey(name)}_json=${quoteString(toJson(v, opts.maxStringLength, problems))}`;
    }
  }
  return out;
}

/**
 * One state → one line in HomeIQ's layout. The same line as `encodePoint` of the point described at the top
 * (tags, `state`, `value`, attributeFields; see encodeStateAsPoint, which the tests compare it with), built
 * directly: the series head comes from a per-entity cache and fields are written as text.
 */
export function encodeState(s: HaState, opts: EncodeOptions, problems: Problem[] = []): Encoded {
  const ts = isoToNs(s.last_updated);
  if (ts === undefined) return { problems: [...problems, 'bad_timestamp'] };
  const attrs = s.attributes;
  const deviceClass = attrs['device_class'];
  const unit = attrs['unit_of_measurement'];
  const head = seriesHead(s.entity_id, typeof deviceClass === 'string' ? deviceClass : undefined, typeof unit === 'string' ? unit : undefined, opts.enrich?.(s.entity_id));
  if (head.hostile) problems.push('hostile_entity_id');
  let fields = `state=${quoteString(cap(s.state, opts.maxStringLength, problems))}`;
  const value = stateValueText(s.state);
  if (value !== undefined) fields += `,value=${value}`;
  fields += attributeFieldsText(attrs, opts, problems);
  for (let i = 0; i < head.truncated; i += 1) problems.push('truncated');
  if (head.text === undefined || !isTimestampNs(ts)) return { problems };
  return { line: `${head.text} ${fields} ${ts}`, problems };
}

/** encodeState through the general Point encoder (the reference the fast encodeState is tested against). */
export function encodeStateAsPoint(s: HaState, opts: EncodeOptions, problems: Problem[] = []): Encoded {
  const ts = isoToNs(s.last_updated);
  if (ts === undefined) return { problems: [...problems, 'bad_timestamp'] };
  const { domain, valid } = splitEntityId(s.entity_id);
  if (!valid) problems.push('hostile_entity_id');
  const deviceClass = s.attributes['device_class'];
  const unit = s.attributes['unit_of_measurement'];
  const fields: Record<string, FieldValue> = { state: { type: 'string', value: cap(s.state, opts.maxStringLength, problems) } };
  const value = stateValue(s.state);
  if (value !== undefined) fields['value'] = { type: 'float', value };
  Object.assign(fields, attributeFields(s.attributes, opts, problems));
  const extra = opts.enrich?.(s.entity_id);
  const line = encodePoint({
    measurement: domain,
    tags: {
      area: extra?.area === undefined ? undefined : cap(extra.area, 255, problems),
      floor: extra?.floor === undefined ? undefined : cap(extra.floor, 255, problems),
      device: extra?.device === undefined ? undefined : cap(extra.device, 255, problems),
      device_id: extra?.device_id === undefined ? undefined : cap(extra.device_id, 255, problems),
      labels: extra?.labels === undefined ? undefined : cap(extra.labels, 1024, problems),
      entity_id: cap(s.entity_id, 255, problems),
      domain,
      device_class: typeof deviceClass === 'string' ? cap(deviceClass, 255, problems) : undefined,
      unit: typeof unit === 'string' ? cap(unit, 255, problems) : undefined,
    },
    fields,
    timestampNs: ts,
  });
  return line === undefined ? { problems } : { line, problems };
}

/** Any non-state event → `ha_events`. */
export function encodeOtherEvent(e: HaEvent, opts: EncodeOptions): Encoded {
  const problems: Problem[] = [];
  const ts = typeof e.time_fired === 'string' ? isoToNs(e.time_fired) : undefined;
  if (ts === undefined) return { problems: ['bad_timestamp'] };
  const fields: Record<string, FieldValue> = { data_json: { type: 'string', value: toJson(e.data ?? {}, opts.maxStringLength, problems) } };
  const str = (name: string, v: unknown): void => {
    if (typeof v === 'string' && v.length > 0) fields[name] = { type: 'string', value: cap(v, opts.maxStringLength, problems) };
  };
  str('origin', e.origin);
  str('context_id', e.context?.id);
  str('context_user_id', e.context?.user_id);
  str('context_parent_id', e.context?.parent_id);
  const line = encodePoint({ measurement: 'ha_events', tags: { event_type: cap(String(e.event_type), 255, problems) }, fields, timestampNs: ts });
  return line === undefined ? { problems } : { line, problems };
}
