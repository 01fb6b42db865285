import { FluxQueryError, parseJson, readFluxTables, type FluxTable, type MigrationSourceConfig } from '@homeiq/shared';
import { isoToNsGeneral } from '../points/line-protocol.js';
import { haEntityId } from './ha-schema.js';
import { answerMessage, origin, sourceRequest } from './source-http.js';
import {
  SourceError,
  type HaSeries,
  type MigrationSource,
  type ReadSelection,
  type SourcePoint,
  type SourceSeries,
  type SourceSurvey,
  objectIds,
} from './source-types.js';
import { TimeReader } from './source-time.js';
import { defaultShardDuration, NS_PER_S } from './windows.js';

type V2Config = Extract<MigrationSourceConfig, { kind: 'influxdb2' }>;

const MAX_SERIES = 200_000;
const MAX_WINDOW_BODY = 48 * 1024 * 1024;
/** Columns of a Flux row that are not tags. */
const NOT_TAGS = new Set(['_time', '_value', '_field', '_measurement', '_start', '_stop']);
/** Series of HA's schema only (storage predicates: both tags set). */
const HA_SERIES = 'r.domain != "" and r.entity_id != ""';

/** A Flux string literal. */
const str = (s: string): string => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('$', '\\$')}"`;

/** A Flux cell as the JS value of its column's type; undefined when it does not read as one. */
function typed(type: string, v: string): unknown {
  switch (type) {
    case 'double': {
      const n = Number(v === '+Inf' ? 'Infinity' : v === '-Inf' ? '-Infinity' : v);
      return Number.isNaN(n) && v !== 'NaN' ? undefined : n;
    }
    case 'long':
    case 'unsignedLong':
      if (!/^-?\d+$/.test(v)) return undefined;
      return Number.isSafeInteger(Number(v)) ? Number(v) : BigInt(v);
    case 'boolean':
      return v === 'true' ? true : v === 'false' ? false : undefined;
    case 'string':
      return v;
    default:
      return undefined;
  }
}

/**
 * An InfluxDB 2.x bucket through Flux (`/api/v2/query`, token). Every window is one `from |> range |> filter`
 * over HA's series, read as annotated CSV (each field's own type) and joined back into points by series and time.
 */
export class FluxSource implements MigrationSource {
  /** The annotated CSV is parsed in one go (about 10 fields of 100 bytes a point): smaller windows than InfluxQL's. */
  readonly windowPoints = 5000;
  constructor(readonly config: V2Config) {}

  async #flux(query: string, maxBodyBytes = 16 * 1024 * 1024): Promise<FluxTable[]> {
    const res = await sourceRequest(this.config.url, `/api/v2/query?org=${encodeURIComponent(this.config.org)}`, {
      method: 'POST',
      headers: {
        Authorization: `Token ${this.config.token}`,
        'Content-Type': 'application/json',
        Accept: 'application/csv',
      },
      body: JSON.stringify({
        query,
        type: 'flux',
        dialect: { header: true, annotations: ['datatype', 'group', 'default'] },
      }),
      timeoutMs: 120_000,
      maxBodyBytes,
    });
    if (res.status === 401 || res.status === 403)
      throw new SourceError('auth', `the source InfluxDB refused the token (${res.status}: ${answerMessage(res)})`);
    if (res.status === 404)
      throw new SourceError(
        'not_found',
        `the source InfluxDB does not know that organization or bucket (${answerMessage(res)})`,
      );
    if (res.status !== 200)
      throw new SourceError(
        res.status >= 500 ? 'bad_answer' : 'refused',
        `the source InfluxDB refused a query (${res.status}: ${answerMessage(res)})`,
      );
    try {
      return readFluxTables(res.body.toString('utf8'));
    } catch (err) {
      if (err instanceof FluxQueryError) throw new SourceError('refused', `the source's query failed: ${err.message}`);
      throw err;
    }
  }

  async survey(): Promise<SourceSurvey> {
    const ping = await sourceRequest(this.config.url, '/ping', { timeoutMs: 10_000 });
    const version = String(ping.headers['x-influxdb-version'] ?? '');
    if (ping.status !== 204 && ping.status !== 200)
      throw new SourceError('refused', `${origin(this.config.url)} is not an InfluxDB (/ping answered ${ping.status})`);
    if (/^v?1\./.test(version))
      throw new SourceError(
        'refused',
        `${origin(this.config.url)} is InfluxDB ${version}: choose InfluxDB 1.x and give its database`,
      );
    const durationNs = await this.#shardDuration();
    const { series, foreign, truncated, firstNs, lastNs } = await this.#series();
    return {
      serverVersion: version || '2.x',
      series,
      truncated,
      foreign,
      mixedTypes: [],
      fieldTypes: new Map(),
      shards: { boundaries: [], durationNs },
      firstNs,
      lastNs,
    };
  }

  async #shardDuration(): Promise<bigint> {
    const q = `/api/v2/buckets?org=${encodeURIComponent(this.config.org)}&name=${encodeURIComponent(this.config.bucket)}`;
    const res = await sourceRequest(this.config.url, q, {
      headers: { Authorization: `Token ${this.config.token}`, Accept: 'application/json' },
      timeoutMs: 30_000,
    });
    if (res.status === 401 || res.status === 403)
      throw new SourceError('auth', `the source InfluxDB refused the token (${res.status}: ${answerMessage(res)})`);
    if (res.status === 404)
      throw new SourceError(
        'not_found',
        /bucket/i.test(answerMessage(res))
          ? `bucket '${this.config.bucket}' not found in organization '${this.config.org}' (or the token may not read it)`
          : `organization '${this.config.org}' not found on the source (or the token may not read it)`,
      );
    if (res.status !== 200)
      throw new SourceError(
        res.status >= 500 ? 'bad_answer' : 'refused',
        `the source answered ${res.status}: ${answerMessage(res)}`,
      );
    let buckets: Array<{
      name?: string;
      retentionRules?: Array<{ everySeconds?: number; shardGroupDurationSeconds?: number }>;
    }>;
    try {
      buckets = (parseJson(res.body.toString('utf8')) as { buckets?: typeof buckets }).buckets ?? [];
    } catch {
      throw new SourceError('bad_answer', 'the source answered the bucket list with something that is not JSON');
    }
    const b = buckets.find((x) => x.name === this.config.bucket);
    if (!b)
      throw new SourceError(
        'not_found',
        `bucket '${this.config.bucket}' not found in organization '${this.config.org}' (or the token may not read it)`,
      );
    const rule = b.retentionRules?.[0];
    const shard = rule?.shardGroupDurationSeconds;
    if (typeof shard === 'number' && shard > 0) return BigInt(shard) * NS_PER_S;
    return defaultShardDuration(BigInt(rule?.everySeconds ?? 0) * NS_PER_S);
  }

  /** HA's series and their time extent: the first and last point of every series (aggregates InfluxDB pushes down). */
  async #series(): Promise<Pick<SourceSurvey, 'series' | 'foreign' | 'truncated' | 'firstNs' | 'lastNs'>> {
    const pick = (fn: 'first' | 'last'): string =>
      `from(bucket: ${str(this.config.bucket)}) |> range(start: 0) |> filter(fn: (r) => ${HA_SERIES}) |> ${fn}() |> keep(columns: ["_time", "_measurement", "domain", "entity_id"])`;
    const seen = new Map<string, HaSeries>();
    let firstNs: bigint | undefined;
    let lastNs: bigint | undefined;
    let truncated = false;
    for (const fn of ['first', 'last'] as const) {
      for (const t of await this.#flux(pick(fn), 64 * 1024 * 1024)) {
        const at = (name: string): number => t.columns.findIndex((c) => c.name === name);
        const [ti, mi, di, ei] = [at('_time'), at('_measurement'), at('domain'), at('entity_id')];
        for (const row of t.rows) {
          const ns = isoToNsGeneral(row[ti] ?? '');
          if (ns !== undefined) {
            const b = BigInt(ns);
            if (fn === 'first' && (firstNs === undefined || b < firstNs)) firstNs = b;
            if (fn === 'last' && (lastNs === undefined || b > lastNs)) lastNs = b;
          }
          const entityId = haEntityId({ domain: row[di] ?? '', entity_id: row[ei] ?? '' });
          const measurement = row[mi] ?? '';
          if (entityId === undefined) continue;
          const key = `${measurement}\u0000${entityId}`;
          if (seen.has(key)) continue;
          if (seen.size >= MAX_SERIES) truncated = true;
          else seen.set(key, { measurement, entityId });
        }
      }
    }
    const series = [...seen.values()].sort((a, b) => (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0));
    const measurements = await this.#flux(
      `import "influxdata/influxdb/schema"\nschema.measurements(bucket: ${str(this.config.bucket)}, start: 0)`,
    );
    const ha = new Set(series.map((s) => s.measurement));
    const foreign = measurements
      .flatMap((t) => t.rows.map((r) => r[t.columns.findIndex((c) => c.name === '_value')] ?? ''))
      .filter((m) => m !== '' && !ha.has(m))
      .map((measurement) => ({ measurement, series: 0 }));
    return { series, foreign, truncated, firstNs, lastNs };
  }

  async read(startNs: bigint, endNs: bigint, selection: ReadSelection, _survey: SourceSurvey): Promise<SourcePoint[]> {
    const only = selection.entities ? ` and r.entity_id =~ /^(?:${objectIds(selection.entities).join('|')})$/` : '';
    const q = `from(bucket: ${str(this.config.bucket)}) |> range(start: time(v: ${startNs}), stop: time(v: ${endNs})) |> filter(fn: (r) => ${HA_SERIES}${only}) |> drop(columns: ["_start", "_stop"])`;
    const builders = new Map<string, SeriesBuilder>();
    const times = new TimeReader();
    for (const t of await this.#flux(q, MAX_WINDOW_BODY)) tableToPoints(t, builders, times);
    const out: SourcePoint[] = [];
    for (const b of builders.values())
      for (const [timeNs, values] of b.byTime) out.push({ series: b.series, values, timeNs });
    return out;
  }
}

/** A series being put together from its fields' tables: each field's index, each time's values. */
interface SeriesBuilder {
  series: SourceSeries & { fields: string[]; ints: Set<number> };
  index: Map<string, number>;
  byTime: Map<string, unknown[]>;
}

/** One table (one field of one series) into the builder of its series: its values by time. */
function tableToPoints(t: FluxTable, builders: Map<string, SeriesBuilder>, times: TimeReader): void {
  const cols = t.columns;
  const first = t.rows[0];
  if (!first) return;
  const ti = cols.findIndex((c) => c.name === '_time');
  const vi = cols.findIndex((c) => c.name === '_value');
  const fi = cols.findIndex((c) => c.name === '_field');
  const mi = cols.findIndex((c) => c.name === '_measurement');
  const tagAt = cols.flatMap((c, i) => (NOT_TAGS.has(c.name) ? [] : [i]));
  const type = cols[vi]?.type ?? '';
  // The group key holds the series: one measurement and tag set per table.
  const key = [first[mi], ...tagAt.map((i) => `${cols[i]?.name}=${first[i]}`)].join('\u0000');
  let b = builders.get(key);
  if (!b) {
    const tags = Object.create(null) as Record<string, string>;
    for (const i of tagAt) if ((first[i] ?? '') !== '') tags[cols[i]?.name as string] = first[i] as string;
    b = {
      series: { measurement: first[mi] ?? '', tags, fields: ['time'], ints: new Set(), entityId: haEntityId(tags) },
      index: new Map(),
      byTime: new Map(),
    };
    builders.set(key, b);
  }
  const field = first[fi] ?? '';
  let at = b.index.get(field);
  if (at === undefined) {
    at = b.series.fields.length;
    b.series.fields.push(field);
    b.index.set(field, at);
  }
  if (type === 'long' || type === 'unsignedLong') b.series.ints.add(at);
  for (const row of t.rows) {
    const time = row[ti] ?? '';
    const timeNs = times.ns(time);
    const value = typed(type, row[vi] ?? '');
    if (timeNs === undefined || value === undefined) continue;
    let values = b.byTime.get(timeNs);
    if (!values) {
      values = [time];
      b.byTime.set(timeNs, values);
    }
    values[at] = value;
  }
}
