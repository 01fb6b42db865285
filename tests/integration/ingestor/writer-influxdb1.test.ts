/**
 * The writer against REAL InfluxDB 1.x servers (dev/peers/influxdb1): Debian's 1.6.7 and 1.8.10 through the
 * 1.x `/write` API, and 1.8.10 through its `/api/v2/write` compatibility API. The same handling as for 2.x:
 * 204 written and acknowledged; 400 (1.x's answer to a bad line and to a field type conflict, a partial write)
 * bisected down to the one line, which goes to the quarantine with the server's reason; wrong credentials,
 * a read-only user, a missing database or retention policy keep the points spooled with red health and the
 * reason, and everything is written once the target is right.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxTarget } from '../../../homeiq-ingestor/src/influx/send.js';
import { startInfluxdb1, type Influxdb1Release, type RealInfluxdb1 } from '../../../dev/peers/influxdb1.js';
import { until } from '../../../dev/until.js';
import { writerRig } from './writer-rig.js';

type Flavour = 'v1' | 'v2-compat';
const DB = 'home_assistant';
const WRITER = { username: 'ha_writer', password: 'writer-password' };
const READER = { username: 'ha_reader', password: 'reader-password' };

describe.each<[Influxdb1Release, Flavour]>([
  ['debian', 'v1'],
  ['1.8', 'v1'],
  ['1.8', 'v2-compat'],
])('InfluxWriter against a real InfluxDB 1.x (%s, %s)', (release, flavour) => {
  let influx: RealInfluxdb1;
  let dir: string;

  beforeAll(async () => {
    influx = await startInfluxdb1({ release });
    await influx.createDatabase(DB);
    await influx.createUser(WRITER, [{ db: DB, privilege: 'WRITE' }]);
    await influx.createUser(READER, [{ db: DB, privilege: 'READ' }]);
    dir = await mkdtemp(join(tmpdir(), 'homeiq-writer-influxdb1-'));
  }, 600_000);

  afterAll(async () => {
    await influx?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The target as a user would configure it: `database` etc. for v1, `bucket` db/rp and token user:password for 1.8's v2 API. */
  const target = (
    o: { db?: string; rp?: string; user?: { username: string; password: string } } = {},
  ): InfluxTarget => {
    const user = o.user ?? WRITER;
    return flavour === 'v1'
      ? {
          api: 'v1',
          url: influx.url,
          database: o.db ?? DB,
          retentionPolicy: o.rp,
          username: user.username,
          password: user.password,
        }
      : {
          url: influx.url,
          org: '-',
          bucket: `${o.db ?? DB}/${o.rp ?? 'autogen'}`,
          token: `${user.username}:${user.password}`,
        };
  };
  const rig = (name: string, t: () => InfluxTarget) => writerRig(join(dir, name), t);
  const count = async (measurement: string, field = 'state'): Promise<number> => {
    const [r] = await influx.query(`SELECT count("${field}") FROM "${measurement}"`, { db: DB });
    return Number(r?.series?.[0]?.values?.[0]?.[1] ?? 0);
  };
  const ns = (i: number): bigint => 1_700_000_000_000_000_000n + BigInt(i);

  it('204: writes every line and acknowledges the spool', async () => {
    const r = await rig('ok', () => target());
    for (let i = 0; i < 1200; i += 1) r.spool.append(`ok,entity_id=sensor.n${i % 7} state="${i}",value=${i} ${ns(i)}`);
    await until('all written', () => r.writer.stats().written === 1200);
    await until('the ack', () => r.spool.stats().bytes === 0);
    expect(await count('ok')).toBe(1200);
    expect(r.health.report().status).toBe('green');
    await r.stop();
  });

  it('400 for a bad line: bisects, writes the others and quarantines it with the reason', async () => {
    const r = await rig('bad400', () => target());
    for (let i = 0; i < 100; i += 1)
      r.spool.append(i === 37 ? 'bad400 state="unterminated 1' : `bad400 state="${i}" ${ns(i)}`);
    await until('all handled', () => r.writer.stats().written + r.writer.stats().quarantined === 100);
    expect(r.writer.stats()).toMatchObject({ written: 99, quarantined: 1 });
    const [entry] = await r.quarantine.entries();
    expect(entry).toMatchObject({ status: 400, line: 'bad400 state="unterminated 1' });
    expect(entry?.reason).toMatch(/unable to parse/);
    expect(await count('bad400')).toBe(99);
    await r.stop();
  });

  it('400 for a field type conflict (1.x has no 422): the conflicting line alone goes to the quarantine', async () => {
    const r = await rig('conflict', () => target());
    r.spool.append(`conflict state="a",value=1 ${ns(0)}`);
    await until('seed written', () => r.writer.stats().written === 1);
    for (let i = 1; i <= 50; i += 1) r.spool.append(`conflict state="b",value=${i === 20 ? '"text"' : i} ${ns(i)}`);
    await until('all handled', () => r.writer.stats().written + r.writer.stats().quarantined === 51);
    expect(r.writer.stats().quarantined).toBe(1);
    const [entry] = await r.quarantine.entries();
    expect(entry?.status).toBe(400);
    expect(entry?.line).toContain('value="text"');
    expect(entry?.reason).toMatch(/field type conflict/);
    expect(await count('conflict', 'value')).toBe(50);
    await r.stop();
  });

  it('401, 403, a missing database or retention policy: spools with red health and the reason, then writes all', async () => {
    let t = target({ user: { username: WRITER.username, password: 'wrong' } });
    const r = await rig('config', () => t);
    for (let i = 0; i < 20; i += 1) r.spool.append(`config state="${i}" ${ns(i)}`);
    await until('red health (401)', () => r.health.report().status === 'red');
    expect(r.writes()).toMatch(/^InfluxDB answered 401/);
    t = target({ user: READER });
    await until('403', () => /^InfluxDB answered 403/.test(r.writes()));
    t = target({ db: 'no_such_db' });
    await until('404', () => /^InfluxDB answered 404 \(.*not found\).*database not found/.test(r.writes()));
    t = target({ rp: 'no_such_rp' });
    await until('the retention policy', () => /retention policy not found/.test(r.writes()));
    expect(r.health.report().status).toBe('red');
    expect(r.health.report().checks.find((c) => c.name === 'influxdb-writes')?.hint).toMatch(
      /Check the InfluxDB target/,
    );
    expect(r.writer.stats().written).toBe(0);
    expect(r.spool.stats().bytes).toBeGreaterThan(0);
    t = target();
    await until('written after the fix', () => r.writer.stats().written === 20);
    expect(r.health.report().status).toBe('green');
    expect(await count('config')).toBe(20);
    await r.stop();
  });
});
