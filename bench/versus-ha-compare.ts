// The versus-ha bench's bookkeeping: what each bucket holds for a window, compared point by point with HA's recorder.
import { readFile } from 'node:fs/promises';
import { isoNs } from '../dev/ha-recorder.js';
import { flux } from '../dev/influx-query.js';

export interface Bucket {
  url: string;
  org: string;
  token: string;
  bucket: string;
}

/** One bucket against the recorder: how many of the recorder's changes it holds right (same µs, same value). */
export interface Tally {
  /** Points at a recorded change's time with the recorded value. */
  held: number;
  /** Recorded changes without a point at their time. */
  missing: number;
  /** Points at a recorded change's time with another value. */
  wrong: number;
  /** Points at a time the recorder has no change for (duplicates, restart artefacts). */
  extra: number;
}

/** A point as read back: HomeIQ's `state` field, or HA's integration's `state` and/or `value` fields. */
export interface StoredPoint {
  state?: string;
  value?: number;
}

const fluxSet = (ids: readonly string[]): string => `[${ids.map((e) => JSON.stringify(e)).join(', ')}]`;
const range = (start: Date, end: Date): string =>
  `range(start: time(v: ${BigInt(start.getTime()) * 1_000_000n + 1n}), stop: ${end.toISOString()})`;

/** HomeIQ's layout: `entity_id` tag (full id), string field `state`. `entity@ns` → point. */
export async function homeiqPoints(
  b: Bucket,
  entities: readonly string[],
  start: Date,
  end: Date,
): Promise<Map<string, StoredPoint>> {
  const rows = await flux(
    b.url,
    b.org,
    b.token,
    `import "array"\nids = ${fluxSet(entities)}\nfrom(bucket: "${b.bucket}") |> ${range(start, end)} ` +
      `|> filter(fn: (r) => r._field == "state" and contains(value: r.entity_id, set: ids)) |> keep(columns: ["_time", "_value", "entity_id"])`,
  );
  return new Map(rows.map((r) => [`${r['entity_id']}@${isoNs(r['_time'] ?? '')}`, { state: r['_value'] ?? '' }]));
}

/**
 * HA's `influxdb` integration's layout: measurement = unit (or entity id), tags `domain` and `entity_id` (the object
 * id, without the domain), float field `value` when the state reads as a number, string field `state` otherwise (both
 * for on/off-like states). `entity@ns` → point.
 */
export async function integrationPoints(
  b: Bucket,
  entities: readonly string[],
  start: Date,
  end: Date,
): Promise<Map<string, StoredPoint>> {
  const rows = await flux(
    b.url,
    b.org,
    b.token,
    `ids = ${fluxSet(entities)}\nfrom(bucket: "${b.bucket}") |> ${range(start, end)} ` +
      `|> filter(fn: (r) => (r._field == "state" or r._field == "value") and contains(value: r.domain + "." + r.entity_id, set: ids)) ` +
      `|> keep(columns: ["_time", "_value", "_field", "domain", "entity_id"])`,
  );
  const out = new Map<string, StoredPoint>();
  for (const r of rows) {
    const key = `${r['domain']}.${r['entity_id']}@${isoNs(r['_time'] ?? '')}`;
    const p = out.get(key) ?? {};
    if (r['_field'] === 'state') p.state = r['_value'] ?? '';
    else p.value = Number(r['_value']);
    out.set(key, p);
  }
  return out;
}

/**
 * Whether a stored point carries the recorded state: its `state` field equals it, or (HA's integration writes
 * numbers as a float `value` only) its `value` is the number the state reads as.
 */
export function sameValue(recorded: string, p: StoredPoint): boolean {
  if (p.state !== undefined) return p.state === recorded;
  return p.value !== undefined && recorded.trim() !== '' && Number(recorded) === p.value;
}

/** Compares a bucket's points with the recorder's changes (`entity@ns` → state), restricted to `entities`. */
export function tally(
  recorder: ReadonlyMap<string, string>,
  stored: ReadonlyMap<string, StoredPoint>,
  entities: ReadonlySet<string>,
): Tally {
  const t: Tally = { held: 0, missing: 0, wrong: 0, extra: 0 };
  const inSet = (key: string): boolean => entities.has(key.slice(0, key.lastIndexOf('@')));
  for (const [key, state] of recorder) {
    if (!inSet(key)) continue;
    const p = stored.get(key);
    if (p === undefined) t.missing += 1;
    else if (sameValue(state, p)) t.held += 1;
    else t.wrong += 1;
  }
  for (const key of stored.keys()) if (inSet(key) && !recorder.has(key)) t.extra += 1;
  return t;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export async function cpuSeconds(pid: number, ticksPerSecond: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
