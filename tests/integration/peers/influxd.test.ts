import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildInfluxd, startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';

let influx: RealInfluxd;
let setup: InfluxSetup;

beforeAll(async () => {
  influx = await startInfluxd();
  setup = await influx.setup();
}, 600_000);

afterAll(async () => {
  await influx?.dispose();
});

describe('real influxd peer', () => {
  it('is the version homeiq-influxdb pins in its Dockerfile', async () => {
    const dockerfile = await readFile(new URL('../../../homeiq-influxdb/Dockerfile', import.meta.url), 'utf8');
    const pinned = /^ARG INFLUXDB_VERSION=(\S+)$/m.exec(dockerfile)?.[1];
    expect(pinned).toMatch(/^2\.\d+\.\d+$/);
    const { stdout } = await promisify(execFile)(await buildInfluxd(), ['version']);
    expect(stdout).toContain(`InfluxDB v${pinned}`);
  });

  it('stores a point written with line protocol and returns it to a Flux query', async () => {
    const auth = { Authorization: `Token ${setup.token}` };
    const write = await fetch(`${influx.url}/api/v2/write?org=${setup.org}&bucket=${setup.bucket}&precision=ns`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'text/plain; charset=utf-8' },
      body: 'sensor,entity_id=sensor.smoke value=21.5,state="21.5" 1700000000000000000\n',
    });
    expect(write.status).toBe(204);
    const query = await fetch(`${influx.url}/api/v2/query?org=${setup.org}`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/vnd.flux', Accept: 'application/csv' },
      body: `from(bucket: "${setup.bucket}") |> range(start: 2023-01-01T00:00:00Z) |> filter(fn: (r) => r._field == "value")`,
    });
    expect(query.status).toBe(200);
    const csv = await query.text();
    expect(csv).toContain('sensor.smoke');
    expect(csv).toMatch(/,21\.5,/);
  });
});
