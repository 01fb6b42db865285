import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExploreResult } from '../../../homeiq-admin/src/api-types.js';
import { exploreCatalog, type StoredExploreEntity } from '../../../homeiq-admin/src/explore/catalog.js';
import { explore, type ExploreRequest } from '../../../homeiq-admin/src/explore/explore.js';
import { microsToRfc3339 } from '../../../homeiq-admin/src/explore/time.js';
import type { FluxParam, InfluxReader } from '../../../homeiq-admin/src/influx/flux.js';
import { adminReader } from '../../harness/admin-reader.js';
import {
  rawTimes,
  wave,
  writeHistory,
  type HistoryEntity,
  type HistoryOptions,
} from '../../../dev/synthetic-history.js';
import { startInfluxd, type RealInfluxd } from '../../../dev/peers/influxd.js';

// Explore's queries against a real influxd: history written in HomeIQ's layout with summaries as the influxdb
// add-on's tasks compute them, then every value on the chart checked against the points it comes from.
const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2025, 5, 1);
const RAW_EVERY = 5 * 60_000;
/** The tasks were installed 20 days before NOW: older data exists only raw (imported history). */
const TASKS_FROM = NOW - 20 * D;
/** And the last summaries lag behind: two hours (five for sensor.a, whose task lags more than the panel guesses). */
const SUMMARIES_UNTIL = NOW - 2 * H;

const temp = wave(20, 3, 0, 1);
const humid = wave(50, 10, 0, 2);
const power = wave(400, 150, 0, 3);
const ENTITIES: HistoryEntity[] = [
  {
    entityId: 'sensor.a_temperature',
    unit: '°C',
    deviceClass: 'temperature',
    area: 'kitchen',
    name: 'A',
    at: temp,
    summariesUntilMs: NOW - 5 * H,
  },
  { entityId: 'sensor.b_humidity', unit: '%', deviceClass: 'humidity', at: humid },
  { entityId: 'sensor.c_power', unit: 'W', at: power },
  { entityId: 'switch.d', at: (ms) => (Math.floor(ms / (3 * H)) % 2 ? 'on' : 'off') },
];
const byId = (id: string): HistoryEntity => ENTITIES.find((e) => e.entityId === id) as HistoryEntity;
const OPTS: HistoryOptions = { entities: ENTITIES, startMs: NOW - 30 * D, endMs: NOW, rawEveryMs: RAW_EVERY };

let influxd: RealInfluxd;
let reader: InfluxReader;
let dir: string;
let known: Map<string, StoredExploreEntity>;

beforeAll(async () => {
  influxd = await startInfluxd();
  const s = await influxd.setup({ bucket: 'homeassistant' });
  for (const name of ['homeassistant_5m', 'homeassistant_1h']) {
    const res = await fetch(`${influxd.url}/api/v2/buckets`, {
      method: 'POST',
      headers: { Authorization: `Token ${s.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ orgID: s.orgId, name, retentionRules: [] }),
    });
    expect(res.status).toBe(201);
  }
  const target = { url: influxd.url, token: s.token, org: s.org, raw: s.bucket, summaries: {} };
  // Raw for 30 days, and (as the tasks would have) the summaries from TASKS_FROM on; sensor.c has none at all.
  await writeHistory(target, OPTS);
  await writeHistory(
    { ...target, raw: 'unused', summaries: { '5m': 'homeassistant_5m', '1h': 'homeassistant_1h' } },
    {
      ...OPTS,
      entities: ENTITIES.slice(0, 2),
      rawFromMs: Number.POSITIVE_INFINITY,
      summariesFromMs: TASKS_FROM,
      summariesUntilMs: SUMMARIES_UNTIL,
    },
  );
  dir = await mkdtemp(join(tmpdir(), 'homeiq-explore-'));
  reader = adminReader({
    setup: s,
    host: influxd.host,
    port: influxd.port,
    dir,
    downsampled: ['homeassistant_5m', 'homeassistant_1h'],
  });
  known = new Map((await exploreCatalog(reader)).map((e) => [e.entityId, e]));
}, 600_000);

afterAll(async () => {
  await influxd?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The raw points of entity `id` in [from, to). */
function rawIn(id: string, from: number, to: number): number[] {
  const i = ENTITIES.findIndex((e) => e.entityId === id);
  return rawTimes(i, OPTS)
    .filter((t) => t >= from && t < to)
    .map((t) => byId(id).at(t) as number);
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function run(r: Partial<ExploreRequest> & { entities: string[] }): Promise<ExploreResult> {
  return explore(reader, known, {
    startMs: NOW - 30 * D,
    endMs: NOW,
    widthPx: 1000,
    source: 'auto',
    every: 'auto',
    compare: false,
    ...r,
  });
}

/** Each point of a series against the mean of the raw points of its window [t - window, t). */
function expectWindowMeans(s: { entityId: string; times: number[]; values: number[] }, windowMs: number): void {
  expect(s.times.length).toBeGreaterThan(0);
  s.times.forEach((us, k) => {
    const t = us / 1000;
    expect(s.values[k], `${s.entityId} at ${microsToRfc3339(us)}`).toBeCloseTo(
      mean(rawIn(s.entityId, t - windowMs, t)),
      9,
    );
  });
}

describe('Explore on a real influxd', () => {
  it('lists the entities with their tags, kind and oldest point', () => {
    expect([...known.keys()]).toEqual(['sensor.a_temperature', 'sensor.b_humidity', 'sensor.c_power', 'switch.d']);
    expect(known.get('sensor.a_temperature')).toMatchObject({
      name: 'A',
      domain: 'sensor',
      area: 'kitchen',
      unit: '°C',
      deviceClass: 'temperature',
      kind: 'number',
      first: rawTimes(0, OPTS)[0],
      last: rawTimes(0, OPTS).at(-1),
    });
    expect(known.get('switch.d')?.kind).toBe('state');
  });

  it('30 days at 1000 px: hourly summaries, raw before they start, raw for the last hours, raw where there are none', async () => {
    const r = await run({ entities: ['sensor.a_temperature', 'sensor.c_power', 'sensor.b_humidity'] });
    expect(r.plan).toMatchObject({ source: '1h', bucket: 'homeassistant_1h', every: undefined, auto: true });
    expect(r.plan.label).toBe('hourly summaries from homeassistant_1h (mean) (chosen for 30 days at 1000 px)');
    const [a, c, b] = r.series;
    // One point per hour from the first full hour to NOW, whichever bucket it came from.
    expect(a?.times.length).toBe(30 * 24);
    expect(a?.times.every((t, k) => k === 0 || t - (a.times[k - 1] as number) === H * 1000)).toBe(true);
    expectWindowMeans(a as NonNullable<typeof a>, H);
    expect(a?.notes).toEqual([
      `before ${microsToRfc3339((TASKS_FROM + H) * 1000)} (where the hourly summaries start): raw values`,
    ]);
    expect(a?.unit).toBe('°C');
    expectWindowMeans(c as NonNullable<typeof c>, H);
    expect(c?.notes).toEqual(['no hourly summaries in this range: raw values, mean per 1h']);
    expect(b?.times.length).toBe(30 * 24);
    expectWindowMeans(b as NonNullable<typeof b>, H);
  });

  it("reads each entity's raw points only over its own gaps in the summaries", async () => {
    // sensor.a's summaries end 5 hours before NOW, sensor.b's 2 hours: only sensor.a needs raw hours before
    // the last three, which are read for both beside the summaries.
    const reads: Array<{ ids: string[]; start: string }> = [];
    const watched = {
      grant: () => reader.grant(),
      query: (flux: string, params: Record<string, FluxParam>, read?: Parameters<InfluxReader['query']>[2]) => {
        if (params['bucket'] === 'homeassistant')
          reads.push({
            ids: Object.entries(params)
              .filter(([k]) => /^e\d+$/.test(k))
              .map(([, v]) => String(v)),
            start: String(params['start']),
          });
        return reader.query(flux, params, read);
      },
    } as unknown as InfluxReader;
    const r = await explore(watched, known, {
      entities: ['sensor.a_temperature', 'sensor.b_humidity'],
      startMs: NOW - 30 * D,
      endMs: NOW,
      widthPx: 1000,
      source: 'auto',
      every: 'auto',
      compare: false,
    });
    const tail = new Date(NOW - 3 * H).toISOString();
    const head = new Date(NOW - 30 * D).toISOString();
    expect(reads.filter((x) => x.ids.includes('sensor.b_humidity')).map((x) => x.start)).toEqual(
      expect.arrayContaining([tail, head]),
    );
    expect(reads.filter((x) => x.ids.includes('sensor.b_humidity'))).toHaveLength(2);
    expect(reads.filter((x) => x.ids.includes('sensor.a_temperature')).map((x) => x.start)).toEqual(
      expect.arrayContaining([tail, head, new Date(NOW - 6 * H).toISOString()]),
    );
    for (const s of r.series) expectWindowMeans(s, H);
  });

  it('a day window over hourly summaries puts each summary in the day it summarises', async () => {
    const r = await run({ entities: ['sensor.b_humidity'], startMs: NOW - 10 * D, source: '1h', every: '1d' });
    expect(r.plan).toMatchObject({ source: '1h', every: '1d', auto: false });
    const [b] = r.series;
    expect(b?.times.map((t) => t / 1000)).toEqual(Array.from({ length: 10 }, (_, k) => NOW - 9 * D + k * D));
    expectWindowMeans(b as NonNullable<typeof b>, D);
  });

  it('a window that is not whole hours comes from summaries it holds whole', async () => {
    const r = await run({ entities: ['sensor.b_humidity'], startMs: NOW - 10 * D, every: '90m' });
    expect(r.plan).toMatchObject({ source: '5m', every: '90m' });
    expect(r.series[0]?.times.length).toBe(160);
    expectWindowMeans(r.series[0] as NonNullable<ExploreResult['series'][0]>, 90 * 60_000);
  });

  it('2 days: 5-minute summaries; 6 hours: raw means per 30 s; no window: the stored points exactly', async () => {
    const two = await run({ entities: ['sensor.b_humidity'], startMs: NOW - 2 * D - 5 * H, endMs: NOW - 5 * H });
    expect(two.plan).toMatchObject({ source: '5m', every: undefined });
    expectWindowMeans(two.series[0] as NonNullable<ExploreResult['series'][0]>, 5 * 60_000);
    const six = await run({ entities: ['sensor.b_humidity'], startMs: NOW - 6 * H });
    expect(six.plan).toMatchObject({ source: 'raw', every: '30s' });
    expectWindowMeans(six.series[0] as NonNullable<ExploreResult['series'][0]>, 30_000);
    const exact = await run({ entities: ['sensor.b_humidity'], startMs: NOW - 6 * H, every: 'none' });
    const times = rawTimes(1, OPTS).filter((t) => t >= NOW - 6 * H);
    expect(exact.series[0]?.times).toEqual(times.map((t) => t * 1000));
    expect(exact.series[0]?.values).toEqual(times.map((t) => humid(t)));
    expect(exact.plan.label).toBe('raw points from homeassistant, not aggregated');
  });

  it('states become a band that starts with the state held when the range begins', async () => {
    const from = NOW - 10 * H - 30 * 60_000;
    const r = await run({ entities: ['switch.d'], startMs: from, endMs: NOW, every: 'none' });
    expect(r.series).toEqual([]);
    const [d] = r.bands;
    expect(d?.states[0]).toBe(byId('switch.d').at(from - RAW_EVERY));
    expect(d?.times[0]).toBe(from * 1000);
    // Then one change every three hours, at the first raw point of each period.
    expect(d?.states.slice(1)).toEqual(
      ['on', 'off', 'on'].map((_, k) => byId('switch.d').at((d?.times[k + 1] ?? 0) / 1000)),
    );
    expect(d?.times.length).toBe(4);
  });

  it('a range from 1970 on (start 0) charts too', async () => {
    const r = await run({ entities: ['switch.d', 'sensor.b_humidity'], startMs: 0 });
    expect(r.bands[0]?.states.length).toBeGreaterThan(0);
    expect(r.series[0]?.times.length).toBeGreaterThan(0);
  });

  it('compare: the previous period, shifted onto this one', async () => {
    const r = await run({ entities: ['sensor.b_humidity'], startMs: NOW - 7 * D, compare: true });
    expect(r.previous).toMatchObject({ start: NOW - 14 * D, end: NOW - 7 * D, shiftMs: 7 * D });
    expect(r.plan).toMatchObject({ source: '5m', every: '15m' });
    const prev = r.previous?.series[0] as NonNullable<ExploreResult['series'][0]>;
    expect(prev.times.length).toBe(7 * 24 * 4);
    expect(prev.times[0]).toBe((NOW - 7 * D + 15 * 60_000) * 1000);
    // Its values are those of a week earlier.
    expectWindowMeans({ ...prev, times: prev.times.map((us) => us - 7 * D * 1000) }, 15 * 60_000);
  });
});
