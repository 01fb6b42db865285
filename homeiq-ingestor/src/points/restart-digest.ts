import { createHash } from 'node:crypto';

/**
 * What we last wrote per entity: a digest of its state and attributes and its `last_updated` (µs). Used to
 * recognise Home Assistant restart artefacts (at startup every entity is re-added with `old_state: null` and a
 * fresh timestamp but the same content) and states already written (same content, same timestamp).
 *
 * Bounded: at most `maxEntities` entries, the least recently written evicted first (a Map keeps insertion
 * order; a write re-inserts). An evicted entity simply gets its next restart artefact written.
 */
export interface Digest {
  hash: string;
  /** last_updated in µs since the epoch. */
  t: number;
}

/** Canonical JSON: object keys sorted at every level, so attribute order does not change the digest. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
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
  return createHash('sha1').update(text).digest('base64url').slice(0, 16);
}

export type Verdict = 'write' | 'already_written' | 'restart_artefact';

interface Entry extends Digest {
  /** The state written before this one: a backfill running beside live events asks about times before the latest. */
  prev?: Digest | undefined;
}

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
    return e && { hash: e.hash, t: e.t };
  }

  /** What we wrote that was in effect at `t` (the newest of the last two written at or before `t`). */
  at(entityId: string, t: number): Digest | undefined {
    const e = this.#map.get(entityId);
    if (!e) return undefined;
    if (e.t <= t) return { hash: e.hash, t: e.t };
    return e.prev && e.prev.t <= t ? { ...e.prev } : undefined;
  }

  /**
   * Whether to write `hash` at `t` for an entity, compared with `prev` (what we last wrote, or for a history
   * sequence the state before this one):
   * - same content and same timestamp → already written (the same point; true whatever the option);
   * - `skipRestart` and same content with a newer timestamp and `maybeReadded` → a restart artefact. HA never
   *   moves `last_updated` without a change except when it re-adds the entity (restart, integration reload) or
   *   for `force_update` entities, which cannot be told apart in a snapshot or in history.
   */
  static decide(prev: Digest | undefined, hash: string, t: number, skipRestart: boolean, maybeReadded: boolean): Verdict {
    if (!prev || prev.hash !== hash) return 'write';
    if (prev.t === t) return 'already_written';
    if (skipRestart && maybeReadded && t > prev.t) return 'restart_artefact';
    return 'write';
  }

  /** Records a written state; an older one than what we hold does not replace it. */
  written(entityId: string, hash: string, t: number, prev?: Digest): void {
    const cur = this.#map.get(entityId);
    if (cur && cur.t === t) {
      if (prev && prev.t < t && (!cur.prev || cur.prev.t < prev.t)) cur.prev = prev;
      return;
    }
    if (cur && cur.t > t) {
      if (!cur.prev || cur.prev.t < t) cur.prev = { hash, t };
      this.#dirty = true;
      return;
    }
    this.#map.delete(entityId);
    this.#map.set(entityId, { hash, t, prev: cur ? { hash: cur.hash, t: cur.t } : prev });
    this.#dirty = true;
    if (this.#map.size > this.maxEntities) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
  }

  /** Compact serialisable form, oldest first: `[entity_id, hash, t, prevHash?, prevT?]`. Clears the dirty flag. */
  toJSON(): Array<[string, string, number] | [string, string, number, string, number]> {
    this.#dirty = false;
    return [...this.#map].map(([id, d]) => (d.prev ? [id, d.hash, d.t, d.prev.hash, d.prev.t] : [id, d.hash, d.t]));
  }

  load(rows: unknown): void {
    if (!Array.isArray(rows)) return;
    for (const r of rows) {
      if (!Array.isArray(r) || typeof r[0] !== 'string' || typeof r[1] !== 'string' || typeof r[2] !== 'number') continue;
      const prev = typeof r[3] === 'string' && typeof r[4] === 'number' ? { hash: r[3], t: r[4] } : undefined;
      this.written(r[0], r[1], r[2], prev);
    }
    this.#dirty = false;
  }
}
