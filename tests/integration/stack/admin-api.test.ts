import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../../dev/stack.js';
import { DEFAULT_REPOSITORY_URL } from '../../../dev/supervisor/index.js';
import type {
  Entities,
  GrafanaInfo,
  Overview,
  Series,
  Storage,
  TaskRunResult,
} from '../../../homeiq-admin/src/api-types.js';
import { until } from '../../../dev/until.js';

// The panel's API through the ingress emulator, against the whole stack: real InfluxDB, ingestor, demo home.
let stack: DevStack;
let dataRoot: string;
let csrf: string;

const slug = (name: string): string =>
  `${createHash('sha1').update(DEFAULT_REPOSITORY_URL.toLowerCase()).digest('hex').slice(0, 8)}_${name}`;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-admin-api-'));
  stack = await startDevStack({ dataRoot, port: 0, addressBlock: '127.0.21' });
  const page = await (await fetch(stack.panelUrl)).text();
  csrf = /"csrf":"([^"]+)"/.exec(page)?.[1] ?? '';
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dataRoot, { recursive: true, force: true });
});

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${stack.panelUrl}${path}`);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

function send(path: string, method: string, body: unknown, token = csrf): Promise<Response> {
  return fetch(`${stack.panelUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-HomeIQ-CSRF': token },
    body: JSON.stringify(body),
  });
}

describe('admin API on the running stack', () => {
  it('overview: every line green with real numbers once events flow', async () => {
    const o = await until('api/overview as expected', () => get<Overview>('api/overview'), {
      ok: (v) =>
        v.status === 'green' &&
        v.rate.samples.length > 0 &&
        /now, [1-9]/.test(v.checks.find((c) => c.id === 'ingestion')?.reason ?? ''),
      ms: 30_000,
      everyMs: 500,
    });
    expect(o.checks.map((c) => [c.id, c.status])).toEqual([
      ['home-assistant', 'green'],
      ['ingestion', 'green'],
      ['quarantine', 'green'],
      ['influxdb', 'green'],
      ['storage', 'green'],
      ['tasks', 'green'],
    ]);
    expect(o.checks.find((c) => c.id === 'home-assistant')?.reason).toBe(
      `connected to Home Assistant ${stack.homeAssistant.version}`,
    );
    expect(o.checks.find((c) => c.id === 'ingestion')?.reason).toMatch(
      /^[\d.]+ events\/s now, [1-9][\d,]* state changes stored in the last hour$/,
    );
    expect(o.checks.find((c) => c.id === 'influxdb')?.facts).toContainEqual(['version', '2.9.1']);
    expect(o.problems).toEqual([]);
  });

  it('keeps the read token from the influxdb add-on in the data dir, mode 0600', async () => {
    const s = await stat(join(dataRoot, 'admin', 'influxdb-token.json'));
    expect(s.mode & 0o777).toBe(0o600);
  });

  it('storage: buckets, tasks and series by measurement from InfluxDB', async () => {
    const s = await until('api/storage as expected', () => get<Storage>('api/storage'), {
      ok: (v) => (v.top?.length ?? 0) > 0,
      ms: 30_000,
      everyMs: 500,
    });
    expect(s.buckets?.map((b) => [b.name, b.role]).sort()).toEqual([
      ['homeassistant', 'raw'],
      ['homeassistant_1h', 'downsampled'],
      ['homeassistant_5m', 'downsampled'],
    ]);
    expect(s.tasks?.map((t) => t.name).sort()).toEqual(['homeiq-downsample-1h', 'homeiq-downsample-5m']);
    expect(s.top?.map((m) => m.measurement)).toContain('sensor');
    expect(s.problems).toEqual([]);
  });

  it('changes a retention and runs a task, as an admin with the page token', async () => {
    const refused = await send('api/buckets/homeassistant_5m', 'PATCH', { retentionDays: 400 }, 'not-the-token');
    expect(refused.status).toBe(403);
    const changed = await send('api/buckets/homeassistant_5m', 'PATCH', { retentionDays: 400 });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { retentionDays: number }).retentionDays).toBe(400);
    const s = await get<Storage>('api/storage');
    expect(s.buckets?.find((b) => b.name === 'homeassistant_5m')?.retentionDays).toBe(400);
    const tasks = s.tasks ?? [];
    const run = await send(
      `api/tasks/${tasks.find((t) => t.name === 'homeiq-downsample-5m')?.id ?? ''}/run`,
      'POST',
      {},
    );
    expect(run.status).toBe(200);
    expect(((await run.json()) as TaskRunResult).status).toBe('success');
  });

  it('deletes a bucket left behind, as an admin with the page token; HomeIQ InfluxDB refuses its own', async () => {
    // A bucket HomeIQ does not use, as a change of the bucket option leaves one behind.
    const { operatorToken, orgId } = JSON.parse(
      await readFile(join(dataRoot, 'influxdb', 'homeiq', 'credentials.json'), 'utf8'),
    ) as { operatorToken: string; orgId: string };
    const made = await fetch('http://127.0.21.12:8086/api/v2/buckets', {
      method: 'POST',
      headers: { Authorization: `Token ${operatorToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ orgID: orgId, name: 'left_behind', retentionRules: [] }),
    });
    expect(made.status).toBe(201);
    expect((await send('api/buckets/left_behind', 'DELETE', undefined, 'not-the-token')).status).toBe(403);
    const own = await send('api/buckets/homeassistant_5m', 'DELETE', undefined);
    expect(own.status).toBe(409);
    expect(((await own.json()) as { error: string }).error).toMatch(/one of HomeIQ's buckets/);
    const deleted = await send('api/buckets/left_behind', 'DELETE', undefined);
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ deleted: 'left_behind' });
    const left = await fetch(`http://127.0.21.12:8086/api/v2/buckets?orgID=${orgId}&name=left_behind`, {
      headers: { Authorization: `Token ${operatorToken}` },
    });
    expect(left.status).toBe(404); // InfluxDB: no bucket of that name
    expect((await send('api/buckets/left_behind', 'DELETE', undefined)).status).toBe(404);
  });

  it('entities: the table and a history chart from the raw bucket', async () => {
    const e = await until('api/entities as expected', () => get<Entities>('api/entities'), {
      ok: (v) => v.entities.some((x) => x.entityId === 'sensor.living_room_temperature' && x.events > 1),
      ms: 30_000,
      everyMs: 500,
    });
    const t = e.entities.find((x) => x.entityId === 'sensor.living_room_temperature');
    expect(t).toMatchObject({ domain: 'sensor', unit: '°C' });
    expect(Number(t?.lastState)).toBeGreaterThan(0);
    const s = await get<Series>('api/series?entity=sensor.living_room_temperature&range=1h');
    expect(s.source.bucket).toBe('homeassistant');
    expect(s.times.length).toBeGreaterThan(1);
    expect(s.values.every((v) => typeof v === 'number')).toBe(true);
    const week = await get<Series>('api/series?entity=sensor.living_room_temperature&range=7d');
    expect(['homeassistant_5m', 'homeassistant']).toContain(week.source.bucket);
    expect(week.times.length).toBeGreaterThan(0);
  });

  it("entities carry the demo home's areas, by id and by name: the entity's own, else its device's; none for an entity without one", async () => {
    const want: Record<string, [string, string]> = {
      'sensor.living_room_temperature': ['living_room', 'Living room'], // from its device, the living room multisensor
      'sensor.house_power': ['hallway', 'Hallway'], // from its device, the energy meter
      'sensor.solar_power': ['garden', 'Garden'], // its own
      'binary_sensor.hallway_motion': ['hallway', 'Hallway'], // its own
    };
    const areas = (v: Entities): Record<string, [string | undefined, string | undefined]> =>
      Object.fromEntries(
        Object.keys(want).map((id) => {
          const row = v.entities.find((x) => x.entityId === id);
          return [id, [row?.area, row?.areaName]];
        }),
      );
    // The names come from the ingestor (GET /api/registry/areas); until it has read HA's registries, the ids.
    const e = await until('api/entities as expected', () => get<Entities>('api/entities'), {
      ok: (v) => JSON.stringify(areas(v)) === JSON.stringify(want),
      ms: 30_000,
      everyMs: 500,
    });
    expect(areas(e)).toEqual(want);
    expect(e.problems).toEqual([]);
    const arealess = e.entities.filter((x) => /^(sun|weather|person)\./.test(x.entityId));
    expect(arealess.length).toBeGreaterThan(0);
    expect(arealess.every((x) => x.area === undefined && x.areaName === undefined)).toBe(true);
  });

  it('an entity id is a parameter, never Flux: a hostile one finds nothing and breaks nothing', async () => {
    const hostile = 'x" or r._field != "") |> yield(name: "pwned") //';
    const s = await get<Series>(`api/series?entity=${encodeURIComponent(hostile)}&range=1h`);
    expect(s.times).toEqual([]);
    expect(s.states).toEqual([]);
  });

  it("relays the ingestor's live event stream under the prefix, with its filters", async () => {
    const bad = await fetch(`${stack.panelUrl}api/events/stream?domain=Not%20a%20domain`);
    expect(bad.status).toBe(400);
    const ctl = new AbortController();
    const res = await fetch(`${stack.panelUrl}api/events/stream?domain=sensor`, { signal: ctl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const events: Array<{ id: number; entity_id?: string; state?: string }> = [];
    let buf = '';
    const deadline = Date.now() + 20_000;
    while (events.length < 5 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const data = buf
          .slice(0, i)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        buf = buf.slice(i + 2);
        if (data) events.push(JSON.parse(data.slice(6)) as (typeof events)[number]);
      }
    }
    ctl.abort();
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.every((e) => e.entity_id?.startsWith('sensor.'))).toBe(true);
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
  });

  it("quarantine and Grafana answer with the siblings' data", async () => {
    const q = await get<{ count: number; entries: unknown[] }>('api/quarantine');
    expect(q.count).toBe(0);
    const retried = await send('api/quarantine/retry', 'POST', {});
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ requeued: 0, kept: 0 });
    const discarded = await send('api/quarantine/discard', 'POST', { ids: ['0123456789abcdef'] });
    expect(discarded.status).toBe(200);
    expect(await discarded.json()).toEqual({ discarded: 0 });
    const g = await get<GrafanaInfo>('api/grafana');
    expect(g.url).toBe(`http://${slug('homeiq-influxdb').replace('_', '-')}:8086`);
    expect(g.org).toBe('homeassistant');
    expect(g.buckets).toContain('homeassistant_1h');
    expect(g.influxql).toMatchObject({
      username: 'homeiq-reader',
      database: 'homeassistant',
      retentionPolicies: ['autogen', '5m', '1h'],
    });
    // The credentials the panel hands out read the stack's real InfluxDB with InfluxQL.
    const c = await send('api/grafana/influxql-credentials', 'POST', {});
    expect(c.status).toBe(200);
    const { username, password } = (await c.json()) as { username: string; password: string };
    const influxql = await fetch(
      `http://127.0.21.12:8086/query?db=homeassistant&q=${encodeURIComponent('SHOW MEASUREMENTS')}`,
      { headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } },
    );
    expect(influxql.status).toBe(200);
    expect(await influxql.text()).toContain('"sensor"');
  });

  it('says which sibling is down and why, and the rest keeps working', async () => {
    stack.supervisor.setAddonState(slug('homeiq-influxdb'), 'stopped');
    try {
      const o = await until('api/overview as expected', () => get<Overview>('api/overview'), {
        ok: (v) => v.checks.find((c) => c.id === 'influxdb')?.status === 'red',
        ms: 15_000,
        everyMs: 500,
      });
      const influx = o.checks.find((c) => c.id === 'influxdb');
      expect(influx?.reason).toBe('unknown: HomeIQ InfluxDB is stopped; start it from its add-on page');
      expect(influx?.hint).toContain('start that add-on');
      expect(o.checks.find((c) => c.id === 'home-assistant')?.status).toBe('green');
      expect(o.problems.some((p) => p.sibling === 'homeiq-influxdb')).toBe(true);
      const q = await fetch(`${stack.panelUrl}api/quarantine`);
      expect(q.status).toBe(200);
    } finally {
      stack.supervisor.setAddonState(slug('homeiq-influxdb'), 'started');
    }
  });
});
