/**
 * Retention changes against a real influxd: InfluxDB refuses a retention shorter than the bucket's
 * shard-group duration unless that duration changes with it, so every change must carry one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxApi, InfluxApiError, type Bucket } from '../../../homeiq-influxdb/src/influx/api.js';
import { buildInfluxd, startInfluxd, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { call } from '../../harness/influxdb-addon.js';
import { DEFAULTS, manager, managerApi } from './provisioning.js';

const IP = { influxd: '127.0.33.1', manager: '127.0.33.2' };
const DAY = 86_400;

let tmp: string;
let dataDir: string;
let inf: RealInfluxd;

beforeAll(async () => {
  const binary = await buildInfluxd();
  tmp = await mkdtemp(join(tmpdir(), 'homeiq-influxdb-retention-'));
  dataDir = join(tmp, 'data');
  inf = await startInfluxd({ binary, host: IP.influxd, dataDir: join(dataDir, 'influxdb2') });
}, 600_000);

afterAll(async () => {
  await inf?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const rule = (b: Bucket) => b.retentionRules.find((r) => r.type === 'expire');

async function bucket(m: ReturnType<typeof manager>, name: string): Promise<Bucket> {
  const orgId = m.provisioning.current().orgId;
  const b = (await m.api.buckets(orgId)).find((x) => x.name === name);
  expect(b, name).toBeDefined();
  return b as Bucket;
}

describe('retention changes on a real influxd', () => {
  it('onboards, then accepts every retention change, up and down', async () => {
    const m = manager(dataDir, inf.url);
    await m.provisioning.start();
    const orgId = m.provisioning.current().orgId;
    for (const [from, to] of [
      [0, 1],
      [730, 1],
      [365, 2],
      [0, 36500],
      [36500, 1],
      [1, 365],
      [3, 0],
      [200, 179],
    ] as const) {
      const b = await m.api.createBucket(orgId, `b_${from}_${to}`, from * DAY);
      const u = await m.api.setBucketRetention(b.id, to * DAY);
      expect(rule(u)?.everySeconds, `${from} d → ${to} d`).toBe(to * DAY);
      const shard = rule(u)?.shardGroupDurationSeconds ?? 0;
      if (to > 0) expect(shard, `${from} d → ${to} d`).toBeLessThan(to * DAY);
    }
  });

  it('a start with retention_days 3 lowers an existing 365-day bucket', async () => {
    const m = manager(dataDir, inf.url, { ...DEFAULTS, retention_days: 3, retention_5m_days: 1 });
    await m.provisioning.start();
    expect(rule(await bucket(m, 'homeassistant'))).toMatchObject({
      everySeconds: 3 * DAY,
      shardGroupDurationSeconds: DAY,
    });
    expect(rule(await bucket(m, 'homeassistant_5m'))).toMatchObject({
      everySeconds: DAY,
      shardGroupDurationSeconds: 3600,
    });
    // And back up, with InfluxDB's shard-group duration for a long retention again.
    const back = manager(dataDir, inf.url);
    await back.provisioning.start();
    expect(rule(await bucket(back, 'homeassistant'))).toMatchObject({
      everySeconds: 365 * DAY,
      shardGroupDurationSeconds: 7 * DAY,
    });
  });

  it('the panel lowers a retention: InfluxDB first, then the option is saved', async () => {
    const m = manager(dataDir, inf.url);
    await m.provisioning.start();
    const api = await managerApi(m, IP.manager);
    try {
      const r = await call(`${api.url}/api/buckets/homeassistant`, IP.manager, {
        method: 'PATCH',
        body: { retentionDays: 5 },
      });
      expect(r.status, r.text).toBe(200);
      expect(r.json()).toMatchObject({ name: 'homeassistant', retentionDays: 5, option: 'retention_days' });
      expect(m.saved).toEqual([{ retention_days: 5 }]);
      expect(rule(await bucket(m, 'homeassistant'))?.everySeconds).toBe(5 * DAY);
    } finally {
      await api.close();
    }
  });

  it('a change InfluxDB refuses answers 422 with its reason, saves no option and is logged', async () => {
    // The request this add-on used to send (no shard-group duration): InfluxDB's own refusal.
    class OldApi extends InfluxApi {
      override async setBucketRetention(id: string, seconds: number): Promise<Bucket> {
        const res = await fetch(`${inf.url}/api/v2/buckets/${id}`, {
          method: 'PATCH',
          headers: { Authorization: `Token ${m.provisioning.operatorToken()}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ retentionRules: [{ type: 'expire', everySeconds: seconds }] }),
        });
        const body = (await res.json()) as Bucket & { message?: string };
        if (!res.ok)
          throw new InfluxApiError(
            `InfluxDB PATCH /api/v2/buckets/${id} answered ${res.status}: ${body.message}`,
            res.status,
          );
        return body;
      }
    }
    const m = manager(dataDir, inf.url, DEFAULTS, { api: (token) => new OldApi({ baseUrl: inf.url, token }) });
    await m.provisioning.start();
    const api = await managerApi(m, IP.manager);
    try {
      const r = await call(`${api.url}/api/buckets/homeassistant_5m`, IP.manager, {
        method: 'PATCH',
        body: { retentionDays: 3 },
      });
      expect(r.status, r.text).toBe(422);
      expect(r.json().error).toMatch(
        /InfluxDB refused a retention of 3 days for bucket homeassistant_5m.*shard-group duration/,
      );
      expect(m.saved).toEqual([]);
      expect(rule(await bucket(m, 'homeassistant_5m'))?.everySeconds).toBe(730 * DAY);
      expect(m.lines.join('\n')).toMatch(/InfluxDB refused a retention of 3 days for bucket homeassistant_5m/);
    } finally {
      await api.close();
    }
  });

  it('when the Supervisor does not save the option, the bucket is put back and the panel gets a 502', async () => {
    const m = manager(dataDir, inf.url, DEFAULTS, {
      saveOptions: async () => Promise.reject(new Error('Supervisor answered 500')),
    });
    await m.provisioning.start();
    const before = rule(await bucket(m, 'homeassistant'));
    const api = await managerApi(m, IP.manager);
    try {
      const r = await call(`${api.url}/api/buckets/homeassistant`, IP.manager, {
        method: 'PATCH',
        body: { retentionDays: 4 },
      });
      expect(r.status, r.text).toBe(502);
      expect(r.json().error).toMatch(/did not save the option retention_days.*unchanged/);
      expect(rule(await bucket(m, 'homeassistant'))).toEqual(before);
    } finally {
      await api.close();
    }
  });
});
