/**
 * InfluxQL on the HomeIQ InfluxDB: the real homeiq-influxdb bundle and a real influxd 2.9, the Supervisor
 * emulator. The add-on issues a read-only InfluxQL user and keeps DBRP mappings for its buckets (dbrp.test.ts
 * checks the mappings themselves); the points are made by the ingestor's real encoders, first in the HomeIQ
 * layout, then (after a `bucket` change) in the `ha_compatible` layout, and queried with the InfluxQL that
 * Grafana dashboards and Home Assistant's own sensors send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../harness/influxdb-addon.js';
import { OPTIONS, smallHome, startInfluxdbAddon, type InfluxdbAddon } from '../../harness/influxql-stack.js';

const MIN = 60_000;
const HOME = smallHome(Math.floor(Date.now() / 1000) * 1000);
const TEMPERATURES = HOME.temperatures;
const fiveMinuteMeans = (): [string, number][] => HOME.fiveMinuteMeans();

let addon: InfluxdbAddon;
let IP: InfluxdbAddon['ip'];
let MANAGER: string;
let INFLUX: string;

interface V1Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
type Auth = { basic: [string, string] } | { params: [string, string] } | { token: string } | null;

/** `GET /query` as Grafana's InfluxQL data source sends it; the series of the first statement, or the error. */
async function influxql(
  auth: Auth,
  db: string,
  q: string,
  method: 'GET' | 'POST' = 'GET',
): Promise<{ status: number; series: V1Series[]; error?: string }> {
  const u = new URL(`${INFLUX}/query`);
  u.searchParams.set('db', db);
  // Grafana sends the query in the URL (GET) or as a form body (POST, its default for new data sources).
  const form = new URLSearchParams({ q });
  if (method === 'GET') u.searchParams.set('q', q);
  const headers: Record<string, string> = {};
  if (auth && 'basic' in auth)
    headers['Authorization'] = `Basic ${Buffer.from(auth.basic.join(':')).toString('base64')}`;
  if (auth && 'params' in auth) {
    u.searchParams.set('u', auth.params[0]);
    u.searchParams.set('p', auth.params[1]);
  }
  if (auth && 'token' in auth) headers['Authorization'] = `Token ${auth.token}`;
  if (method === 'POST') headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const r = await call(u.toString(), IP.admin, {
    method,
    headers,
    ...(method === 'POST' ? { body: form.toString() } : {}),
  });
  const body = r.text.startsWith('{') ? r.json() : {};
  const first = body.results?.[0];
  return { status: r.status, series: first?.series ?? [], error: body.error ?? body.message ?? first?.error };
}

const nonNull = (s: V1Series | undefined): unknown[][] => (s?.values ?? []).filter((row) => row[1] !== null);

beforeAll(async () => {
  addon = await startInfluxdbAddon('127.0.41');
  ({ ip: IP, manager: MANAGER, influx: INFLUX } = addon);
}, 600_000);

afterAll(async () => {
  await addon?.dispose();
});

describe('InfluxQL on homeiq-influxdb (real influxd)', () => {
  let user: Awaited<ReturnType<InfluxdbAddon['influxqlCredentials']>>;

  it('issues a read-only InfluxQL user to the admin panel only; asking again replaces its password', async () => {
    for (const from of [IP.ingestor, IP.stranger])
      expect((await call(`${MANAGER}/api/influxql-credentials`, from, { method: 'POST' })).status).toBe(403);
    const first = await addon.influxqlCredentials();
    user = await addon.influxqlCredentials();
    expect(user.username).toBe('homeiq-reader');
    expect(user.password).not.toBe(first.password);
    expect(user.databases).toContainEqual({
      database: 'homeassistant',
      retentionPolicy: 'autogen',
      bucket: 'homeassistant',
      default: true,
    });
    const old = await influxql({ basic: [first.username, first.password] }, 'homeassistant', 'SHOW MEASUREMENTS');
    expect(old.status).toBe(401);
    expect((await influxql({ basic: [user.username, 'wrong'] }, 'homeassistant', 'SHOW DATABASES')).status).toBe(401);
    const dbs = await influxql({ basic: [user.username, user.password] }, 'homeassistant', 'SHOW DATABASES');
    expect(dbs.status, dbs.error).toBe(200);
    expect(dbs.series[0]?.values.flat().sort()).toEqual(['homeassistant', 'homeassistant_1h', 'homeassistant_5m']);
    const w = await call(`${INFLUX}/write?db=homeassistant`, IP.admin, {
      method: 'POST',
      body: 'sensor,entity_id=sensor.x value=1',
      headers: { Authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` },
    });
    expect(w.status).toBe(403);
  });

  it('answers two requests at once: both succeed, one user remains, exactly one of the two passwords works', async () => {
    const [a, b] = await Promise.all([addon.influxqlCredentials(), addon.influxqlCredentials()]);
    const works = async (c: { username: string; password: string }): Promise<number> =>
      (await influxql({ basic: [c.username, c.password] }, 'homeassistant', 'SHOW DATABASES')).status;
    const statuses = [await works(a), await works(b)].sort();
    expect(statuses).toEqual([200, 401]);
    user = (await works(a)) === 200 ? a : b;
    const users = (
      await call(`${INFLUX}/private/legacy/authorizations`, IP.admin, { token: addon.operatorToken })
    ).json().authorizations as { token: string }[];
    expect(users.map((u) => u.token)).toEqual(['homeiq-reader']);
  });

  it('answers the InfluxQL users write, on the HomeIQ layout', async () => {
    await addon.write('homeassistant', HOME.lines('homeiq'));
    const as: Auth = { basic: [user.username, user.password] };
    for (const method of ['GET', 'POST'] as const) {
      const mean = await influxql(
        as,
        'homeassistant',
        `SELECT mean("value") FROM "sensor" WHERE "entity_id" = 'sensor.kitchen_temperature' AND time > now() - 1h GROUP BY time(5m)`,
        method,
      );
      expect(mean.status, mean.error).toBe(200);
      expect(nonNull(mean.series[0])).toEqual(fiveMinuteMeans());
    }
    expect((await influxql(as, 'homeassistant', 'SHOW MEASUREMENTS')).series[0]?.values).toEqual([
      ['binary_sensor'],
      ['light'],
      ['sensor'],
    ]);
    const tags = await influxql(as, 'homeassistant', 'SHOW TAG VALUES FROM "sensor" WITH KEY = "entity_id"');
    expect(tags.series[0]?.values).toEqual([
      ['entity_id', 'sensor.kitchen_temperature'],
      ['entity_id', 'sensor.power'],
    ]);
    const series = await influxql(as, 'homeassistant', 'SHOW SERIES FROM "binary_sensor"');
    expect(series.series[0]?.values).toEqual([
      ['binary_sensor,device_class=door,domain=binary_sensor,entity_id=binary_sensor.door'],
    ]);
    const keys = await influxql(as, 'homeassistant', 'SHOW TAG KEYS FROM "sensor"');
    expect(keys.series[0]?.values.flat()).toEqual(['device_class', 'domain', 'entity_id', 'unit']);
    const fields = await influxql(as, 'homeassistant', 'SHOW FIELD KEYS FROM "light"');
    expect(fields.series[0]?.values).toEqual(
      expect.arrayContaining([
        ['attr_brightness_num', 'float'],
        ['state', 'string'],
        ['value', 'float'],
      ]),
    );
    const door = await influxql(
      as,
      'homeassistant',
      `SELECT "state", "value" FROM "binary_sensor" WHERE "entity_id" = 'binary_sensor.door' AND time > now() - 1h`,
    );
    expect(door.series[0]?.values.map((r) => r.slice(1))).toEqual([
      ['on', 1],
      ['off', 0],
    ]);
    const byUnit = await influxql(
      as,
      'homeassistant',
      `SELECT last("value") FROM "sensor" WHERE "unit" = '°C' AND time > now() - 1h GROUP BY "entity_id"`,
    );
    expect(byUnit.series.map((s) => [s.tags?.['entity_id'], s.values[0]?.[1]])).toEqual([
      ['sensor.kitchen_temperature', 25],
    ]);
    // A regular expression on a tag, as DOCS.md's label query uses one.
    const byRegex = await influxql(
      as,
      'homeassistant',
      `SELECT last("value") FROM "sensor" WHERE "device_class" =~ /(^|,)power(,|$)/ AND $timeFilter GROUP BY "entity_id"`.replace(
        '$timeFilter',
        'time > now() - 1h',
      ),
    );
    expect(byRegex.series.map((s) => [s.tags?.['entity_id'], s.values[0]?.[1]])).toEqual([['sensor.power', 1200]]);
  });

  it('takes the Grafana token as well: in an Authorization header, or as the password of any user', async () => {
    const r = await call(`${MANAGER}/api/grafana-token`, IP.admin, { method: 'POST' });
    expect(r.status, r.text).toBe(200);
    const { token, databases } = r.json();
    expect(databases).toHaveLength(5);
    for (const auth of [{ token }, { params: ['grafana', token] }] as Auth[]) {
      const q = await influxql(
        auth,
        'homeassistant',
        `SELECT count("value") FROM "sensor" WHERE "entity_id" = 'sensor.kitchen_temperature'`,
      );
      expect(q.status, q.error).toBe(200);
      expect(q.series[0]?.values[0]?.[1]).toBe(TEMPERATURES.length);
    }
    expect((await influxql(null, 'homeassistant', 'SHOW MEASUREMENTS')).status).toBe(401);
  });

  it('reaches the 5-minute summaries as retention policy 5m and as database homeassistant_5m', async () => {
    const tasks = (await call(`${MANAGER}/api/tasks`, IP.admin)).json().tasks as { id: string; name: string }[];
    const t5 = tasks.find((t) => t.name === 'homeiq-downsample-5m');
    const ran = await call(`${MANAGER}/api/tasks/${t5?.id}/run?wait=1`, IP.admin, { method: 'POST' });
    expect(ran.json().status, ran.text).toBe('success');
    const as: Auth = { basic: [user.username, user.password] };
    // The task summarises the two last complete windows before the run: at least the one with the last reading.
    const viaRp = await influxql(
      as,
      'homeassistant',
      `SELECT "mean", "count" FROM "homeassistant"."5m"."sensor" WHERE "entity_id" = 'sensor.kitchen_temperature'`,
    );
    const viaDb = await influxql(
      as,
      'homeassistant_5m',
      `SELECT "mean", "count" FROM "sensor" WHERE "entity_id" = 'sensor.kitchen_temperature'`,
    );
    const viaShortRp = await influxql(
      as,
      'homeassistant',
      `SELECT "mean", "count" FROM "5m"."sensor" WHERE "entity_id" = 'sensor.kitchen_temperature'`,
    );
    expect(viaRp.status, viaRp.error).toBe(200);
    expect(viaDb.series).toEqual(viaRp.series);
    expect(viaShortRp.series).toEqual(viaRp.series);
    const rps = await influxql(as, 'homeassistant', 'SHOW RETENTION POLICIES');
    expect(rps.series[0]?.values.map((r) => [r[0], r[4]]).sort()).toEqual([
      ['1h', false],
      ['5m', false],
      ['autogen', true],
    ]);
    const byEnd = new Map(fiveMinuteMeans().map(([start, m]) => [Date.parse(start) + 5 * MIN, m]));
    const rows = viaRp.series[0]?.values ?? [];
    expect(rows.length).toBeGreaterThan(0);
    for (const [time, m, n] of rows) {
      expect(m).toBe(byEnd.get(Date.parse(String(time))));
      expect(n).toBe(1);
    }
  });

  it('after a bucket change, answers on the ha_compatible layout in the new database', async () => {
    // The InfluxQL databases follow (dbrp.test.ts checks the mappings).
    await addon.restart({ ...OPTIONS, bucket: 'home_assistant' });
    await addon.write('home_assistant', HOME.lines('ha_compatible'));
    // The user's permissions name the buckets they were made for: a new bucket needs new credentials.
    const stale = await influxql({ basic: [user.username, user.password] }, 'home_assistant', 'SHOW MEASUREMENTS');
    expect(stale.series).toEqual([]);
    user = await addon.influxqlCredentials();
    const as: Auth = { params: [user.username, user.password] };
    const mean = await influxql(
      as,
      'home_assistant',
      `SELECT mean("value") FROM "°C" WHERE "entity_id" = 'kitchen_temperature' AND time > now() - 1h GROUP BY time(5m)`,
    );
    expect(mean.status, mean.error).toBe(200);
    expect(nonNull(mean.series[0])).toEqual(fiveMinuteMeans());
    expect((await influxql(as, 'home_assistant', 'SHOW MEASUREMENTS')).series[0]?.values).toEqual([
      ['W'],
      ['binary_sensor.door'],
      ['light.kitchen'],
      ['°C'],
    ]);
    const ids = await influxql(as, 'home_assistant', 'SHOW TAG VALUES WITH KEY = "entity_id"');
    expect(ids.series.map((s) => [s.name, s.values.map((v) => v[1])])).toEqual([
      ['W', ['power']],
      ['binary_sensor.door', ['door']],
      ['light.kitchen', ['kitchen']],
      ['°C', ['kitchen_temperature']],
    ]);
    const fields = await influxql(as, 'home_assistant', 'SHOW FIELD KEYS FROM "°C"');
    expect(fields.series[0]?.values).toEqual([
      ['device_class_str', 'string'],
      ['friendly_name_str', 'string'],
      ['value', 'float'],
    ]);
    // HA's documented example: SELECT * FROM the unit, WHERE the entity id without its domain.
    const all = await influxql(as, 'home_assistant', `SELECT * FROM "°C" WHERE "entity_id" = 'kitchen_temperature'`);
    expect(all.series[0]?.columns).toEqual([
      'time',
      'device_class_str',
      'domain',
      'entity_id',
      'friendly_name_str',
      'value',
    ]);
    expect(all.series[0]?.values.map((r) => r[5])).toEqual(TEMPERATURES.map(([, v]) => v));
    const door = await influxql(as, 'home_assistant', 'SELECT "state", "value" FROM "binary_sensor.door"');
    expect(door.series[0]?.values.map((r) => r.slice(1))).toEqual([
      ['on', 1],
      ['off', 0],
    ]);
    // Like the Grafana token, the user reads the buckets that were HomeIQ's when it was made: now the new ones.
    const old = await influxql(as, 'homeassistant', 'SHOW MEASUREMENTS');
    expect(old.series).toEqual([]);
  }, 120_000);
});
