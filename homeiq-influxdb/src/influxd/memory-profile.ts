/** The `memory_profile` option: how much memory influxd may use for its caches, compactions and queries. */
export type MemoryProfile = 'small' | 'standard';

export const MEMORY_PROFILES: readonly MemoryProfile[] = ['small', 'standard'];

/** What a profile adds to influxd's command line and environment. */
export interface InfluxdTuning {
  args: string[];
  env: Record<string, string>;
}

/**
 * `small` (the default) sizes influxd for a Raspberry Pi class board sharing its memory with Home Assistant:
 * - the Go runtime returns memory sooner (GOGC 50) and keeps its heap near a soft limit (GOMEMLIMIT), collecting
 *   harder rather than growing past it;
 * - the write cache is flushed to disk at 8 MiB instead of 25 MiB, and a shard's cache may not pass 256 MiB (a
 *   write that would is answered 500 and retried by the ingestor, which keeps it in its spool meanwhile);
 * - one compaction at a time, at most 16 MiB/s; a smaller TSI series-set cache;
 * - at most 4 queries at once (32 more wait in line), each within 64 MiB: a bigger query fails with InfluxDB's
 *   "memory limit" message instead of pushing the board into swap.
 * `standard` is InfluxDB's own defaults: faster large queries and imports, and several hundred MiB at peaks.
 * Measured with `npm run bench -- footprint` (DOCS.md "Resources").
 */
export function influxdTuning(profile: MemoryProfile): InfluxdTuning {
  if (profile === 'standard') return { args: [], env: {} };
  return {
    args: [
      '--storage-cache-snapshot-memory-size=8388608',
      '--storage-cache-max-memory-size=268435456',
      '--storage-max-concurrent-compactions=1',
      '--storage-compact-throughput-burst=16777216',
      '--storage-series-id-set-cache-size=16',
      '--query-concurrency=4',
      '--query-queue-size=32',
      '--query-memory-bytes=67108864',
    ],
    env: { GOGC: '50', GOMEMLIMIT: '80MiB' },
  };
}
