/**
 * The writer against the REAL influxd (2.x built from source): 204, 400 (bisect), 422 (partial write),
 * 401 and 404 (keep spooling, red health, recover), and a hostile-input round trip through the encoder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxTarget, V2Target } from '../../../homeiq-ingestor/src/influx/send.js';
import { encodeState, type HaState } from '../../../homeiq-ingestor/src/points/state-to-points.js';
import type { InfluxSetup, RealInfluxd } from '../../../dev/peers/influxd.js';
import { countPoints, flux } from '../../../dev/influx-query.js';
import { startInfluxd } from '../../../dev/peers/influxd.js';
import { writerRig } from './writer-rig.js';
import { until } from '../../../dev/until.js';

let influx: RealInfluxd;
let setup: InfluxSetup;
let dir: string;

beforeAll(async () => {
  influx = await startInfluxd();
  setup = await influx.setup();
  dir = await mkdtemp(join(tmpdir(), 'homeiq-writer-influxd-'));
}, 600_000);

afterAll(async () => {
  await influx?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const rig = (name: string, target: () => InfluxTarget) => writerRig(join(dir, name), target);

const good = (): V2Target => ({ url: influx.url, org: setup.org, bucket: setup.bucket, token: setup.token });

describe('InfluxWriter against the real influxd', () => {
  it('204: writes every line and acknowledges the spool', async () => {
    const r = await rig('ok', good);
    for (let i = 0; i < 1200; i += 1)
      r.spool.append(`ok,entity_id=sensor.n${i % 7} state="${i}",value=${i} ${1_700_000_000_000_000_000n + BigInt(i)}`);
    await until('all written', () => r.writer.stats().written === 1200);
    await until('the ack', () => r.spool.stats().bytes === 0);
    expect(await countPoints(influx.url, setup.org, setup.token, setup.bucket, 'r._measurement == "ok"')).toBe(1200);
    expect(r.health.report().status).toBe('green');
    await r.stop();
  });

  it('400: bisects, writes the good lines and quarantines the unparsable one with the reason', async () => {
    const r = await rig('bad400', good);
    for (let i = 0; i < 100; i += 1) {
      r.spool.append(
        i === 37 ? 'bad400 state="unterminated 1' : `bad400 state="${i}" ${1_700_000_000_000_000_000n + BigInt(i)}`,
      );
    }
    await until('all handled', () => r.writer.stats().written + r.writer.stats().quarantined === 100);
    expect(r.writer.stats()).toMatchObject({ written: 99, quarantined: 1 });
    expect(r.writer.stats().bisections).toBeGreaterThan(0);
    const [entry] = await r.quarantine.entries();
    expect(entry).toMatchObject({ status: 400, line: 'bad400 state="unterminated 1' });
    expect(entry?.reason).toMatch(/unbalanced quotes|bad timestamp|invalid/i);
    expect(await countPoints(influx.url, setup.org, setup.token, setup.bucket, 'r._measurement == "bad400"')).toBe(99);
    await r.stop();
  });

  it('422: a field type conflict keeps the good lines and quarantines the conflicting one', async () => {
    const r = await rig('conflict', good);
    r.spool.append(`conflict state="a",value=1 1700000000000000000`);
    await until('seed written', () => r.writer.stats().written === 1);
    for (let i = 1; i <= 50; i += 1)
      r.spool.append(`conflict state="b",value=${i === 20 ? '"text"' : i} ${1_700_000_000_000_000_000n + BigInt(i)}`);
    await until('all handled', () => r.writer.stats().written + r.writer.stats().quarantined === 51);
    expect(r.writer.stats().quarantined).toBe(1);
    const [entry] = await r.quarantine.entries();
    expect(entry?.status).toBe(422);
    expect(entry?.line).toContain('value="text"');
    expect(entry?.reason).toMatch(/field type conflict/);
    expect(await countPoints(influx.url, setup.org, setup.token, setup.bucket, 'r._measurement == "conflict"')).toBe(
      50,
    );
    await r.stop();
  });

  it('401 and 404: keeps spooling with red health and the reason, then writes everything once fixed', async () => {
    let target: InfluxTarget = { ...good(), token: 'not-a-token' };
    const r = await rig('auth', () => target);
    for (let i = 0; i < 20; i += 1) r.spool.append(`auth state="${i}" ${1_700_000_000_000_000_000n + BigInt(i)}`);
    await until('red health (401)', () => r.health.report().status === 'red');
    const writes = () => r.health.report().checks.find((c) => c.name === 'influxdb-writes')?.reason ?? '';
    expect(writes()).toMatch(/401.*token rejected/);
    expect(r.invalidated()).toBeGreaterThan(0);
    target = { ...good(), bucket: 'no-such-bucket' };
    await until('404 reason', () => /404/.test(writes()));
    expect(r.writer.stats().written).toBe(0);
    expect(r.spool.stats().bytes).toBeGreaterThan(0);
    target = good();
    await until('written after the fix', () => r.writer.stats().written === 20);
    expect(r.health.report().status).toBe('green');
    expect(await countPoints(influx.url, setup.org, setup.token, setup.bucket, 'r._measurement == "auth"')).toBe(20);
    await r.stop();
  });

  it('hostile entity ids, attribute names and values come back from InfluxDB exactly as sent', async () => {
    const hostile = [
      'a b',
      'c,d',
      'e=f',
      'g"h',
      'i\\j',
      'k\nl',
      '°C ✓',
      '#x',
      'trailing\\',
      'x=1 y=2 3\nnext,line=1 v=1',
    ];
    const r = await rig('hostile', good);
    const opts = { maxStringLength: 1000, excludeAttributes: new Set<string>(), layout: 'homeiq' as const };
    hostile.forEach((h, i) => {
      const s: HaState = {
        entity_id: `sensor.hostile_${i}`,
        state: h,
        attributes: { unit_of_measurement: 'u', [`name ${h}`]: h, nested: { h, deep: [h] } },
        last_updated: `2026-09-01T10:00:0${i}.123456+00:00`,
      };
      const line = encodeState(s, opts).line as string;
      r.spool.append(line);
    });
    await until('written', () => r.writer.stats().written === hostile.length);
    expect(r.writer.stats().quarantined).toBe(0);
    const rows = await flux(
      influx.url,
      setup.org,
      setup.token,
      `from(bucket: "${setup.bucket}") |> range(start: 2026-09-01T00:00:00Z, stop: 2026-09-02T00:00:00Z) |> filter(fn: (r) => r._measurement == "sensor" and r.entity_id =~ /hostile/)`,
    );
    hostile.forEach((h, i) => {
      const mine = rows.filter((row) => row['entity_id'] === `sensor.hostile_${i}`);
      expect(mine.find((row) => row['_field'] === 'state')?.['_value']).toBe(h);
      expect(mine.find((row) => row['_field'] === 'attr_nested_json')?.['_value']).toBe(
        JSON.stringify({ h, deep: [h] }),
      );
      expect(
        mine.find((row) => row['_field']?.endsWith('_str') && row['_field'].startsWith('attr_name'))?.['_value'],
      ).toBe(h);
      expect(mine.find((row) => row['_field'] === 'state')?.['_time']).toBe(`2026-09-01T10:00:0${i}.123456Z`);
      expect(mine[0]?.['unit']).toBe('u');
    });
    await r.stop();
  });
});
