import { BoundedCache, type CacheStats } from './bounded-cache.js';
import { escapeKey, floatText, quoteString } from './line-protocol.js';
import { cap, TAG_ATTRIBUTES, toJson, type EncodeOptions, type Problem } from './state-model.js';

/**
 * The attribute fields of a state as line-protocol text (`attributeFields` of state-to-points.ts, each field
 * preceded by a comma), remembering per entity the text of each attribute: most attributes (friendly_name,
 * state_class, supported_features, option lists…) stay the same from one state to the next, and comparing a
 * value with the last one is cheaper than printing, escaping and quoting it again.
 *
 * An attribute's text is reused when its name is at the same position and its value equals the one it was made
 * from: `===` for primitives, structurally for plain arrays and objects (same keys in the same order), which give
 * the same JSON. Anything else (a Date, a class instance…) is never reused. Arrays and objects are compared with
 * a private copy taken when the text was made, so a caller mutating a state afterwards cannot make a stale text
 * match. A reused text reports the problem it reported when made ('truncated', 'unencodable_attribute'), at the
 * same place in the order.
 *
 * Bounded: at most `maxEntities` entities (FIFO, BoundedCache); per entity at most `MAX_ATTRIBUTES` attributes
 * and `BUDGET` characters of text plus copied values; attributes beyond the budget are encoded afresh every time.
 */

/** Per entity: characters of field text and of copied values kept (a typical entity needs a few hundred). */
const BUDGET = 2048;
/** The most array elements and object entries copied for one value (beyond: not reused). */
const MAX_NODES = 64;
/** An entity with more attributes than this is encoded without the cache (an entry holds a slot per attribute). */
const MAX_ATTRIBUTES = 256;

/** A value not kept: its text is never reused. */
const NOT_KEPT: unique symbol = Symbol('not kept');
/** An attribute left out by name (a tag or an excluded attribute): its text is '' whatever the value. */
const ANY: unique symbol = Symbol('any value');

/** One entity's attributes as last encoded, in attribute order. */
interface Entry {
  names: string[];
  values: unknown[];
  texts: string[];
  problems: Array<Problem | undefined>;
  /** Number of problems in `problems` (so a hit without any skips the loop). */
  problemCount: number;
  /** `texts` joined. */
  text: string;
}

export interface AttributeTextStats {
  attributeKeys: CacheStats;
  /** Entities, by entity_id. */
  attributeTexts: CacheStats;
  /** Attribute texts reused from the entity's last state, and written afresh. */
  attributes: { reused: number; encoded: number };
}

export class AttributeText {
  /** Escaped `attr_<name>` by attribute name. */
  readonly #keys = new BoundedCache<string>(8_192);
  readonly #entries: BoundedCache<Entry>;
  /** The problem of the last #field call. */
  #problem: Problem | undefined;
  readonly #scratch: Problem[] = [];
  /** Attributes whose text was reused, and written afresh. */
  #reused = 0;
  #encoded = 0;

  constructor(
    private readonly opts: Pick<EncodeOptions, 'maxStringLength' | 'excludeAttributes'>,
    maxEntities = 8_192,
  ) {
    this.#entries = new BoundedCache<Entry>(maxEntities);
  }

  stats(): AttributeTextStats {
    return { attributeKeys: this.#keys.stats(), attributeTexts: this.#entries.stats(), attributes: { reused: this.#reused, encoded: this.#encoded } };
  }

  /** The fields of `attrs` (an entity's attributes) as text; their problems are appended to `problems`. */
  text(entityId: string, attrs: Record<string, unknown>, problems: Problem[]): string {
    const names = Object.keys(attrs);
    const n = names.length;
    if (n > MAX_ATTRIBUTES) return this.#uncached(names, attrs, problems);
    let e = this.#entries.get(entityId);
    // The equal prefix (all of it, usually).
    let from = 0;
    if (e !== undefined) {
      const m = Math.min(n, e.names.length);
      while (from < m) {
        const name = names[from] as string;
        const kept = e.values[from];
        const v = attrs[name];
        if (e.names[from] !== name || (kept !== v && !same(kept, v))) break;
        from += 1;
      }
      if (from === n && n === e.names.length) {
        this.#reused += n;
        if (e.problemCount > 0) for (const p of e.problems) if (p !== undefined) problems.push(p);
        return e.text;
      }
    } else {
      e = { names: [], values: [], texts: [], problems: [], problemCount: 0, text: '' };
      this.#entries.set(entityId, e);
    }
    // Updated in place: the prefix stays, and further on what is still equal (same name, same place) too.
    const oldLength = e.names.length;
    let out = '';
    let budget = BUDGET;
    let problemCount = 0;
    let complete = true;
    for (let i = 0; i < n; i += 1) {
      const name = names[i] as string;
      const v = attrs[name];
      let text: string;
      let problem: Problem | undefined;
      let kept: unknown;
      if (i < from || (i < oldLength && e.names[i] === name && same(e.values[i], v))) {
        text = e.texts[i] as string;
        problem = e.problems[i];
        kept = cost(e.values[i], text) <= budget ? e.values[i] : NOT_KEPT; // the attributes before it may have grown
        this.#reused += 1;
      } else {
        text = this.#field(name, v);
        problem = this.#problem;
        kept = this.#keep(name, v, text, budget);
        this.#encoded += 1;
      }
      if (kept === NOT_KEPT) complete = false;
      else budget -= cost(kept, text);
      e.names[i] = name;
      e.values[i] = kept;
      e.texts[i] = kept === NOT_KEPT ? '' : text; // never reused: not kept either
      e.problems[i] = problem;
      if (problem !== undefined) {
        problems.push(problem);
        problemCount += 1;
      }
      out += text;
    }
    if (oldLength > n) {
      e.names.length = n;
      e.values.length = n;
      e.texts.length = n;
      e.problems.length = n;
    }
    e.problemCount = problemCount;
    // Only an entry with every value kept can be a full hit.
    e.text = complete ? out : '';
    return out;
  }

  /** `text` without the cache, for an entity with more attributes than an entry holds. */
  #uncached(names: string[], attrs: Record<string, unknown>, problems: Problem[]): string {
    let out = '';
    for (const name of names) {
      out += this.#field(name, attrs[name]);
      if (this.#problem !== undefined) problems.push(this.#problem);
    }
    this.#encoded += names.length;
    return out;
  }

  /** What to compare the next value with: the value, a private copy, ANY, or NOT_KEPT beyond the budget. */
  #keep(name: string, v: unknown, text: string, budget: number): unknown {
    if (TAG_ATTRIBUTES.has(name) || this.opts.excludeAttributes.has(name)) return ANY;
    const kept = typeof v === 'object' && v !== null ? copy(v, { nodes: MAX_NODES }) : typeof v === 'symbol' || typeof v === 'function' ? NOT_KEPT : v;
    return kept !== NOT_KEPT && cost(kept, text) <= budget ? kept : NOT_KEPT;
  }

  /** One attribute's field text ('' when it is left out), as attributeFields writes it; sets #problem. */
  #field(name: string, v: unknown): string {
    this.#problem = undefined;
    if (v === null || v === undefined || TAG_ATTRIBUTES.has(name) || this.opts.excludeAttributes.has(name)) return '';
    const problems = this.#scratch;
    problems.length = 0;
    let text: string;
    switch (typeof v) {
      case 'number':
        if (Number.isFinite(v)) text = `,${this.#key(name)}_num=${floatText(v)}`;
        else {
          problems.push('unencodable_attribute');
          text = '';
        }
        break;
      case 'boolean':
        text = `,${this.#key(name)}_bool=${v ? 'true' : 'false'}`;
        break;
      case 'string':
        text = `,${this.#key(name)}_str=${quoteString(cap(v, this.opts.maxStringLength, problems))}`;
        break;
      default:
        text = `,${this.#key(name)}_json=${quoteString(toJson(v, this.opts.maxStringLength, problems))}`;
    }
    // At most one: cap and toJson each report one problem or none.
    this.#problem = problems[0];
    return text;
  }

  #key(name: string): string {
    let k = this.#keys.get(name);
    if (k === undefined) {
      k = escapeKey(`attr_${name}`) as string; // never empty
      this.#keys.set(name, k);
    }
    return k;
  }
}

/** Characters kept for one attribute: its text, and a string value (which may be longer than its capped text). */
function cost(kept: unknown, text: string): number {
  return text.length + (typeof kept === 'string' ? kept.length : 0);
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
function copy(v: unknown, budget: { nodes: number }): unknown {
  if (typeof v !== 'object' || v === null) return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : NOT_KEPT;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype || (budget.nodes -= v.length) < 0) return NOT_KEPT;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i += 1) if ((out[i] = copy(v[i], budget)) === NOT_KEPT) return NOT_KEPT;
    return out;
  }
  if (!isPlainObject(v)) return NOT_KEPT;
  const keys = Object.keys(v);
  if ((budget.nodes -= keys.length) < 0) return NOT_KEPT;
  // No prototype: a `__proto__` key stays an own key, as JSON.parse makes it.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of keys) if ((out[k] = copy((v as Record<string, unknown>)[k], budget)) === NOT_KEPT) return NOT_KEPT;
  return out;
}

/** Whether `v` gives the same field text as the value `kept` was made from (see the top). */
function same(kept: unknown, v: unknown): boolean {
  if (kept === v) return true; // primitives (a kept array or object is a private copy: never `v` itself)
  if (kept === ANY) return true;
  if (typeof kept !== 'object' || kept === null || typeof v !== 'object' || v === null) return false;
  if (Array.isArray(kept)) {
    if (!Array.isArray(v) || v.length !== kept.length || Object.getPrototypeOf(v) !== Array.prototype) return false;
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
