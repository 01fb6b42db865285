import {
  InfluxqlError,
  readInfluxqlAnswer,
  type InfluxqlResult,
  type InfluxqlSeries,
  type MigrationSourceConfig,
} from '@homeiq/shared';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { isoToNsGeneral } from '../points/line-protocol.js';
import { haEntityId } from './ha-schema.js';
import { parseSeriesKey } from './series-key.js';
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

type V1Config = Extract<MigrationSourceConfig, { kind: 'influxdb1' }>;

/** HA's series listed at most (a home has hundreds to a few thousand; the page size of SHOW SERIES below). */
export const MAX_SERIES = 200_000;
const PAGE = 10_000;
/** A window's answer is read whole: bounded, and the window shrinks when it does not fit. */
const MAX_WINDOW_BODY = 32 * 1024 * 1024;
const CHUNK_ROWS = 5000;
/** Statements sent in one request (one per measurement; a home may have thousands of unit-less entities). */
const STATEMENTS_PER_REQUEST = 200;

/** `"name"` for InfluxQL. */
const ident = (s: string): string => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** Parses Go's duration text as InfluxQL prints it (`168h0m0s`, `0s`) into ns. */
export function goDurationNs(s: string): bigint {
  let ns = 0n;
  for (const [, n, unit] of s.matchAll(/(\d+)(h|m|s|ms|us|µs|ns)/g)) {
    const mult: Record<string, bigint> = {
      h: 3600n * NS_PER_S,
      m: 60n * NS_PER_S,
      s: NS_PER_S,
      ms: 1_000_000n,
      us: 1000n,
      µs: 1000n,
      ns: 1n,
    };
    ns += BigInt(n as string) * (mult[unit as string] as bigint);
  }
  return ns;
}

/**
 * An InfluxDB 1.x database through InfluxQL (`/query`, user and password by Basic auth when given). Every window
 * is one `SELECT * … GROUP BY *` over HA's series, chunked, times as RFC 3339 text (exact nanoseconds, which JSON
 * numbers cannot carry).
 */
export class InfluxqlSource implements MigrationSource {
  /** The answer is parsed chunk by chunk, yielding in between. */
  readonly windowPoints = 20_000;
  #rp: string | undefined;

  constructor(readonly config: V1Config) {}

  #headers(): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (this.config.username !== undefined)
      h['Authorization'] =
        `Basic ${Buffer.from(`${this.config.username}:${this.config.password ?? ''}`).toString('base64')}`;
    return h;
  }

  /** One InfluxQL statement; its results (one per chunk when chunked). Errors of any form become SourceError. */
  async #query(
    q: string,
    opts: { db?: boolean; chunked?: boolean; maxBodyBytes?: number } = {},
  ): Promise<InfluxqlResult[]> {
    const form = new URLSearchParams({ q });
    if (opts.db !== false) form.set('db', this.config.database);
    if (opts.chunked) {
      form.set('chunked', 'true');
      form.set('chunk_size', String(CHUNK_ROWS));
    }
    const res = await sourceRequest(this.config.url, '/query', {
      method: 'POST',
      headers: { ...this.#headers(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      timeoutMs: 120_000,
      maxBodyBytes: opts.maxBodyBytes ?? 16 * 1024 * 1024,
    });
    if (res.status === 401 || res.status === 403)
      throw new SourceError(
        'auth',
        `the source InfluxDB refused ${this.config.username === undefined ? 'access without a user name' : `user '${this.config.username}'`} (${res.status}: ${answerMessage(res)})`,
      );
    if (res.status !== 200)
      throw new SourceError(
        res.status >= 500 ? 'bad_answer' : 'refused',
        `the source InfluxDB answered ${res.status} to ${q.split(' ').slice(0, 2).join(' ')}: ${answerMessage(res)}`,
      );
    try {
      const text = res.body.toString('utf8');
      if (!opts.chunked) return readInfluxqlAnswer(text);
      // One chunk (at most CHUNK_ROWS rows) at a time, yielding in between: live events are read meanwhile.
      const out: InfluxqlResult[] = [];
      for (let at = 0; at < text.length; ) {
        const nl = text.indexOf('\n', at);
        const end = nl < 0 ? text.length : nl;
        for (const r of readInfluxqlAnswer(text.slice(at, end))) out.push(r);
        at = end + 1;
        await yieldToLoop();
      }
      return out;
    } catch (err) {
      if (!(err instanceof InfluxqlError)) throw err;
      if (err.kind === 'not_json') throw new SourceError('bad_answer', `the source sent ${err.message}`);
      throw this.#statementError(err.message);
    }
  }

  #statementError(message: string): SourceError {
    if (/database not found/.test(message))
      return new SourceError('not_found', `database '${this.config.database}' does not exist on the source`);
    if (/retention policy not found/.test(message))
      return new SourceError(
        'not_found',
        `retention policy '${this.config.retentionPolicy}' does not exist in database '${this.config.database}'`,
      );
    if (/authoriz|privilege/i.test(message)) return new SourceError('auth', `the source InfluxDB refused: ${message}`);
    return new SourceError('refused', `the source InfluxDB refused the query: ${message}`);
  }

  async survey(): Promise<SourceSurvey> {
    const ping = await sourceRequest(this.config.url, '/ping', { timeoutMs: 10_000 });
    const version = String(ping.headers['x-influxdb-version'] ?? '');
    if (ping.status !== 204 && ping.status !== 200)
      throw new SourceError('refused', `${origin(this.config.url)} is not an InfluxDB (/ping answered ${ping.status})`);
    if (/^v?[2-9]\./.test(version))
      throw new SourceError(
        'refused',
        `${origin(this.config.url)} is InfluxDB ${version}: choose InfluxDB 2.x and give its organization, bucket and token`,
      );

    const dbs = (await this.#query('SHOW DATABASES', { db: false }))
      .flatMap((r) => r.series ?? [])
      .flatMap((s) => (s.values ?? []).map((v) => String(v[0])));
    if (!dbs.includes(this.config.database))
      throw new SourceError(
        'not_found',
        `database '${this.config.database}' does not exist on the source${this.config.username ? ` or user '${this.config.username}' may not read it` : ''} (it has: ${dbs.filter((d) => d !== '_internal').join(', ') || 'none'})`,
      );
    const rps = (await this.#query(`SHOW RETENTION POLICIES ON ${ident(this.config.database)}`)).flatMap(
      (r) => r.series ?? [],
    )[0];
    const rpRows = (rps?.values ?? []).map((v) => ({
      name: String(v[0]),
      duration: String(v[1]),
      shard: String(v[2]),
      dflt: v[4] === true,
    }));
    const rp = this.config.retentionPolicy
      ? rpRows.find((r) => r.name === this.config.retentionPolicy)
      : rpRows.find((r) => r.dflt);
    if (!rp)
      throw new SourceError(
        'not_found',
        `retention policy '${this.config.retentionPolicy ?? '(default)'}' does not exist in database '${this.config.database}' (it has: ${rpRows.map((r) => r.name).join(', ') || 'none'})`,
      );
    this.#rp = rp.name;
    const durationNs = goDurationNs(rp.shard) || defaultShardDuration(goDurationNs(rp.duration));
    const boundaries = await this.#shardBoundaries(rp.name);

    const fieldTypes = new Map<string, Map<string, string[]>>();
    for (const s of (await this.#query(`SHOW FIELD KEYS FROM ${ident(rp.name)}./.*/`)).flatMap((r) => r.series ?? [])) {
      const m = new Map<string, string[]>();
      for (const [k, t] of s.values ?? []) m.set(String(k), [...(m.get(String(k)) ?? []), String(t)]);
      fieldTypes.set(String(s.name), m);
    }
    const { series, foreign, truncated } = await this.#series();
    const mixedTypes = [...fieldTypes].flatMap(([measurement, m]) =>
      [...m].filter(([, t]) => t.length > 1).map(([field, types]) => ({ measurement, field, types })),
    );
    const [firstNs, lastNs] = series.length > 0 ? await this.#extent() : [undefined, undefined];
    return {
      serverVersion: version || '1.x',
      series,
      truncated,
      foreign,
      mixedTypes,
      fieldTypes,
      shards: { boundaries, durationNs },
      firstNs,
      lastNs,
    };
  }

  /** The retention policy's shard boundaries when the user may list shards (admins), else none. */
  async #shardBoundaries(rp: string): Promise<bigint[]> {
    let rows: unknown[][];
    try {
      const s = (await this.#query('SHOW SHARDS', { db: false })).flatMap((r) => r.series ?? []);
      rows = s.filter((x) => x.name === this.config.database).flatMap((x) => x.values ?? []);
    } catch (err) {
      if (err instanceof SourceError && (err.kind === 'auth' || err.kind === 'refused')) return [];
      throw err;
    }
    const set = new Set<bigint>();
    for (const r of rows) {
      if (r[2] !== rp) continue;
      for (const t of [r[4], r[5]]) {
        const ns = typeof t === 'string' ? isoToNsGeneral(t) : undefined;
        if (ns !== undefined) set.add(BigInt(ns));
      }
    }
    return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async #series(): Promise<{ series: HaSeries[]; foreign: SourceSurvey['foreign']; truncated: boolean }> {
    const series: HaSeries[] = [];
    const foreign = new Map<string, number>();
    let truncated = false;
    for (let offset = 0; ; offset += PAGE) {
      const rows = (await this.#query(`SHOW SERIES LIMIT ${PAGE} OFFSET ${offset}`))
        .flatMap((r) => r.series ?? [])
        .flatMap((s) => s.values ?? []);
      for (const [key] of rows) {
        const parsed = parseSeriesKey(String(key));
        if (!parsed) continue;
        const entityId = haEntityId(parsed.tags);
        if (entityId === undefined) foreign.set(parsed.measurement, (foreign.get(parsed.measurement) ?? 0) + 1);
        else if (series.length < MAX_SERIES) series.push({ measurement: parsed.measurement, entityId });
        else truncated = true;
      }
      if (rows.length < PAGE) break;
    }
    series.sort((a, b) => (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0));
    return { series, foreign: [...foreign].map(([measurement, n]) => ({ measurement, series: n })), truncated };
  }

  /** Oldest and newest point of HA's series: the first and last point of each measurement, compared. */
  async #extent(): Promise<[bigint | undefined, bigint | undefined]> {
    const times = async (order: 'ASC' | 'DESC'): Promise<bigint[]> =>
      (await this.#query(`SELECT * FROM ${this.#from()} WHERE ${HA_SERIES} ORDER BY time ${order} LIMIT 1`))
        .flatMap((r) => r.series ?? [])
        .flatMap((s) => (s.values ?? []).map((v) => isoToNsGeneral(String(v[0]))))
        .filter((t): t is string => t !== undefined)
        .map(BigInt);
    const first = await times('ASC');
    const last = await times('DESC');
    const min = first.reduce<bigint | undefined>((a, b) => (a === undefined || b < a ? b : a), undefined);
    const max = last.reduce<bigint | undefined>((a, b) => (a === undefined || b > a ? b : a), undefined);
    return [min, max];
  }

  #from(): string {
    return `${ident(this.#rp ?? this.config.retentionPolicy ?? 'autogen')}./.*/`;
  }

  async read(startNs: bigint, endNs: bigint, selection: ReadSelection, survey: SourceSurvey): Promise<SourcePoint[]> {
    // One statement per measurement: a wildcard over several measurements selects the union of their fields,
    // mostly nulls, which InfluxDB is slow to print (measured: 8× slower for the same points).
    const byMeasurement = new Map<string, string[]>();
    for (const s of survey.series) {
      if (selection.entities && !selection.entities.has(s.entityId)) continue;
      byMeasurement.set(s.measurement, [...(byMeasurement.get(s.measurement) ?? []), s.entityId]);
    }
    const statements = [...byMeasurement].map(([m, ids]) => {
      const only = selection.entities ? ` AND "entity_id" =~ /^(?:${objectIds(ids).join('|')})$/` : '';
      return `SELECT * FROM ${ident(this.#rp ?? 'autogen')}.${ident(m)} WHERE time >= ${startNs} AND time < ${endNs} AND ${HA_SERIES}${only} GROUP BY *`;
    });
    const out: SourcePoint[] = [];
    const times = new TimeReader();
    for (let i = 0; i < statements.length; ) {
      let q = '';
      for (let n = 0; i < statements.length && n < STATEMENTS_PER_REQUEST && q.length < 256 * 1024; n += 1, i += 1)
        q += `${q === '' ? '' : ';'}${statements[i]}`;
      const results = await this.#query(q, { chunked: true, maxBodyBytes: MAX_WINDOW_BODY - out.length * 200 });
      for (const r of results) for (const s of r.series ?? []) rowsToPoints(s, survey, times, out);
    }
    return out;
  }
}

/** Series of HA's schema only: both tags present (InfluxQL's `!= ''` is "the tag is set"). */
const HA_SERIES = `"domain" != '' AND "entity_id" != ''`;

/** An answer's series into points: the row is the point's values as it is (`columns[0]` is `time`). */
function rowsToPoints(s: InfluxqlSeries, survey: SourceSurvey, times: TimeReader, out: SourcePoint[]): void {
  const measurement = String(s.name ?? '');
  const fields = s.columns ?? [];
  const types = survey.fieldTypes.get(measurement);
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(s.tags ?? {})) if (typeof v === 'string' && v !== '') tags[k] = v;
  const ints = new Set<number>();
  for (let i = 1; i < fields.length; i += 1) {
    const t = types?.get(fields[i] as string);
    if (t?.includes('integer') && !t.includes('float')) ints.add(i);
  }
  const series: SourceSeries = { measurement, tags, fields, ints, entityId: haEntityId(tags) };
  for (const row of s.values ?? []) {
    const timeNs = typeof row[0] === 'string' ? times.ns(row[0]) : undefined;
    if (timeNs !== undefined) out.push({ series, values: row, timeNs });
  }
}
