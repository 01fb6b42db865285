import type { ShardLayout } from './source-types.js';

/**
 * The time windows a migration reads, one query each.
 *
 * A window never crosses a shard group boundary: InfluxDB keeps a field's type per shard, and a query spanning
 * shards where a field has different types returns only one type's values (1.x: `SELECT *` keeps float, then
 * integer, then string, then boolean; 2.x: Flux keeps the first shard's type), silently. Within one shard group
 * every value comes back. Shard groups start where Go's `time.Truncate(duration)` puts them (multiples of the
 * duration counted from 0001-01-01, a Monday), unless the server told us the exact boundaries.
 *
 * Within a shard group the window adapts to the data: it aims at `targetPoints` per query (bounded memory, and a
 * resume after a crash re-reads at most one window), grows four-fold over empty stretches and shrinks when an
 * answer was too large.
 */

export const NS_PER_S = 1_000_000_000n;
const GO_ZERO_NS = -62_135_596_800n * NS_PER_S;
export const MIN_SPAN_NS = NS_PER_S;
export const MAX_SPAN_NS = 366n * 86_400n * NS_PER_S;

/** The first shard group boundary strictly after `t`. */
export function nextBoundary(t: bigint, layout: ShardLayout): bigint {
  for (const b of layout.boundaries) if (b > t) return b;
  const d = layout.durationNs > 0n ? layout.durationNs : 7n * 86_400n * NS_PER_S;
  const rel = t - GO_ZERO_NS;
  const start = GO_ZERO_NS + (rel - (((rel % d) + d) % d));
  return start + d;
}

/** InfluxDB's default shard group duration for a retention period (0 = infinite), as influxd picks it. */
export function defaultShardDuration(retentionNs: bigint): bigint {
  const day = 86_400n * NS_PER_S;
  if (retentionNs === 0n) return 7n * day;
  if (retentionNs < 2n * day) return 3_600n * NS_PER_S;
  if (retentionNs < 180n * day) return day;
  return 7n * day;
}

export class WindowSizer {
  constructor(
    /** The span to start with (a resumed migration starts with the one it had). */
    public spanNs: bigint,
    private readonly targetPoints: number,
  ) {
    this.spanNs = clamp(spanNs);
  }

  /** The window starting at `cursor`: its end, never past `to` nor a shard group boundary. */
  end(cursor: bigint, to: bigint, layout: ShardLayout): bigint {
    const e = cursor + this.spanNs;
    const b = nextBoundary(cursor, layout);
    return e < b ? (e < to ? e : to) : b < to ? b : to;
  }

  /** After a window of `spanNs` that held `points`: the span for the next one. */
  observed(points: number, spanNs: bigint): void {
    if (points <= 0) {
      this.spanNs = clamp(max(this.spanNs, spanNs) * 4n);
      return;
    }
    const ideal = (spanNs * BigInt(this.targetPoints)) / BigInt(points);
    this.spanNs = clamp(ideal < spanNs / 4n ? spanNs / 4n : ideal > spanNs * 4n ? spanNs * 4n : ideal);
  }

  /** An answer was too large: a quarter of the span (down to one second). */
  tooBig(spanNs: bigint): void {
    this.spanNs = clamp(spanNs / 4n);
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const clamp = (v: bigint): bigint => (v < MIN_SPAN_NS ? MIN_SPAN_NS : v > MAX_SPAN_NS ? MAX_SPAN_NS : v);
