import type { HaState } from '../ha/messages.js';
import { floatText } from './line-protocol.js';
import type { Problem } from './problems.js';

export type { HaState } from '../ha/messages.js';
export type { Problem } from './problems.js';

/**
 * The pieces of HomeIQ's data model (documented in state-to-points.ts) that the reference and the fast encoders
 * share: the types, and pure helpers for entity ids, state values, strings and JSON.
 */

export interface EncodeOptions {
  /** Longest string field, in characters, before the truncation marker. */
  maxStringLength: number;
  /** Attribute names never written. */
  excludeAttributes: ReadonlySet<string>;
  /** `ha_compatible`: the layout of HA's own influxdb integration (see ha-compatible.ts). */
  layout: 'homeiq' | 'ha_compatible';
  /**
   * Characters of attribute fields one point may carry (default MAX_ATTRIBUTE_CHARS); see `droppedAttributes`.
   */
  maxAttributeChars?: number | undefined;
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

export interface Encoded {
  line?: string;
  problems: Problem[];
}

const ENTITY_ID = /^([a-z0-9][a-z0-9_]*)\.([a-z0-9_]+)$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const ONE = new Set(['on', 'open', 'locked', 'home', 'true', 'above_horizon']);
const ZERO = new Set(['off', 'closed', 'unlocked', 'not_home', 'false', 'below_horizon']);
/** Attributes written as tags, never as fields. */
export const TAG_ATTRIBUTES: ReadonlySet<string> = new Set(['device_class', 'unit_of_measurement']);

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

/**
 * The longest entity id HA creates (`MAX_LENGTH_STATE_ENTITY_ID`), and the longest attribute name, unit or tag
 * value written whole: keys far longer make InfluxDB refuse the point ("max key length exceeded").
 */
export const MAX_NAME_LENGTH = 255;

/**
 * Splits an entity id; hostile ids (not `domain.object_id`, or longer than HA allows, whose domain would make an
 * unbounded measurement) are kept whole under the domain `invalid`.
 */
export function splitEntityId(entityId: string): { domain: string; objectId: string; valid: boolean } {
  const m = entityId.length <= MAX_NAME_LENGTH ? ENTITY_ID.exec(entityId) : null;
  return m
    ? { domain: m[1] as string, objectId: m[2] as string, valid: true }
    : { domain: 'invalid', objectId: entityId, valid: false };
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
  const c = state.charCodeAt(0);
  // A number starts with a digit, a sign or a dot: anything else can only be one of the words (most states are).
  if ((c < 48 || c > 57) && c !== 45 && c !== 43 && c !== 46) {
    if (ONE.has(state)) return '1';
    if (ZERO.has(state)) return '0';
    const lower = state.toLowerCase();
    if (lower === state) return undefined;
    return ONE.has(lower) ? '1' : ZERO.has(lower) ? '0' : undefined;
  }
  if (
    state.length <= 16 &&
    CANONICAL_DECIMAL.test(state) &&
    state !== '-0' &&
    !((c === 48 || c === 45) && TINY.test(state))
  )
    return state;
  const v = stateValue(state);
  return v === undefined ? undefined : floatText(v);
}

/**
 * The point budget: the attribute fields of one point (their line-protocol text, each with its comma) take at most
 * this many characters. Attributes are written in their order while they fit; from the first one that does not,
 * it and every later attribute are left out, the point gets the field DROPPED_FIELD (how many were left out) and
 * the problem 'oversized_point'. The state, `value` and the tags are always written. With every text capped at
 * 16,384 characters, this keeps a point far below a spool record (16 MiB) and an InfluxDB request, whatever
 * Home Assistant sends (a 20 MB state of 15,000 attributes).
 */
export const MAX_ATTRIBUTE_CHARS = 256 * 1024;
export const DROPPED_FIELD = 'dropped_attributes';

/** The attributes from index `from` on that would have given a field: how many the budget left out. */
export function droppedAttributes(
  names: readonly string[],
  attrs: Record<string, unknown>,
  from: number,
  excluded: ReadonlySet<string>,
): number {
  let n = 0;
  for (let i = from; i < names.length; i += 1) {
    const name = names[i] as string;
    const v = attrs[name];
    if (v !== null && v !== undefined && !TAG_ATTRIBUTES.has(name) && !excluded.has(name)) n += 1;
  }
  return n;
}

export function cap(s: string, max: number, problems: Problem[]): string {
  if (s.length <= max) return s;
  problems.push('truncated');
  return headOf(s, max, `…[truncated ${s.length - max} chars]`);
}

/**
 * The first `max` characters of `s` followed by `mark`, as a string of its own. V8 makes a slice of a long string
 * point into the whole one, so a kept slice (a truncated attribute's text, a capped name in the event stream's
 * buffer) would keep all of it resident: a 20 MB attribute for as long as its 256 KiB head lives. `join` copies.
 */
export function headOf(s: string, max: number, mark: string): string {
  return [s.slice(0, max), mark].join('');
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
