import type { ExploreResult, ExploreSeries, ExploreSource } from '../api-types.js';
import type { InfluxReader } from '../influx/flux.js';
import type { StoredExploreEntity } from './catalog.js';
import { planExplore, type Plan } from './plan.js';
import { readStates, readValues, type Values } from './series.js';
import { microsToRfc3339 } from './time.js';

export interface ExploreRequest {
  entities: string[];
  startMs: number;
  endMs: number;
  widthPx: number;
  source: ExploreSource;
  every: string;
  /** Also the previous period of the same length, overlaid. */
  compare: boolean;
}

const SUMMARIES = { '5m': '5-minute summaries', '1h': 'hourly summaries' } as const;

/**
 * One Explore chart: numeric entities as series from the planned bucket, the others as timeline bands, and the
 * previous period when asked. Summaries exist only where the influxdb add-on's tasks ran (not before it was
 * installed, nor for imported history, nor for the last minutes), so where a summary bucket has nothing the
 * raw bucket fills in, averaged over the same windows, and the series says so.
 */
export async function explore(
  influx: InfluxReader,
  known: ReadonlyMap<string, StoredExploreEntity>,
  req: ExploreRequest,
): Promise<ExploreResult> {
  const t0 = performance.now();
  const g = await influx.grant();
  const plan = planExplore({ ...req, buckets: g.buckets });
  const numeric = req.entities.filter((id) => known.get(id)?.kind !== 'state');
  const states = req.entities.filter((id) => known.get(id)?.kind === 'state');
  const span = req.endMs - req.startMs;
  const stateWindow = plan.every ?? (plan.source === 'raw' ? undefined : plan.source);
  const [series, bands, previous] = await Promise.all([
    numericSeries(influx, g.buckets.raw, plan, numeric, req.startMs, req.endMs),
    states.length > 0
      ? readStates(influx, g.buckets.raw, states, req.startMs, req.endMs, stateWindow)
      : Promise.resolve([]),
    req.compare ? numericSeries(influx, g.buckets.raw, plan, numeric, req.startMs - span, req.startMs) : undefined,
  ]);
  const unit = (s: ExploreSeries): ExploreSeries => ({ ...s, unit: known.get(s.entityId)?.unit });
  const shiftUs = span * 1000;
  return {
    start: req.startMs,
    end: req.endMs,
    plan: {
      source: plan.source,
      bucket: plan.bucket,
      field: plan.field,
      every: plan.every,
      auto: plan.auto,
      label: plan.label,
    },
    series: series.map(unit),
    bands,
    previous: previous
      ? {
          start: req.startMs - span,
          end: req.startMs,
          shiftMs: span,
          series: previous.map((s) => unit({ ...s, times: s.times.map((t) => t + shiftUs) })),
        }
      : undefined,
    tookMs: Math.round(performance.now() - t0),
  };
}

async function numericSeries(
  influx: InfluxReader,
  raw: string,
  plan: Plan,
  ids: string[],
  startMs: number,
  endMs: number,
): Promise<ExploreSeries[]> {
  if (ids.length === 0) return [];
  const rawQuery = (which: string[], s: number, e: number, every: string | undefined) =>
    readValues(influx, { bucket: raw, field: 'value', ids: which, startMs: s, endMs: e, every, summaries: false });
  if (plan.source === 'raw') {
    const r = await rawQuery(ids, startMs, endMs, plan.every);
    return ids.map((id) =>
      series(
        id,
        r.values.get(id),
        r.capped.has(id) ? [`only the first ${r.values.get(id)?.size ?? 0} points; choose a window`] : [],
        r.capped.has(id),
      ),
    );
  }
  const windowMs = plan.everyMs ?? plan.periodMs;
  const every = plan.every ?? plan.source;
  // The tasks keep the summaries within a period or two of now, so the raw tail is asked for beside the summaries
  // (one round trip instead of two), from a window boundary; a longer lag gets the rest asked for afterwards.
  const guess = Math.max(startMs, Math.floor((endMs - 2 * plan.periodMs - windowMs) / windowMs) * windowMs);
  const [ds, tailGuess] = await Promise.all([
    readValues(influx, {
      bucket: plan.bucket,
      field: plan.field,
      ids,
      startMs,
      endMs,
      every: plan.every,
      summaries: true,
    }),
    guess < endMs ? rawQuery(ids, guess, endMs, every) : undefined,
  ]);
  const missing: string[] = [];
  const heads = new Map<string, number>();
  const tails = new Map<string, number>();
  for (const id of ids) {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const t of ds.values.get(id)?.keys() ?? []) {
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
    if (!Number.isFinite(first)) {
      missing.push(id);
      continue;
    }
    if (first / 1000 - windowMs > startMs) heads.set(id, first);
    tails.set(id, last);
  }
  // Raw before an entity's first summary window, and from its last one up to the guess, each over that entity's
  // own gap: a sensor added last month, or removed a year ago, must not have the others' raw points read for
  // years to no use. Entities with the same gap share a query.
  const headGaps = new Map([...heads].map(([id, first]): [string, Gap] => [id, [startMs, first / 1000 - windowMs]]));
  const tailGaps = new Map(
    [...tails].map(([id, last]): [string, Gap] => [id, [Math.max(startMs, last / 1000 - windowMs), guess]]),
  );
  const perGap = (gaps: Map<string, Gap>) => rawPerGap(gaps, (which, s, e) => rawQuery(which, s, e, every));
  const [full, head, tailMore] = await Promise.all([
    missing.length > 0 ? rawQuery(missing, startMs, endMs, every) : undefined,
    perGap(headGaps),
    perGap(tailGaps),
  ]);
  const name = SUMMARIES[plan.source];
  return ids.map((id) => {
    const notes: string[] = [];
    if (missing.includes(id)) {
      const got = full?.values.get(id);
      if (got && got.size > 0) notes.push(`no ${name} in this range: raw values, mean per ${every}`);
      return series(id, got, notes, false);
    }
    const merged = new Map(ds.values.get(id));
    const first = heads.get(id);
    if (first !== undefined) {
      let filled = 0;
      for (const [t, v] of head.get(id) ?? []) {
        if (t < first && !merged.has(t)) {
          merged.set(t, v);
          filled++;
        }
      }
      if (filled > 0) notes.push(`before ${microsToRfc3339(first)} (where the ${name} start): raw values`);
    }
    const last = tails.get(id) as number;
    for (const part of [tailMore.get(id), tailGuess?.values.get(id)])
      for (const [t, v] of part ?? []) if (t >= last) merged.set(t, v);
    return series(id, merged, notes, false);
  });
}

/** A range in Unix ms, [from, to). */
type Gap = [number, number];

/** `read` over each entity's own gap (empty gaps skipped), one query per distinct gap; values per entity. */
async function rawPerGap(
  gaps: ReadonlyMap<string, Gap>,
  read: (ids: string[], fromMs: number, toMs: number) => Promise<{ values: Values }>,
): Promise<Values> {
  const groups = new Map<string, { ids: string[]; gap: Gap }>();
  for (const [id, gap] of gaps) {
    if (!(gap[0] < gap[1])) continue;
    const key = gap.join('/');
    const g = groups.get(key) ?? { ids: [], gap };
    g.ids.push(id);
    groups.set(key, g);
  }
  const out: Values = new Map();
  for (const r of await Promise.all([...groups.values()].map((g) => read(g.ids, ...g.gap))))
    for (const [id, m] of r.values) out.set(id, m);
  return out;
}

function series(
  entityId: string,
  m: Map<number, number> | undefined,
  notes: string[],
  truncated: boolean,
): ExploreSeries {
  const times = [...(m?.keys() ?? [])].sort((a, b) => a - b);
  return {
    entityId,
    unit: undefined,
    times,
    values: times.map((t) => (m as Map<number, number>).get(t) as number),
    notes,
    truncated,
  };
}
