import { BoundedCache, type CacheStats } from './bounded-cache.js';
import { ANY, copy, NOT_KEPT, same } from './attribute-values.js';
import { escapeKey, floatText, quoteString } from './line-protocol.js';
import {
  cap,
  droppedAttributes,
  MAX_ATTRIBUTE_CHARS,
  MAX_NAME_LENGTH,
  TAG_ATTRIBUTES,
  toJson,
  type EncodeOptions,
  type Problem,
} from './state-model.js';

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
 *
 * Long and clashing names (attributeFields: cut at MAX_NAME_LENGTH, the first of two names giving one key wins)
 * The point budget (MAX_ATTRIBUTE_CHARS, state-model.ts) never meets the cache either: a state whose fields go past
 * it is encoded without the cache up to the budget (`dropped` then says how many attributes were left out), and
 * its entity's entry is emptied, so a full hit is always within the budget.
 *
 * never meet the cache: only a "risky" name (too long, or with a character escapeKey replaces, or one it replaces
 * with) can give the key of another name, so an entity with such a name is encoded without the cache, comparing
 * keys, until a state comes without one. A cached entry therefore has at most one problem per attribute.
 */

/** Per entity: characters of field text and of copied values kept (a typical entity needs a few hundred). */
const BUDGET = 2048;
/** The most array elements and object entries copied for one value (beyond: not reused). */
const MAX_NODES = 64;
/** An entity with more attributes than this is encoded without the cache (an entry holds a slot per attribute). */
const MAX_ATTRIBUTES = 256;

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
  /** The last state had a risky name: the entry is empty and the entity encoded without it. */
  risky: boolean;
}

/** An attribute's field key without its type: escaped `attr_<name>`, the name cut at MAX_NAME_LENGTH. */
interface AttributeKey {
  text: string;
  /** Whether another name may give the same key (see the top). */
  risky: boolean;
}

/** What escapeKey puts for the characters it replaces: a key with one may be another name's key. */
const REPLACED = /[\uFFFD\u29F5]/;

export interface AttributeTextStats {
  attributeKeys: CacheStats;
  /** Entities, by entity_id. */
  attributeTexts: CacheStats;
  /** Attribute texts reused from the entity's last state, and written afresh. */
  attributes: { reused: number; encoded: number };
}

export class AttributeText {
  /** Keys by attribute name. */
  readonly #keys = new BoundedCache<AttributeKey>(8_192);
  readonly #entries: BoundedCache<Entry>;
  /** The problems of the last #field call. */
  readonly #scratch: Problem[] = [];
  /** Whether the last #field call (or any in the last #uncached call) met a risky name. */
  #risky = false;
  /** Attributes whose text was reused, and written afresh. */
  #reused = 0;
  #encoded = 0;
  /** Attributes the last `text` call left out for the point budget (0 when everything fitted). */
  dropped = 0;
  readonly #budget: number;

  constructor(
    private readonly opts: Pick<EncodeOptions, 'maxStringLength' | 'excludeAttributes' | 'maxAttributeChars'>,
    maxEntities = 8_192,
  ) {
    this.#entries = new BoundedCache<Entry>(maxEntities);
    this.#budget = opts.maxAttributeChars ?? MAX_ATTRIBUTE_CHARS;
  }

  stats(): AttributeTextStats {
    return {
      attributeKeys: this.#keys.stats(),
      attributeTexts: this.#entries.stats(),
      attributes: { reused: this.#reused, encoded: this.#encoded },
    };
  }

  /** The fields of `attrs` (an entity's attributes) as text; their problems are appended to `problems`. */
  text(entityId: string, attrs: Record<string, unknown>, problems: Problem[]): string {
    this.dropped = 0;
    const names = Object.keys(attrs);
    const n = names.length;
    if (n > MAX_ATTRIBUTES) return this.#uncached(names, attrs, problems);
    let e = this.#entries.get(entityId);
    if (e?.risky === true) {
      const out = this.#uncached(names, attrs, problems);
      e.risky = this.#risky;
      return out;
    }
    const start = problems.length;
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
      e = { names: [], values: [], texts: [], problems: [], problemCount: 0, text: '', risky: false };
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
        text = this.#field(name, v, undefined);
        if (this.#risky) {
          // Drop what this call did to the entry and to `problems`, and start again comparing keys.
          problems.length = start;
          e.names.length = e.values.length = e.texts.length = e.problems.length = 0;
          e.problemCount = 0;
          e.text = '';
          e.risky = true;
          return this.#uncached(names, attrs, problems);
        }
        problem = this.#scratch[0];
        kept = this.#keep(name, v, text, budget);
        this.#encoded += 1;
      }
      if (out.length + text.length > this.#budget) {
        // Past the point budget: this state is encoded without the cache, and the entry emptied (see the top).
        problems.length = start;
        e.names.length = e.values.length = e.texts.length = e.problems.length = 0;
        e.problemCount = 0;
        e.text = '';
        return this.#uncached(names, attrs, problems);
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

  /** `text` without the cache: for an entity with more attributes than an entry holds, or a risky name; sets #risky. */
  #uncached(names: string[], attrs: Record<string, unknown>, problems: Problem[]): string {
    let out = '';
    let risky = false;
    const written = new Set<string>();
    for (let i = 0; i < names.length; i += 1) {
      const name = names[i] as string;
      const text = this.#field(name, attrs[name], written);
      risky ||= this.#risky;
      if (out.length + text.length > this.#budget) {
        this.dropped = droppedAttributes(names, attrs, i, this.opts.excludeAttributes);
        problems.push('oversized_point');
        this.#encoded += i + 1;
        this.#risky = risky;
        return out;
      }
      out += text;
      for (const p of this.#scratch) problems.push(p);
    }
    this.#encoded += names.length;
    this.#risky = risky;
    return out;
  }

  /** What to compare the next value with: the value, a private copy, ANY, or NOT_KEPT beyond the budget. */
  #keep(name: string, v: unknown, text: string, budget: number): unknown {
    if (TAG_ATTRIBUTES.has(name) || this.opts.excludeAttributes.has(name)) return ANY;
    const kept =
      typeof v === 'object' && v !== null
        ? copy(v, { nodes: MAX_NODES })
        : typeof v === 'symbol' || typeof v === 'function'
          ? NOT_KEPT
          : v;
    return kept !== NOT_KEPT && cost(kept, text) <= budget ? kept : NOT_KEPT;
  }

  /**
   * One attribute's field text ('' when it is left out), as attributeFields writes it; sets #scratch and #risky.
   * `written`: the risky keys written so far in this state, when the caller compares them (only risky keys can clash).
   */
  #field(name: string, v: unknown, written: Set<string> | undefined): string {
    const problems = this.#scratch;
    problems.length = 0;
    this.#risky = false;
    if (v === null || v === undefined || TAG_ATTRIBUTES.has(name) || this.opts.excludeAttributes.has(name)) return '';
    if (typeof v === 'number' && !Number.isFinite(v)) {
      problems.push('unencodable_attribute');
      return '';
    }
    const type =
      typeof v === 'number' ? '_num=' : typeof v === 'boolean' ? '_bool=' : typeof v === 'string' ? '_str=' : '_json=';
    const key = this.#key(name);
    if (key.risky) {
      this.#risky = true;
      if (name.length > MAX_NAME_LENGTH) problems.push('truncated');
      if (written !== undefined) {
        const full = key.text + type;
        if (written.has(full)) {
          problems.push('duplicate_field');
          return '';
        }
        written.add(full);
      }
    }
    switch (typeof v) {
      case 'number':
        return `,${key.text}${type}${floatText(v)}`;
      case 'boolean':
        return `,${key.text}${type}${v ? 'true' : 'false'}`;
      case 'string':
        return `,${key.text}${type}${quoteString(cap(v, this.opts.maxStringLength, problems))}`;
      default:
        return `,${key.text}${type}${quoteString(toJson(v, this.opts.maxStringLength, problems))}`;
    }
  }

  #key(name: string): AttributeKey {
    let k = this.#keys.get(name);
    if (k === undefined) {
      const long = name.length > MAX_NAME_LENGTH;
      const text = escapeKey(`attr_${long ? cap(name, MAX_NAME_LENGTH, []) : name}`) as string; // never empty
      k = { text, risky: long || REPLACED.test(text) };
      this.#keys.set(name, k);
    }
    return k;
  }
}

/** Characters kept for one attribute: its text, and a string value (which may be longer than its capped text). */
function cost(kept: unknown, text: string): number {
  return text.length + (typeof kept === 'string' ? kept.length : 0);
}
