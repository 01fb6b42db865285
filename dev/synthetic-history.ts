/**
 * Synthetic history written straight into a real influxd, in HomeIQ's layout: raw points (fields `state` and
 * `value`, the ingestor's tags) and the 5-minute and hourly summaries (`mean`, `min`, `max`, `count`) exactly as
 * the influxdb add-on's tasks compute them from those raw points: a summary stamped W covers [W - period, W).
 * Raw points older than `rawFromMs` are not written (the raw bucket's retention would refuse them) but still
 * feed the summaries, as they did when they were fresh.
 */

export interface HistoryEntity {
  entityId: string;
  unit?: string;
  deviceClass?: string;
  area?: string;
  name?: string;
  /** Numeric state at `ms`, or a text state (then no `value` field and no summaries, as the ingestor writes). */
  at(ms: number): number | string;
  /** This entity's summaries end here (a task lagging for it), instead of the options' `summariesUntilMs`. */
  summariesUntilMs?: number;
}

export interface HistoryTarget {
  url: string;
  token: string;
  org: string;
  raw: string;
  /** Summary buckets to fill, by period. */
  summaries: { '5m'?: string; '1h'?: string };
}

export interface HistoryOptions {
  entities: HistoryEntity[];
  startMs: number;
  endMs: number;
  /** One raw point per entity this often (each entity's points are offset by a few seconds). */
  rawEveryMs: number;
  /** Raw points before this are not written (default: all). */
  rawFromMs?: number;
  /** Summaries only for windows starting at or after this (when the tasks began; default: all). */
  summariesFromMs?: number;
  /** Summaries only for windows ending at or before this (the tasks' lag; default `endMs`). */
  summariesUntilMs?: number;
}

const PERIODS = { '5m': 300_000, '1h': 3_600_000 } as const;
const BATCH_LINES = 5000;

const tagEscape = (s: string): string => s.replace(/[,= \\]/g, (c) => `\\${c}`);
const strField = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

function tags(e: HistoryEntity): string {
  const domain = e.entityId.split('.')[0] as string;
  const t: Array<[string, string | undefined]> = [
    ['area', e.area],
    ['device_class', e.deviceClass],
    ['domain', domain],
    ['entity_id', e.entityId],
    ['unit', e.unit],
  ];
  return `${tagEscape(domain)},${t
    .filter((x): x is [string, string] => x[1] !== undefined)
    .map(([k, v]) => `${k}=${tagEscape(v)}`)
    .join(',')}`;
}

/** Raw point times of entity `i`: every `rawEveryMs`, offset so that no point sits on a window boundary. */
export function rawTimes(i: number, opts: HistoryOptions): number[] {
  const out: number[] = [];
  const offset = 7000 + i * 3000;
  const first = Math.ceil((opts.startMs - offset) / opts.rawEveryMs) * opts.rawEveryMs + offset;
  for (let t = first; t < opts.endMs; t += opts.rawEveryMs) out.push(t);
  return out;
}

async function post(target: HistoryTarget, bucket: string, lines: string[]): Promise<void> {
  const res = await fetch(
    `${target.url}/api/v2/write?org=${encodeURIComponent(target.org)}&bucket=${encodeURIComponent(bucket)}&precision=ms`,
    { method: 'POST', headers: { Authorization: `Token ${target.token}` }, body: lines.join('\n') },
  );
  if (res.status !== 204) throw new Error(`writing history to ${bucket} answered ${res.status}: ${await res.text()}`);
}

/** Writes the history; returns how many lines went to each bucket. */
export async function writeHistory(target: HistoryTarget, opts: HistoryOptions): Promise<Record<string, number>> {
  const written: Record<string, number> = {};
  const pending = new Map<string, string[]>();
  const inFlight: Promise<void>[] = [];
  const add = async (bucket: string, line: string): Promise<void> => {
    let b = pending.get(bucket);
    if (!b) {
      b = [];
      pending.set(bucket, b);
    }
    b.push(line);
    written[bucket] = (written[bucket] ?? 0) + 1;
    if (b.length >= BATCH_LINES) {
      pending.set(bucket, []);
      const p = post(target, bucket, b);
      p.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
      inFlight.push(p);
      // Two batches in flight at most: influxd parses one while we build the next.
      if (inFlight.length >= 2) await inFlight.shift();
    }
  };
  const rawFrom = opts.rawFromMs ?? opts.startMs;
  const from = opts.summariesFromMs ?? Number.NEGATIVE_INFINITY;
  const untilAll = opts.summariesUntilMs ?? opts.endMs;
  for (const [i, e] of opts.entities.entries()) {
    const head = tags(e);
    const until = e.summariesUntilMs ?? untilAll;
    const windows = new Map<string, { w: number; sum: number; min: number; max: number; n: number }>();
    const flush = async (period: '5m' | '1h', bucket: string, next: number): Promise<void> => {
      const cur = windows.get(period);
      if (cur && cur.w !== next && cur.w <= until && cur.w - PERIODS[period] >= from) {
        await add(bucket, `${head} mean=${cur.sum / cur.n},min=${cur.min},max=${cur.max},count=${cur.n} ${cur.w}`);
      }
    };
    for (const t of rawTimes(i, opts)) {
      const v = e.at(t);
      if (t >= rawFrom) {
        const fields = typeof v === 'number' ? `state=${strField(String(v))},value=${v}` : `state=${strField(v)}`;
        const name = e.name ? `,attr_friendly_name_str=${strField(e.name)}` : '';
        await add(target.raw, `${head} ${fields}${name} ${t}`);
      }
      if (typeof v !== 'number') continue;
      for (const period of ['5m', '1h'] as const) {
        const bucket = target.summaries[period];
        if (!bucket) continue;
        // The window [W - period, W) holds t; its summary is stamped W.
        const w = Math.floor(t / PERIODS[period]) * PERIODS[period] + PERIODS[period];
        await flush(period, bucket, w);
        const cur = windows.get(period);
        if (cur && cur.w === w) {
          cur.sum += v;
          cur.n += 1;
          cur.min = Math.min(cur.min, v);
          cur.max = Math.max(cur.max, v);
        } else windows.set(period, { w, sum: v, min: v, max: v, n: 1 });
      }
    }
    for (const period of ['5m', '1h'] as const) {
      const bucket = target.summaries[period];
      if (bucket) await flush(period, bucket, Number.NaN);
    }
  }
  for (const [bucket, lines] of pending) if (lines.length > 0) inFlight.push(post(target, bucket, lines));
  await Promise.all(inFlight);
  return written;
}

/** A smooth, deterministic temperature-like curve: a daily swing, a yearly one, and a little ripple. */
export function wave(base: number, daily: number, yearly: number, seed: number): (ms: number) => number {
  return (ms) => {
    const d = ms / 86_400_000;
    const v =
      base +
      daily * Math.sin(2 * Math.PI * (d + seed / 7)) +
      yearly * Math.sin((2 * Math.PI * d) / 365.25 + seed) +
      0.3 * Math.sin(d * 97.3 + seed * 11);
    return Math.round(v * 100) / 100;
  };
}
