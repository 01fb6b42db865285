/**
 * Spans of Home Assistant time in which the spool refused states, still to be recovered from HA's recorder (see
 * SpoolRefill). Times are µs since the epoch in HA's clock (`last_updated`); a range is half-open [fromUs, toUs),
 * like a history window.
 *
 * Kept disjoint and oldest first: a range that overlaps or touches another is merged with it. Bounded: beyond
 * `maxRanges`, the two ranges with the smallest gap between them are merged (the range grows, so more history is
 * replayed, which rewrites points onto themselves; nothing is dropped).
 *
 * Beside the ranges, the entities a refill must ask for that it would not find otherwise (an import window of an
 * entity HA no longer has): kept until nothing is left to recover, at most `maxEntities` of them.
 */

export interface TimeRange {
  fromUs: number;
  toUs: number;
}

/** The persisted form, in `backfill/state.json` (see StateFile). */
export interface RefusedRangesJson {
  ranges: Array<[number, number]>;
  /** Start of the range still open: the spool was full when this was saved. */
  openFromUs?: number | undefined;
  /** Entities to ask for besides those HA and the restart digests name (see `addEntities`). */
  entities?: string[] | undefined;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export class RefusedRanges {
  #ranges: TimeRange[] = [];
  #openFromUs: number | undefined;
  readonly #entities = new Set<string>();
  /** Bumped on every change: the state file saves again only when it moved. */
  #version = 0;

  constructor(
    private readonly maxRanges = 64,
    private readonly maxEntities = 2000,
  ) {
    if (!(maxRanges >= 1)) throw new Error('maxRanges must be at least 1');
  }

  get version(): number {
    return this.#version;
  }

  /** Start of the range still open (the spool is full now), if any. */
  get openFromUs(): number | undefined {
    return this.#openFromUs;
  }

  /** Nothing to recover, and nothing being refused now. */
  get empty(): boolean {
    return this.#ranges.length === 0 && this.#openFromUs === undefined;
  }

  /** The closed ranges, oldest first (copies). */
  list(): TimeRange[] {
    return this.#ranges.map((r) => ({ ...r }));
  }

  /** The extra entities a refill asks for (sorted copies). */
  entities(): string[] {
    return [...this.#entities].sort();
  }

  /**
   * Entities a refused range needs that the refill would not ask for otherwise (HA no longer names them). Beyond
   * `maxEntities` the rest are not remembered; returns how many were not (the caller says so).
   */
  addEntities(ids: Iterable<string>): number {
    let dropped = 0;
    for (const id of ids) {
      if (this.#entities.has(id)) continue;
      if (this.#entities.size >= this.maxEntities) dropped += 1;
      else {
        this.#entities.add(id);
        this.#version += 1;
      }
    }
    return dropped;
  }

  /** The oldest closed range: where a refill continues. */
  first(): TimeRange | undefined {
    const r = this.#ranges[0];
    return r && { ...r };
  }

  /** µs of HA time in the closed ranges. */
  get pendingUs(): number {
    return this.#ranges.reduce((n, r) => n + (r.toUs - r.fromUs), 0);
  }

  /** The spool became full: states from `fromUs` on may be refused, until `close`. An open range keeps its earlier start. */
  open(fromUs: number): void {
    if (this.#openFromUs !== undefined && this.#openFromUs <= fromUs) return;
    this.#openFromUs = fromUs;
    this.#version += 1;
  }

  /** The spool has room again: the open range ends at `toUs` (exclusive) and joins the closed ones. */
  close(toUs: number): void {
    const from = this.#openFromUs;
    if (from === undefined) return;
    this.#openFromUs = undefined;
    this.#version += 1;
    this.add(from, Math.max(toUs, from + 1));
  }

  /** A closed range of refused states (merged with those it overlaps or touches). */
  add(fromUs: number, toUs: number): void {
    if (!(isNumber(fromUs) && isNumber(toUs) && toUs > fromUs)) return;
    const merged: TimeRange[] = [];
    let cur: TimeRange = { fromUs, toUs };
    let placed = false;
    for (const r of this.#ranges) {
      if (r.toUs < cur.fromUs) merged.push(r);
      else if (r.fromUs > cur.toUs) {
        if (!placed) merged.push(cur);
        placed = true;
        merged.push(r);
      } else cur = { fromUs: Math.min(r.fromUs, cur.fromUs), toUs: Math.max(r.toUs, cur.toUs) };
    }
    if (!placed) merged.push(cur);
    while (merged.length > this.maxRanges) {
      let best = 0;
      for (let i = 1; i < merged.length - 1; i += 1) {
        const gap = (merged[i + 1] as TimeRange).fromUs - (merged[i] as TimeRange).toUs;
        if (gap < (merged[best + 1] as TimeRange).fromUs - (merged[best] as TimeRange).toUs) best = i;
      }
      const [a, b] = merged.slice(best, best + 2) as [TimeRange, TimeRange];
      merged.splice(best, 2, { fromUs: a.fromUs, toUs: b.toUs });
    }
    this.#ranges = merged;
    this.#version += 1;
  }

  /** [fromUs, toUs) was recovered: removes it from the closed ranges. */
  subtract(fromUs: number, toUs: number): void {
    if (!(toUs > fromUs)) return;
    const out: TimeRange[] = [];
    for (const r of this.#ranges) {
      if (r.toUs <= fromUs || r.fromUs >= toUs) {
        out.push(r);
        continue;
      }
      if (r.fromUs < fromUs) out.push({ fromUs: r.fromUs, toUs: fromUs });
      if (toUs < r.toUs) out.push({ fromUs: toUs, toUs: r.toUs });
    }
    this.#ranges = out;
    // Nothing left that the extra entities could belong to (a range opening later is asked for afresh).
    if (this.empty) this.#entities.clear();
    this.#version += 1;
  }

  toJSON(): RefusedRangesJson {
    return {
      ranges: this.#ranges.map((r) => [r.fromUs, r.toUs]),
      ...(this.#openFromUs === undefined ? {} : { openFromUs: this.#openFromUs }),
      ...(this.#entities.size === 0 ? {} : { entities: this.entities() }),
    };
  }

  /**
   * Restores what `toJSON` saved. A range left open (the add-on stopped while the spool was full) is closed at
   * `closeOpenAtUs`: the last event seen before the stop; what came after is the gap the next connection backfills.
   */
  load(json: unknown, closeOpenAtUs: number): void {
    this.#ranges = [];
    this.#openFromUs = undefined;
    this.#entities.clear();
    if (!json || typeof json !== 'object') return;
    const j = json as { ranges?: unknown; openFromUs?: unknown; entities?: unknown };
    if (Array.isArray(j.ranges))
      for (const r of j.ranges) if (Array.isArray(r) && isNumber(r[0]) && isNumber(r[1])) this.add(r[0], r[1]);
    if (isNumber(j.openFromUs)) {
      this.open(j.openFromUs);
      this.close(closeOpenAtUs);
    }
    if (Array.isArray(j.entities) && !this.empty)
      this.addEntities(j.entities.filter((id): id is string => typeof id === 'string'));
  }
}
