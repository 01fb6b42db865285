import { hash as oneShotHash } from 'node:crypto';

/**
 * What we last wrote per entity: a digest of its state and attributes and its `last_updated` (µs). Used to
 * recognise Home Assistant restart artefacts (at startup every entity is re-added with `old_state: null` and a
 * fresh timestamp but the same content) and states already written (same content, same timestamp).
 *
 * Bounded: at most `maxEntities` entries, the least recently written evicted first (a Map keeps insertion
 * order; a write re-inserts). An evicted entity simply gets its next restart artefact written.
 *
 * Lazy hashing: a live change event needs no digest to be decided (only a re-added entity or a state with the
 * very timestamp we hold is compared), so `writtenLazy` keeps a reference to the state and its attributes and
 * the digest is computed the first time anyone asks for it (`get`, `at`, a comparison, `toJSON`), then the
 * references are dropped. At most two such references per entity (the last state and the one before), within
 * `maxEntities`. The states handed in must not be mutated afterwards (they come straight from JSON.parse).
 */
export interface Digest {
  hash: string;
  /** last_updated in µs since the epoch. */
  t: number;
}

/**
 * Canonical JSON: object keys sorted at every level, so attribute order does not change the digest. Exactly
 * `{${keys.sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}` (and `[…]` for arrays,
 * `JSON.stringify(v) ?? 'null'` otherwise), written without the intermediate arrays.
 */
function canonical(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      break;
    default:
      return JSON.stringify(v) ?? 'null';
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i += 1) out += (i === 0 ? '' : ',') + canonical(v[i]);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  // Usually few keys, often already in order: sort only when needed (same order as Array.prototype.sort()).
  for (let i = 1; i < keys.length; i += 1) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  for (let i = 0; i < keys.length; i += 1) {
    const k = keys[i] as string;
    out += `${i === 0 ? '' : ','}${JSON.stringify(k)}:${canonical(o[k])}`;
  }
  return `${out}}`;
}

/** 96-bit digest of state + attributes (base64url, 16 characters). */
export function stateHash(state: string, attributes: Record<string, unknown>): string {
  let text: string;
  try {
    text = `${state}\u0000${canonical(attributes)}`;
  } catch {
    // Unserialisable attributes (cannot come from JSON, but be safe): a digest that never matches.
    text = `${state}\u0000${Math.random()}`;
  }
  return oneShotHash('sha1', text, 'base64url').slice(0, 16);
}

export type Verdict = 'write' | 'already_written' | 'restart_artefact';

/** decideFor's answer for almost every live event, one frozen object rather than a new one per event. */
const WRITE_UNHASHED: Readonly<{ verdict: Verdict; hash: string | undefined }> = Object.freeze({
  verdict: 'write',
  hash: undefined,
});

/** A digest, or the state to compute it from when first asked (see lazy hashing above). */
interface Slot {
  hash: string | undefined;
  t: number;
  state?: string | undefined;
  attributes?: Record<string, unknown> | undefined;
}

interface Entry extends Slot {
  /** The state written before this one: a backfill running beside live events asks about times before the latest. */
  prev?: Slot | undefined;
}

function hashOf(s: Slot): string {
  if (s.hash === undefined) {
    s.hash = stateHash(s.state as string, s.attributes as Record<string, unknown>);
    s.state = undefined;
    s.attributes = undefined;
  }
  return s.hash;
}

const digestOf = (s: Slot): Digest => ({ hash: hashOf(s), t: s.t });

export class StateDigests {
  readonly #map = new Map<string, Entry>();
  #dirty = false;

  constructor(private readonly maxEntities = 100_000) {}

  get size(): number {
    return this.#map.size;
  }

  get dirty(): boolean {
    return this.#dirty;
  }

  /** The entities we hold a digest for. */
  ids(): IterableIterator<string> {
    return this.#map.keys();
  }

  /** What we last wrote. */
  get(entityId: string): Digest | undefined {
    const e = this.#map.get(entityId);
    return e && digestOf(e);
  }

  /** What we wrote that was in effect at `t` (the newest of the last two written at or before `t`). */
  at(entityId: string, t: number): Digest | undefined {
    const e = this.#map.get(entityId);
    if (!e) return undefined;
    if (e.t <= t) return digestOf(e);
    return e.prev && e.prev.t <= t ? digestOf(e.prev) : undefined;
  }

  /**
   * Whether to write `hash` at `t` for an entity, compared with `prev` (what we last wrote, or for a history
   * sequence the state before this one):
   * - same content and same timestamp → already written (the same point; true whatever the option);
   * - `skipRestart` and same content with a newer timestamp and `maybeReadded` → a restart artefact. HA never
   *   moves `last_updated` without a change except when it re-adds the entity (restart, integration reload) or
   *   for `force_update` entities, which cannot be told apart in a snapshot or in history.
   */
  static decide(
    prev: Digest | undefined,
    hash: string,
    t: number,
    skipRestart: boolean,
    maybeReadded: boolean,
  ): Verdict {
    if (!prev || prev.hash !== hash) return 'write';
    if (prev.t === t) return 'already_written';
    if (skipRestart && maybeReadded && t > prev.t) return 'restart_artefact';
    return 'write';
  }

  /**
   * `decide()` for a state compared with what we last wrote for its entity, hashing only when the verdict
   * depends on it. `hash` is set when it was computed (pass it on to `written`).
   */
  decideFor(
    entityId: string,
    state: string,
    attributes: Record<string, unknown>,
    t: number,
    skipRestart: boolean,
    maybeReadded: boolean,
  ): Readonly<{ verdict: Verdict; hash: string | undefined }> {
    const e = this.#map.get(entityId);
    // Without a digest, or when neither "same timestamp" nor "re-added and newer" can apply, it is 'write' whatever the hash.
    if (!e || (e.t !== t && !(skipRestart && maybeReadded && t > e.t))) return WRITE_UNHASHED;
    const hash = stateHash(state, attributes);
    return { verdict: StateDigests.decide(digestOf(e), hash, t, skipRestart, maybeReadded), hash };
  }

  /** Records a written state; an older one than what we hold does not replace it. */
  written(entityId: string, hash: string, t: number, prev?: Digest): void {
    this.#record(entityId, { hash, t }, prev);
  }

  /** `written` with the digest computed only when it is first needed (see lazy hashing above). */
  writtenLazy(entityId: string, state: string, attributes: Record<string, unknown>, t: number): void {
    this.#record(entityId, { hash: undefined, t, state, attributes }, undefined);
  }

  #record(entityId: string, slot: Slot, prev: Slot | undefined): void {
    const t = slot.t;
    const cur = this.#map.get(entityId);
    if (cur && cur.t === t) {
      if (prev && prev.t < t && (!cur.prev || cur.prev.t < prev.t)) cur.prev = prev;
      return;
    }
    if (cur && cur.t > t) {
      if (!cur.prev || cur.prev.t < t) cur.prev = slot;
      this.#dirty = true;
      return;
    }
    this.#map.delete(entityId);
    this.#map.set(entityId, {
      hash: slot.hash,
      t,
      state: slot.state,
      attributes: slot.attributes,
      prev: cur ? { hash: cur.hash, t: cur.t, state: cur.state, attributes: cur.attributes } : prev,
    });
    this.#dirty = true;
    if (this.#map.size > this.maxEntities) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
  }

  /** Compact serialisable form, oldest first: `[entity_id, hash, t, prevHash?, prevT?]`. Clears the dirty flag. */
  toJSON(): Array<[string, string, number] | [string, string, number, string, number]> {
    this.#dirty = false;
    return [...this.#map].map(([id, d]) =>
      d.prev ? [id, hashOf(d), d.t, hashOf(d.prev), d.prev.t] : [id, hashOf(d), d.t],
    );
  }

  load(rows: unknown): void {
    if (!Array.isArray(rows)) return;
    for (const r of rows) {
      if (!Array.isArray(r) || typeof r[0] !== 'string' || typeof r[1] !== 'string' || typeof r[2] !== 'number')
        continue;
      const prev = typeof r[3] === 'string' && typeof r[4] === 'number' ? { hash: r[3], t: r[4] } : undefined;
      this.written(r[0], r[1], r[2], prev);
    }
    this.#dirty = false;
  }
}
