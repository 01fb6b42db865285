import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exploreCsv } from '../../../homeiq-admin/panel/explore/csv.js';
import type { ExploreResult } from '../../../homeiq-admin/src/api-types.js';
import { exploreCatalog, type StoredExploreEntity } from '../../../homeiq-admin/src/explore/catalog.js';
import { explore, type ExploreRequest } from '../../../homeiq-admin/src/explore/explore.js';
import { microsToRfc3339, rfc3339ToMicros } from '../../../homeiq-admin/src/explore/time.js';
import type { InfluxReader } from '../../../homeiq-admin/src/influx/flux.js';
import { downsampleTask, downsampledBucket, TIERS } from '../../../homeiq-influxdb/src/downsample.js';
import { EventEncoder } from '../../../homeiq-ingestor/src/points/event-encoder.js';
import { EntityFilter } from '../../../homeiq-ingestor/src/points/filter.js';
import type { HaState } from '../../../homeiq-ingestor/src/points/state-model.js';
import { flux } from '../../../dev/influx-query.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { wave } from '../../../dev/synthetic-history.js';
import { adminReader } from '../../harness/admin-reader.js';
import { profiledReader } from '../../harness/flux-profile.js';
import { createBucket } from '../../harness/migration.js';

// Explore on points the ingestor's encoder wrote in Home Assistant's layout (option ha_compatible), beside one
// entity in HomeIQ's layout, with summaries made by the influxdb add-on's own downsampling Flux: the catalog
// lists them, and the chart's series, bands and CSV are what Flux reads from InfluxDB.
const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2025, 5, 1);
const START = NOW - 4 * D;
const EVERY = 5 * 60_000;
const MODES = ['eco', 'comfort', 'away'];
const temp = wave(20, 3, 0, 1);
const count = wave(100, 20, 0, 2);
const power = wave(400, 150, 0, 3);

interface Entity {
  id: string;
  layout: 'homeiq' | 'ha_compatible';
  attributes: Record<string, unknown>;
  at(ms: number): string;
}
const ENTITIES: Entity[] = [
  {
    id: 'sensor.ha_temperature',
    layout: 'ha_compatible',
    attributes: { unit_of_measurement: '°C', device_class: 'temperature', friendly_name: 'HA temperature' },
    at: (ms) => temp(ms).toFixed(2),
  },
  { id: 'sensor.ha_count', layout: 'ha_compatible', attributes: {}, at: (ms) => count(ms).toFixed(0) },
  {
    id: 'switch.ha_pump',
    layout: 'ha_compatible',
    attributes: { friendly_name: 'Pump' },
    at: (ms) => (Math.floor(ms / (3 * H)) % 2 ? 'on' : 'off'),
  },
  {
    id: 'input_select.ha_mode',
    layout: 'ha_compatible',
    attributes: {},
    at: (ms) => MODES[Math.floor(ms / (5 * H)) % 3] as string,
  },
  {
    id: 'sensor.homeiq_power',
    layout: 'homeiq',
    attributes: { unit_of_measurement: 'W', friendly_name: 'Power' },
    at: (ms) => power(ms).toFixed(1),
  },
];
/** HA's time of entity `i`'s point at `ms`, with microseconds. */
const haTime = (ms: number, i: number): string =>
  new Date(ms + 7000 + i * 3000).toISOString().replace('Z', '456+00:00');

let influxd: RealInfluxd;
let setup: InfluxSetup;
let reader: InfluxReader;
let dir: string;
let known: Map<string, StoredExploreEntity>;

async function post(path: string, body: string, type: string): Promise<string> {
  const res = await fetch(`${influxd.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Token ${setup.token}`, 'Content-Type': type },
    body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text}`);
  return text;
}

beforeAll(async () => {
  influxd = await startInfluxd();
  setup = await influxd.setup({ bucket: 'homeassistant' });
  for (const tier of TIERS) await createBucket(influxd, setup, downsampledBucket(setup.bucket, tier));
  const all = new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] });
  const encoders = {
    ha_compatible: new EventEncoder(
      { maxStringLength: 1000, excludeAttributes: new Set(), layout: 'ha_compatible' },
      all,
      () => {},
    ),
    homeiq: new EventEncoder({ maxStringLength: 1000, excludeAttributes: new Set(), layout: 'homeiq' }, all, () => {}),
  };
  const lines: string[] = [];
  for (const [i, e] of ENTITIES.entries())
    for (let t = START; t < NOW; t += EVERY) {
      const s: HaState = {
        entity_id: e.id,
        state: e.at(t),
        attributes: e.attributes,
        last_changed: haTime(t, i),
        last_updated: haTime(t, i),
      };
      const line = encoders[e.layout].encodeState(s);
      expect(line, `${e.id} at ${t}`).toBeDefined();
      lines.push(line as string);
    }
  expect(lines.find((l) => l.startsWith('°C,'))).toMatch(/^°C,domain=sensor,entity_id=ha_temperature value=/);
  await post(`/api/v2/write?org=${setup.org}&bucket=${setup.bucket}&precision=ns`, lines.join('\n'), 'text/plain');
  // The add-on's tasks summarise the two last windows each run; the same Flux over the whole history here.
  for (const tier of TIERS) {
    const task = downsampleTask(setup.org, setup.bucket, tier).flux;
    const whole = task
      .replace(/^stop = .*$/m, `stop = ${new Date(NOW).toISOString()}`)
      .replace(/^start = .*$/m, `start = ${new Date(START).toISOString()}`);
    expect(whole).not.toBe(task);
    await post(`/api/v2/query?org=${setup.org}`, whole, 'application/vnd.flux');
  }
  dir = await mkdtemp(join(tmpdir(), 'homeiq-explore-ha-'));
  reader = adminReader({
    setup,
    host: influxd.host,
    port: influxd.port,
    dir,
    downsampled: TIERS.map((t) => downsampledBucket(setup.bucket, t)),
  });
  known = new Map((await exploreCatalog(reader)).map((e) => [e.entityId, e]));
}, 600_000);

afterAll(async () => {
  await influxd?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const REQUEST: ExploreRequest = {
  entities: [],
  startMs: START,
  endMs: NOW,
  widthPx: 1000,
  source: 'auto',
  every: 'auto',
  compare: false,
};
const run = (r: Partial<ExploreRequest>): Promise<ExploreResult> => explore(reader, known, { ...REQUEST, ...r });

/** Flux straight on InfluxDB, by the tags of the entity's layout: [time µs, value text] of one of its fields. */
async function fluxRead(
  id: string,
  field: string,
  bucket: string,
  from: number,
  to: number,
  shape = '',
): Promise<Array<[number, string]>> {
  const [domain, objectId] = id.split('.') as [string, string];
  const tags =
    ENTITIES.find((e) => e.id === id)?.layout === 'homeiq'
      ? `r.entity_id == "${id}"`
      : `r.domain == "${domain}" and r.entity_id == "${objectId}"`;
  const rows = await flux(
    influxd.url,
    setup.org,
    setup.token,
    `from(bucket: "${bucket}") |> range(start: ${new Date(from).toISOString()}, stop: ${new Date(to).toISOString()})
  |> filter(fn: (r) => ${tags} and r._field == "${field}") ${shape}
  |> keep(columns: ["_time", "_value"]) |> sort(columns: ["_time"])`,
  );
  return rows.map((r): [number, string] => [rfc3339ToMicros(r['_time'] ?? ''), r['_value'] ?? '']);
}

describe("Explore on the ha_compatible layout (Home Assistant's own)", () => {
  it('lists those entities by their whole id, with name, unit from the measurement and kind', () => {
    expect([...known.keys()]).toEqual([
      'input_select.ha_mode',
      'sensor.ha_count',
      'sensor.ha_temperature',
      'sensor.homeiq_power',
      'switch.ha_pump',
    ]);
    const first = rfc3339ToMicros(haTime(START, 0)) / 1000;
    expect(known.get('sensor.ha_temperature')).toMatchObject({
      name: 'HA temperature',
      domain: 'sensor',
      unit: '°C',
      kind: 'number',
      area: undefined,
      first: Math.floor(first),
    });
    expect(known.get('sensor.ha_count')).toMatchObject({ name: undefined, unit: undefined, kind: 'number' });
    expect(known.get('switch.ha_pump')).toMatchObject({ name: 'Pump', unit: undefined, kind: 'state' });
    expect(known.get('input_select.ha_mode')?.kind).toBe('state');
    expect(known.get('sensor.homeiq_power')).toMatchObject({ name: 'Power', unit: 'W', kind: 'number' });
  });

  it('4 days at 1000 px: the 5-minute summaries the tasks made from this layout, as Flux reads them', async () => {
    const r = await run({ entities: ['sensor.ha_temperature', 'sensor.ha_count', 'sensor.homeiq_power'] });
    expect(r.plan).toMatchObject({ source: '5m', bucket: 'homeassistant_5m', every: '10m' });
    for (const s of r.series) {
      expect(s.notes, s.entityId).toEqual([]);
      // Means of the summaries' means per 10 minutes equal the means of the raw values per 10 minutes.
      const raw = await fluxRead(
        s.entityId,
        'value',
        'homeassistant',
        START,
        NOW,
        '|> aggregateWindow(every: 10m, fn: mean, createEmpty: false)',
      );
      expect(s.times).toEqual(raw.map(([t]) => t));
      s.values.forEach((v, k) => {
        expect(v).toBeCloseTo(Number(raw[k]?.[1]), 9);
      });
    }
    expect(r.series.map((s) => [s.entityId, s.unit, s.times.length])).toEqual([
      ['sensor.ha_temperature', '°C', 4 * 24 * 6],
      ['sensor.ha_count', undefined, 4 * 24 * 6],
      ['sensor.homeiq_power', 'W', 4 * 24 * 6],
    ]);
    const hourly = await run({ entities: ['sensor.ha_count'], source: '1h', every: '1h' });
    expect(hourly.plan).toMatchObject({ bucket: 'homeassistant_1h', every: undefined });
    const summaries = await fluxRead('sensor.ha_count', 'mean', 'homeassistant_1h', START, NOW + 1);
    expect(hourly.series[0]?.times).toEqual(summaries.map(([t]) => t));
    expect(hourly.series[0]?.values).toEqual(summaries.map(([, v]) => Number(v)));
  });

  it('the stored points, the timelines and the CSV equal what Flux reads', async () => {
    const from = NOW - 12 * H;
    const ids = ['sensor.ha_temperature', 'switch.ha_pump', 'input_select.ha_mode'];
    const r = await run({ entities: ids, startMs: from, every: 'none' });
    const values = await fluxRead('sensor.ha_temperature', 'value', 'homeassistant', from, NOW);
    expect(values.length).toBe(12 * 12);
    expect(r.series[0]?.times).toEqual(values.map(([t]) => t));
    expect(r.series[0]?.values).toEqual(values.map(([, v]) => Number(v)));
    const expected = new Map<number, string[]>();
    const cell = (t: number, col: number, v: string): void => {
      const row = expected.get(t) ?? ['', '', ''];
      row[col] = v;
      expected.set(t, row);
    };
    for (const [t, v] of values) cell(t, 0, String(Number(v)));
    for (const [k, id] of ids.slice(1).entries()) {
      const states = await fluxRead(id, 'state', 'homeassistant', NOW - 2 * D, NOW);
      const before = states.filter(([t]) => t < from * 1000).at(-1) as [number, string];
      const changes = [[from * 1000, before[1]] as [number, string], ...states.filter(([t]) => t >= from * 1000)];
      let last = '';
      for (const [t, s] of changes) {
        if (s !== last) cell(t, k + 1, s);
        last = s;
      }
      expect(r.bands[k]?.states.length, id).toBeGreaterThan(2);
    }
    const csv = [
      `time,${ids.join(',')}`,
      ...[...expected].sort(([a], [b]) => a - b).map(([t, row]) => [microsToRfc3339(t), ...row].join(',')),
    ];
    expect(exploreCsv(r)).toBe(`${csv.join('\r\n')}\r\n`);
  });

  it("reading both layouts keeps every query in influxd's storage engine (filters and aggregates pushed down)", async () => {
    const operators: string[][] = [];
    const profiled = profiledReader(reader, operators);
    expect((await exploreCatalog(profiled)).length).toBe(known.size);
    await explore(profiled, known, { ...REQUEST, entities: [...known.keys()] });
    await explore(profiled, known, { ...REQUEST, entities: [...known.keys()], startMs: NOW - H, every: 'none' });
    expect(operators.length).toBeGreaterThan(5);
    for (const ops of operators) {
      expect(ops.some((o) => /^\*influxdb\.read\w+Source$/.test(o))).toBe(true);
      // Besides the reads only `keep` (and the cap on stored points): nothing Flux filters or aggregates itself.
      expect(ops.filter((o) => !/^\*influxdb\.read\w+Source$/.test(o))).toEqual(
        ops.filter((o) => o === '*universe.schemaMutationTransformation' || o === '*universe.limitTransformation'),
      );
    }
  });
});
