/**
 * The panel shows stored strings exactly: states holding line feeds, CR LF, lone carriage returns, quotes,
 * backslashes, commas and non-BMP text are written to a REAL influxd and read back through the admin's own
 * queries (entity list and state history) and its InfluxDB reader, i.e. the shared Flux CSV reader. Flux's CSV
 * writer turns `\n` into `\r\n` and drops `\r`; without `fluxExact` these come back altered. The manager and
 * the sibling locator stand in for the influxdb add-on (they only hand over the token and the address).
 */
import { FluxQueryError, parseFluxCsv } from '@homeiq/shared';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxReader } from '../../../homeiq-admin/src/influx/flux.js';
import { entityRows, entitySeries } from '../../../homeiq-admin/src/influx/queries.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { adminReader } from '../../harness/admin-reader.js';

const HOSTILE = [
  'a\nb',
  'a\r\nb',
  'a\rb',
  '\r',
  '\r\n\r\n',
  '\n\r',
  'say "hi", then \\leave\\',
  '\\r is not a carriage return',
  'tab\there 🏠 \u{1F600}',
  '',
  ' leading and trailing ',
];

let influx: RealInfluxd;
let setup: InfluxSetup;
let dir: string;
let reader: InfluxReader;
const now = Date.now();

/** Line protocol string field: only `"` and `\` are escaped; every other character is taken as it is. */
const lpString = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

beforeAll(async () => {
  influx = await startInfluxd();
  setup = await influx.setup();
  dir = await mkdtemp(join(tmpdir(), 'homeiq-admin-exact-'));
  const lines = HOSTILE.map(
    (s, i) => `sensor,domain=sensor,entity_id=sensor.h${i} state=${lpString(s)} ${(now - 60_000 + i) * 1e6}`,
  );
  const res = await fetch(`${influx.url}/api/v2/write?org=${setup.org}&bucket=${setup.bucket}&precision=ns`, {
    method: 'POST',
    headers: { Authorization: `Token ${setup.token}` },
    body: lines.join('\n'),
  });
  expect(res.status, await res.text()).toBe(204);
  reader = adminReader({ setup, host: influx.host, port: influx.port, dir });
}, 600_000);

afterAll(async () => {
  await influx?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('stored strings through the panel', () => {
  it('the entity list shows each last state exactly', async () => {
    const rows = await entityRows(reader, now);
    const got = Object.fromEntries(rows.map((r) => [r.entityId, r.lastState]));
    expect(got).toEqual(Object.fromEntries(HOSTILE.map((s, i) => [`sensor.h${i}`, s])));
  });

  it("an entity's state history shows each state exactly", async () => {
    for (const [i, s] of HOSTILE.entries()) {
      const series = await entitySeries(reader, `sensor.h${i}`, '1h', now);
      expect(series.states.map((x) => x.state)).toEqual([s]);
    }
  });

  it('without fluxExact, Flux CSV alters them (why the panel escapes)', async () => {
    const res = await fetch(`${influx.url}/api/v2/query?org=${setup.org}`, {
      method: 'POST',
      headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/vnd.flux' },
      body: `from(bucket: "${setup.bucket}") |> range(start: 0) |> filter(fn: (r) => r.entity_id == "sensor.h2")`,
    });
    expect(parseFluxCsv(await res.text())[0]?.['_value']).toBe('ab');
  });

  it('a query that fails after InfluxDB began to answer raises the error, not a partial answer', async () => {
    // The first result is large enough to be on its way before the second one fails: Flux appends an error table.
    const gen = (count: number) =>
      `generate.from(count: ${count}, fn: (n) => n, start: 2021-01-01T00:00:00Z, stop: 2021-01-02T00:00:00Z)`;
    const res = await fetch(`${influx.url}/api/v2/query?org=${setup.org}`, {
      method: 'POST',
      headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/vnd.flux' },
      body: `import "generate"
${gen(20_000)} |> yield(name: "a")
${gen(3)} |> map(fn: (r) => ({r with _value: die(msg: "stop here")})) |> yield(name: "b")`,
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(() => parseFluxCsv(text)).toThrow(FluxQueryError);
    expect(() => parseFluxCsv(text)).toThrow(/stop here/);
  });
});
