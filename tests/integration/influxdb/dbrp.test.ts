/**
 * The InfluxQL databases of the HomeIQ InfluxDB (homeiq-influxdb/src/dbrp.ts): the real homeiq-influxdb bundle
 * and a real influxd 2.9. Its DBRP mappings are made at the first start, put back at the next start when changed
 * behind its back (and left alone when not), follow a change of the `bucket` option, and go with a bucket
 * deleted through the manager API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../harness/influxdb-addon.js';
import { OPTIONS, startInfluxdbAddon, type InfluxdbAddon } from '../../harness/influxql-stack.js';

let addon: InfluxdbAddon;
let IP: InfluxdbAddon['ip'];
let MANAGER: string;
let INFLUX: string;

beforeAll(async () => {
  addon = await startInfluxdbAddon('127.0.42');
  ({ ip: IP, manager: MANAGER, influx: INFLUX } = addon);
}, 600_000);

afterAll(async () => {
  await addon?.dispose();
});

interface Mapping {
  id: string;
  database: string;
  retention_policy: string;
  bucketID: string;
  default: boolean;
  virtual: boolean;
}

/** InfluxDB's DBRP mappings as the operator sees them (the add-on's own token, not its API). */
async function dbrps() {
  const auth = { token: addon.operatorToken };
  const orgId = (await call(`${INFLUX}/api/v2/orgs`, IP.admin, auth)).json().orgs[0].id as string;
  const buckets = (await call(`${INFLUX}/api/v2/buckets?orgID=${orgId}&limit=100`, IP.admin, auth)).json().buckets as {
    id: string;
    name: string;
  }[];
  const name = new Map(buckets.map((b) => [b.id, b.name]));
  /** The stored mappings (not InfluxDB's virtual ones, which it derives from bucket names). */
  const stored = async (): Promise<Mapping[]> =>
    ((await call(`${INFLUX}/api/v2/dbrps?orgID=${orgId}`, IP.admin, auth)).json().content as Mapping[]).filter(
      (m) => !m.virtual,
    );
  return {
    orgId,
    bucketId: (bucket: string): string => buckets.find((b) => b.name === bucket)?.id ?? '',
    /** Their ids: a changed id means deleted and created again. */
    ids: async (): Promise<string[]> => (await stored()).map((m) => m.id).sort(),
    find: async (db: string, rp: string): Promise<Mapping> => {
      const m = (await stored()).find((x) => x.database === db && x.retention_policy === rp);
      if (!m) throw new Error(`no mapping ${db}.${rp}`);
      return m;
    },
    /** As `db.rp → bucket name (default)`, sorted. */
    text: async (): Promise<string[]> =>
      (await stored())
        .map((m) => `${m.database}.${m.retention_policy} → ${name.get(m.bucketID)}${m.default ? ' (default)' : ''}`)
        .sort(),
  };
}

/** The stored mappings as `db.rp → bucket name (default)`. */
const storedMappings = async (): Promise<string[]> => (await dbrps()).text();

describe('InfluxQL databases of homeiq-influxdb (real influxd)', () => {
  it('maps its buckets to InfluxQL databases and retention policies', async () => {
    expect(await storedMappings()).toEqual([
      'homeassistant.1h → homeassistant_1h',
      'homeassistant.5m → homeassistant_5m',
      'homeassistant.autogen → homeassistant (default)',
      'homeassistant_1h.autogen → homeassistant_1h (default)',
      'homeassistant_5m.autogen → homeassistant_5m (default)',
    ]);
  });

  it('puts back mappings changed behind its back at the next start, and leaves correct ones alone', async () => {
    const before = await storedMappings();
    const api = await dbrps();
    const auth = { token: addon.operatorToken };
    // Someone points retention policy 5m at the hourly bucket, makes 1h the default and drops a database.
    const rp5m = await api.find('homeassistant', '5m');
    const dropped = await api.find('homeassistant_1h', 'autogen');
    for (const id of [rp5m.id, dropped.id])
      expect(
        (await call(`${INFLUX}/api/v2/dbrps/${id}?orgID=${api.orgId}`, IP.admin, { ...auth, method: 'DELETE' })).status,
      ).toBe(204);
    const moved = await call(`${INFLUX}/api/v2/dbrps`, IP.admin, {
      ...auth,
      method: 'POST',
      body: {
        orgID: api.orgId,
        bucketID: api.bucketId('homeassistant_1h'),
        database: 'homeassistant',
        retention_policy: '5m',
        default: false,
      },
    });
    expect(moved.status, moved.text).toBe(201);
    const rp1h = await api.find('homeassistant', '1h');
    const patched = await call(`${INFLUX}/api/v2/dbrps/${rp1h.id}?orgID=${api.orgId}`, IP.admin, {
      ...auth,
      method: 'PATCH',
      body: { default: true },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(await storedMappings()).not.toEqual(before);
    await addon.restart(OPTIONS);
    expect(await storedMappings()).toEqual(before);
    // A start with nothing to put back changes nothing: the same mappings, not deleted and created again.
    const ids = await api.ids();
    await addon.restart(OPTIONS);
    expect(await api.ids()).toEqual(ids);
    expect(await storedMappings()).toEqual(before);
  }, 120_000);

  it('gives the buckets of a new bucket option their databases, keeps the old ones, and goes back and forth unchanged', async () => {
    await addon.restart({ ...OPTIONS, bucket: 'home_assistant' });
    expect(await storedMappings()).toEqual([
      // The old bucket keeps its databases, so old dashboards still find its data.
      'home_assistant.1h → home_assistant_1h',
      'home_assistant.5m → home_assistant_5m',
      'home_assistant.autogen → home_assistant (default)',
      'home_assistant_1h.autogen → home_assistant_1h (default)',
      'home_assistant_5m.autogen → home_assistant_5m (default)',
      'homeassistant.1h → homeassistant_1h',
      'homeassistant.5m → homeassistant_5m',
      'homeassistant.autogen → homeassistant (default)',
      'homeassistant_1h.autogen → homeassistant_1h (default)',
      'homeassistant_5m.autogen → homeassistant_5m (default)',
    ]);
    // Back to the old name and forth again: every mapping is already where it belongs, none is made again.
    const api = await dbrps();
    const ids = await api.ids();
    await addon.restart(OPTIONS);
    expect(await api.ids()).toEqual(ids);
    await addon.restart({ ...OPTIONS, bucket: 'home_assistant' });
    expect(await api.ids()).toEqual(ids);
  }, 120_000);

  it('deletes a bucket left behind by the bucket change on request, with its InfluxQL mappings', async () => {
    const del = (name: string, from = IP.admin) => call(`${MANAGER}/api/buckets/${name}`, from, { method: 'DELETE' });
    expect((await del('homeassistant', IP.ingestor)).status).toBe(403);
    const own = await del('home_assistant_5m');
    expect(own.status).toBe(409);
    expect(own.json().error).toMatch(/one of HomeIQ's buckets/);
    expect((await del('no_such_bucket')).status).toBe(404);
    const r = await del('homeassistant');
    expect(r.status, r.text).toBe(200);
    expect(r.json()).toEqual({ deleted: 'homeassistant' });
    const left = await storedMappings();
    // Its database goes with it; the summaries stay reachable under their own names.
    expect(left.filter((m) => m.startsWith('homeassistant'))).toEqual([
      'homeassistant_1h.autogen → homeassistant_1h (default)',
      'homeassistant_5m.autogen → homeassistant_5m (default)',
    ]);
    expect(left.filter((m) => m.startsWith('home_assistant'))).toHaveLength(5);
  });
});
