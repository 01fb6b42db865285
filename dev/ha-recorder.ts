// What a real Home Assistant's recorder holds for a window: the reference that InfluxDB buckets are compared with.
import { isoToNs } from '../homeiq-ingestor/src/points/line-protocol.js';
import { haRest, type HaEndpoint } from './peers/homeassistant.js';

/** µs ISO (HA's own form) → the exact ns string InfluxDB keys a point by. */
export function isoNs(iso: string): string {
  const v = isoToNs(iso);
  if (v === undefined) throw new Error(`not a timestamp: ${iso}`);
  return v;
}

/**
 * What HA's recorder holds in (start, end] for `entities`: `entity@ns` (last_updated) → state. Every change, not
 * only significant ones (REST `/api/history/period`, full rows). The first row of each entity's list is the state in
 * effect at `start`, stamped with `start`: not part of the window, so left out.
 */
export async function recordedChanges(
  ha: HaEndpoint,
  entities: readonly string[],
  start: Date,
  end: Date,
): Promise<Map<string, string>> {
  const q = `filter_entity_id=${entities.join(',')}&end_time=${encodeURIComponent(end.toISOString())}&significant_changes_only=0`;
  const lists = await haRest<Array<Array<{ entity_id: string; state: string; last_updated: string }>>>(
    ha,
    'GET',
    `/api/history/period/${encodeURIComponent(start.toISOString())}?${q}`,
  );
  const startNs = BigInt(start.getTime()) * 1_000_000n;
  const out = new Map<string, string>();
  for (const rows of lists) {
    for (const r of rows) {
      if (BigInt(isoNs(r.last_updated)) <= startNs) continue;
      out.set(`${r.entity_id}@${isoNs(r.last_updated)}`, r.state);
    }
  }
  return out;
}
