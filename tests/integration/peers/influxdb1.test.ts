import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxdb1, type Influxdb1Release, type RealInfluxdb1 } from '../../../dev/peers/influxdb1.js';

// Both 1.x peers: what the harness promises (loopback, auth on, admin user, v1 write and InfluxQL) and the
// differences between them that tests rely on (1.8 has the /api/v2/write compatibility API, 1.6.7 does not).
describe.each<[Influxdb1Release, RegExp]>([
  ['debian', /^1\.6\./],
  ['1.8', /^1\.8\.10$/],
])('real InfluxDB 1.x peer (%s)', (release, versionPattern) => {
  let influx: RealInfluxdb1;

  beforeAll(async () => {
    influx = await startInfluxdb1({ release });
  }, 600_000);

  afterAll(async () => {
    await influx?.dispose();
  });

  it('runs the expected release on loopback', () => {
    expect(influx.version).toMatch(versionPattern);
    expect(influx.host).toMatch(/^127\./);
  });

  it('stores line protocol written to /write and answers InfluxQL', async () => {
    await influx.createDatabase('home_assistant');
    await influx.write(
      'home_assistant',
      '°C,domain=sensor,entity_id=kitchen value=21.5 1700000000000000000\n°C,domain=sensor,entity_id=kitchen value=22 1700000060000000000\n',
    );
    const [r] = await influx.query(
      `SELECT mean("value") FROM "°C" WHERE "entity_id" = 'kitchen' AND time >= 1700000000s AND time < 1700000120s`,
      { db: 'home_assistant', epoch: 's' },
    );
    expect(r?.series?.[0]?.values).toEqual([[1700000000, 21.75]]);
    const [m] = await influx.query('SHOW MEASUREMENTS', { db: 'home_assistant' });
    expect(m?.series?.[0]?.values).toEqual([['°C']]);
  });

  it('requires credentials: none or a wrong password is a 401, a read-only user cannot write (403)', async () => {
    const none = await fetch(`${influx.url}/write?db=home_assistant`, { method: 'POST', body: 'm v=1' });
    expect(none.status).toBe(401);
    await expect(
      influx.write('home_assistant', 'm v=1', { user: { username: 'homeiq-admin', password: 'wrong' } }),
    ).rejects.toThrow(/401/);
    const reader = { username: `reader_${release.replace('.', '')}`, password: 'reader-password' };
    await influx.createUser(reader, [{ db: 'home_assistant', privilege: 'READ' }]);
    await expect(influx.write('home_assistant', 'm v=1', { user: reader })).rejects.toThrow(/403/);
    const [r] = await influx.query('SELECT count("value") FROM "°C"', { db: 'home_assistant', user: reader });
    expect(r?.series?.[0]?.values?.[0]?.[1]).toBe(2);
  });

  it(`${release === '1.8' ? 'accepts' : 'has no'} /api/v2/write (bucket "db/rp", token "user:password")`, async () => {
    const res = await fetch(`${influx.url}/api/v2/write?bucket=home_assistant/autogen&precision=s`, {
      method: 'POST',
      headers: { Authorization: `Token homeiq-admin:homeiq-admin-password` },
      body: 'v2compat v=1 1700000000\n',
    });
    expect(res.status).toBe(release === '1.8' ? 204 : 404);
  });

  it('keeps its data across a restart and a crash', async () => {
    await influx.stop();
    await influx.start();
    await influx.kill();
    await influx.start();
    const [r] = await influx.query('SELECT count("value") FROM "°C"', { db: 'home_assistant' });
    expect(r?.series?.[0]?.values?.[0]?.[1]).toBe(2);
  });
});
