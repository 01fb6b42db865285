/**
 * The values AttributeText compares an attribute with to reuse its text (see attribute-text.ts): private copies
 * of JSON data, and the comparison that tells whether a value gives the same JSON as the one a copy was made of.
 */

/** A value not kept: its text is never reused. */
export const NOT_KEPT: unique symbol = Symbol('not kept');
/** An attribute left out by name (a tag or an excluded attribute): its text is '' whatever the value. */
export const ANY: unique symbol = Symbol('any value');

/** An array with its own `toJSON` (JSON.stringify calls it): its elements do not decide its text. */
function hasToJson(v: unknown[]): boolean {
  return (v as { toJSON?: unknown }).toJSON !== undefined;
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * A private deep copy of JSON data (plain arrays and objects of strings, numbers, booleans and null), or NOT_KEPT
 * for anything else or beyond `budget.nodes` elements and entries. The text budget of the caller bounds the
 * copy's size too: the JSON text of a value is at least as long as its strings.
 */
export function copy(v: unknown, budget: { nodes: number }): unknown {
  if (typeof v !== 'object' || v === null)
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : NOT_KEPT;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype || hasToJson(v)) return NOT_KEPT;
    budget.nodes -= v.length;
    if (budget.nodes < 0) return NOT_KEPT;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i += 1) {
      const item = copy(v[i], budget);
      if (item === NOT_KEPT) return NOT_KEPT;
      out[i] = item;
    }
    return out;
  }
  if (!isPlainObject(v)) return NOT_KEPT;
  const keys = Object.keys(v);
  budget.nodes -= keys.length;
  if (budget.nodes < 0) return NOT_KEPT;
  // No prototype: a `__proto__` key stays an own key, as JSON.parse makes it.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of keys) {
    const item = copy((v as Record<string, unknown>)[k], budget);
    if (item === NOT_KEPT) return NOT_KEPT;
    out[k] = item;
  }
  return out;
}

/** Whether `v` gives the same field text as the value `kept` was made from (the rule at the top of attribute-text.ts). */
export function same(kept: unknown, v: unknown): boolean {
  if (kept === v) return true; // primitives (a kept array or object is a private copy: never `v` itself)
  if (kept === ANY) return true;
  if (typeof kept !== 'object' || kept === null || typeof v !== 'object' || v === null) return false;
  if (Array.isArray(kept)) {
    if (!Array.isArray(v) || v.length !== kept.length || Object.getPrototypeOf(v) !== Array.prototype || hasToJson(v))
      return false;
    for (let i = 0; i < kept.length; i += 1) if (!same(kept[i], v[i])) return false;
    return true;
  }
  if (Array.isArray(v) || !isPlainObject(v)) return false;
  const a = Object.keys(kept);
  const b = Object.keys(v);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) {
    const k = a[i] as string;
    if (k !== b[i] || !same((kept as Record<string, unknown>)[k], (v as Record<string, unknown>)[k])) return false;
  }
  return true;
}
