import type { HaEvent } from '../ha/messages.js';
import { encodeFieldValue, encodePoint, escapeKey, isoToNs, type FieldValue } from './line-protocol.js';
import { StateEncoder } from './state-encoder.js';
import {
  cap,
  DROPPED_FIELD,
  droppedAttributes,
  MAX_ATTRIBUTE_CHARS,
  MAX_NAME_LENGTH,
  splitEntityId,
  stateValue,
  TAG_ATTRIBUTES,
  toJson,
  type EncodeOptions,
  type Encoded,
  type HaState,
  type Problem,
} from './state-model.js';

export { cap, isHaState, splitEntityId, stateValue, stateValueText, toJson } from './state-model.js';
export type { EncodeOptions, Encoded, EnrichmentTags, HaState, Problem } from './state-model.js';

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
 *   `device_class` and `unit_of_measurement` are tags, not fields; see attributeFields for long and clashing names;
 * - strings longer than the cap end with a visible marker `…[truncated N chars]`;
 * - time = `new_state.last_updated` at full precision, so a snapshot, replay or backfill of the same state
 *   overwrites the same point instead of duplicating it; a time outside InfluxDB's range is 'bad_timestamp'.
 * An entity removal (`new_state: null`) writes nothing (HA's recorder does not store it either).
 *
 * Any other event type → measurement `ha_events`, tag `event_type`, fields `data_json`, `origin`, `context_id`,
 * `context_user_id`, `context_parent_id`; time = `time_fired`.
 */

/**
 * Typed attribute fields: `attr_<name>_num|_str|_bool|_json`, the name cut at MAX_NAME_LENGTH ('truncated').
 * Names that differ only in characters escapeKey replaces (`a\nb`, `a\rb`) give one key: the first attribute
 * in attribute order is written, each later one counted as 'duplicate_field' (InfluxDB would keep the last).
 * Within the point budget (MAX_ATTRIBUTE_CHARS): from the first attribute whose field does not fit, the rest
 * are left out, counted in DROPPED_FIELD (see droppedAttributes).
 */
export function attributeFields(
  attrs: Record<string, unknown>,
  opts: EncodeOptions,
  problems: Problem[],
): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  const written = new Set<string>();
  const budget = opts.maxAttributeChars ?? MAX_ATTRIBUTE_CHARS;
  let used = 0;
  const names = Object.keys(attrs);
  for (const [i, name] of names.entries()) {
    const v = attrs[name];
    if (TAG_ATTRIBUTES.has(name) || opts.excludeAttributes.has(name) || v === null || v === undefined) continue;
    if (typeof v === 'number' && !Number.isFinite(v)) {
      problems.push('unencodable_attribute');
      continue;
    }
    const own: Problem[] = [];
    const type =
      typeof v === 'number' ? 'num' : typeof v === 'boolean' ? 'bool' : typeof v === 'string' ? 'str' : 'json';
    const key = `attr_${cap(name, MAX_NAME_LENGTH, own)}_${type}`;
    const escaped = escapeKey(key) as string; // never empty
    if (written.has(escaped)) {
      problems.push(...own, 'duplicate_field');
      continue;
    }
    const field: FieldValue =
      typeof v === 'number'
        ? { type: 'float', value: v }
        : typeof v === 'boolean'
          ? { type: 'bool', value: v }
          : typeof v === 'string'
            ? { type: 'string', value: cap(v, opts.maxStringLength, own) }
            : { type: 'string', value: toJson(v, opts.maxStringLength, own) };
    const size = 2 + escaped.length + (encodeFieldValue(field) as string).length; // `,key=value`
    if (used + size > budget) {
      problems.push('oversized_point');
      fields[DROPPED_FIELD] = { type: 'float', value: droppedAttributes(names, attrs, i, opts.excludeAttributes) };
      break;
    }
    used += size;
    written.add(escaped);
    problems.push(...own);
    fields[key] = field;
  }
  return fields;
}

/**
 * One state → one line in HomeIQ's layout: `encodePoint` of the point described at the top (see
 * encodeStateAsPoint, which the tests compare it with), through a throw-away StateEncoder. Pure; the ingestor
 * keeps one StateEncoder per EventEncoder instead, so its caches last.
 */
export function encodeState(s: HaState, opts: EncodeOptions, problems: Problem[] = []): Encoded {
  return new StateEncoder(opts).encode(s, problems);
}

/** encodeState through the general Point encoder (the reference the fast encodeState is tested against). */
export function encodeStateAsPoint(s: HaState, opts: EncodeOptions, problems: Problem[] = []): Encoded {
  const ts = isoToNs(s.last_updated);
  if (ts === undefined) return { problems: [...problems, 'bad_timestamp'] };
  const { domain, valid } = splitEntityId(s.entity_id);
  if (!valid) problems.push('hostile_entity_id');
  const deviceClass = s.attributes['device_class'];
  const unit = s.attributes['unit_of_measurement'];
  const fields: Record<string, FieldValue> = {
    state: { type: 'string', value: cap(s.state, opts.maxStringLength, problems) },
  };
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

/** Any non-state event → `ha_events`. `toNs` is isoToNs, or an encoder's cached equivalent (HaTimestamps.ns). */
export function encodeOtherEvent(
  e: HaEvent,
  opts: EncodeOptions,
  toNs: (iso: string) => string | undefined = isoToNs,
): Encoded {
  const problems: Problem[] = [];
  const ts = typeof e.time_fired === 'string' ? toNs(e.time_fired) : undefined;
  if (ts === undefined) return { problems: ['bad_timestamp'] };
  const fields: Record<string, FieldValue> = {
    data_json: { type: 'string', value: toJson(e.data ?? {}, opts.maxStringLength, problems) },
  };
  const str = (name: string, v: unknown): void => {
    if (typeof v === 'string' && v.length > 0)
      fields[name] = { type: 'string', value: cap(v, opts.maxStringLength, problems) };
  };
  str('origin', e.origin);
  str('context_id', e.context?.id);
  str('context_user_id', e.context?.user_id);
  str('context_parent_id', e.context?.parent_id);
  const line = encodePoint({
    measurement: 'ha_events',
    tags: { event_type: cap(String(e.event_type), 255, problems) },
    fields,
    timestampNs: ts,
  });
  return line === undefined ? { problems } : { line, problems };
}
