import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError } from '@homeiq/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_MAX_ANSWER_BYTES, QueryConsole } from '../../../homeiq-admin/src/explore/console.js';
import { MAX_INFLUXQL_COUNT } from '../../../homeiq-admin/src/explore/influxql-guard.js';
import { mayCreateEmptyWindows } from '../../../homeiq-admin/src/explore/query-guard.js';
import type { InfluxReader } from '../../../homeiq-admin/src/influx/flux.js';
import { adminReader } from '../../harness/admin-reader.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { influxdTuning } from '../../../homeiq-influxdb/src/influxd/memory-profile.js';

// The query console against a real influxd: answers as tables, InfluxDB's own error messages, what the guard
// refuses, and the row, time and size limits.
let influxd: RealInfluxd;
let setup: InfluxSetup;
let dir: string;
let stall: Server;
let flood: Server;

function reader(host: string, port: number, forget?: (sibling: string) => void): InfluxReader {
  return adminReader({ setup, host, port, dir, ...(forget ? { forget } : {}) });
}

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

let console_: QueryConsole;

beforeAll(async () => {
  // As the influxdb add-on runs it by default: each query within a memory limit.
  influxd = await startInfluxd({ args: influxdTuning('small').args });
  setup = await influxd.setup({ bucket: 'homeassistant' });
  dir = await mkdtemp(join(tmpdir(), 'homeiq-console-'));
  const t0 = Date.UTC(2025, 0, 1);
  const lines = Array.from(
    { length: 3000 },
    (_, i) =>
      `sensor,entity_id=sensor.t${i % 3},unit=°C state="${20 + (i % 7)}",value=${20 + (i % 7)} ${t0 + i * 60_000}`,
  );
  const res = await fetch(`${influxd.url}/api/v2/write?org=${setup.org}&bucket=${setup.bucket}&precision=ms`, {
    method: 'POST',
    headers: { Authorization: `Token ${setup.token}` },
    body: lines.join('\n'),
  });
  expect(res.status).toBe(204);
  // The database the influxdb add-on maps onto the raw bucket (homeiq-influxdb/src/dbrp.ts).
  const buckets = (await (
    await fetch(`${influxd.url}/api/v2/buckets?name=${setup.bucket}`, {
      headers: { Authorization: `Token ${setup.token}` },
    })
  ).json()) as { buckets: Array<{ id: string }> };
  const dbrp = await fetch(`${influxd.url}/api/v2/dbrps`, {
    method: 'POST',
    headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      bucketID: buckets.buckets[0]?.id,
      orgID: setup.orgId,
      database: setup.bucket,
      retention_policy: 'autogen',
      default: true,
    }),
  });
  expect(dbrp.status).toBe(201);
  console_ = new QueryConsole(reader(influxd.host, influxd.port));
}, 600_000);

afterAll(async () => {
  await influxd?.dispose();
  stall?.closeAllConnections();
  stall?.close();
  flood?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const flux = (query: string, rows = 1000, timeoutS = 30) => console_.run({ language: 'flux', query, rows, timeoutS });

async function refusal(query: string): Promise<HttpError> {
  const err = await flux(query).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe('query console on a real influxd', () => {
  it('answers tables with their columns, types and group keys', async () => {
    const a = await flux(`from(bucket: "homeassistant")
  |> range(start: 2025-01-01T00:00:00Z, stop: 2025-01-01T01:00:00Z)
  |> filter(fn: (r) => r._field == "value")
  |> count()`);
    expect(a.truncated).toBeUndefined();
    expect(a.rows).toBe(3);
    expect(a.tables).toHaveLength(3);
    const t = a.tables[0];
    expect(t?.result).toBe('_result');
    expect(t?.columns.find((c) => c.name === '_value')).toEqual({ name: '_value', type: 'long', group: false });
    expect(t?.columns.find((c) => c.name === 'entity_id')).toEqual({ name: 'entity_id', type: 'string', group: true });
    expect(a.tables.map((x) => x.rows[0]?.[t?.columns.findIndex((c) => c.name === '_value') ?? -1])).toEqual([
      '20',
      '20',
      '20',
    ]);
  });

  it("passes InfluxDB's own error messages on, from the parser and from the query", async () => {
    const direct = async (query: string): Promise<string> => {
      const res = await fetch(`${influxd.url}/api/v2/query?orgID=${setup.orgId}`, {
        method: 'POST',
        headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ query, type: 'flux' }),
      });
      return ((await res.json()) as { message: string }).message;
    };
    const missing = 'from(bucket: "nope") |> range(start: -1h)';
    const e1 = await refusal(missing);
    expect(e1.status).toBe(400);
    expect(e1.message).toBe(await direct(missing));
    expect(e1.message).toContain('could not find bucket "nope"');
    expect(e1.details).toEqual({ source: 'influxdb', status: 404 });
    const e2 = await refusal('from(bucket: "homeassistant" |> range(');
    expect(e2.status).toBe(400);
    expect(e2.message).toMatch(/expected RPAREN/);
  });

  it('refuses writes, other servers and packages that reach outside, on the parsed program', async () => {
    for (const [query, why] of [
      ['import "http"\nhttp.post(url: "http://example.com")', 'does not run import "http"'],
      ['import "sql"\nsql.from(driverName: "postgres", dataSourceName: "x", query: "y")', 'import "sql"'],
      ['import "experimental/http"\nexperimental.x()', 'import "experimental/http"'],
      ['from(bucket: "homeassistant", host: "http://example.com", token: "t") |> range(start: -1h)', 'host:'],
      ['from(bucket: "homeassistant") |> range(start: -1h) |> to(bucket: "x")', 'to() writes'],
      ['w = to\nfrom(bucket: "homeassistant") |> range(start: -1h) |> w(bucket: "x")', 'to() writes'],
      [
        'import "experimental"\nfrom(bucket: "homeassistant") |> range(start: -1h) |> experimental.to(bucket: "x")',
        'experimental.to() writes',
      ],
      [
        'import e "experimental"\nfrom(bucket: "homeassistant") |> range(start: -1h) |> e.to(bucket: "x")',
        'e.to() writes',
      ],
      // A package in a variable or an argument: what is called on it cannot be seen (InfluxDB runs both).
      [
        'import "experimental"\ne = experimental\nfrom(bucket: "homeassistant") |> range(start: -1h) |> e.to(bucket: "x")',
        'not experimental as a value',
      ],
      [
        'import "experimental"\nw = (p) => from(bucket: "homeassistant") |> range(start: -1h) |> p.to(bucket: "x")\nw(p: experimental)',
        'not experimental as a value',
      ],
      ['import u "universe"\nx = {p: u}\nx.p.to(bucket: "x")', 'not u as a value'],
    ] as const) {
      const e = await refusal(query);
      expect(e.status, query).toBe(400);
      expect(e.message, query).toContain(why);
      expect(e.details).toEqual({ source: 'console' });
    }
    // Records and columns may be called `to` or `host`: only calls and uses of the functions are refused.
    const ok = await flux(`import "array"
array.from(rows: [{to: 1, host: "a"}]) |> map(fn: (r) => ({r with to: r.to + 1}))`);
    const cols = ok.tables[0]?.columns.map((c) => c.name) ?? [];
    const row = ok.tables[0]?.rows[0] ?? [];
    expect(Object.fromEntries(cols.map((c, i) => [c, row[i]]))).toEqual({ to: '2', host: 'a' });
  });

  it('leaves windows that may be empty to Flux, which keeps to the memory limit', async () => {
    const ast = async (query: string): Promise<unknown> => {
      const res = await fetch(`${influxd.url}/api/v2/query/ast`, {
        method: 'POST',
        headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      return ((await res.json()) as { ast: unknown }).ast;
    };
    for (const [query, may] of [
      ['x |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)', false],
      ['x |> window(every: 1m) |> count()', false],
      ['x |> aggregateWindow(every: 1m, fn: mean)', true],
      ['x |> window(every: 1m, createEmpty: true) |> count()', true],
      ['e = true\nx |> aggregateWindow(every: 1m, fn: mean, createEmpty: e)', true],
      ['aw = aggregateWindow\nx |> aw(every: 1m, fn: mean, createEmpty: false)', true],
      ['import "universe"\nx |> universe.aggregateWindow(every: 1m, fn: mean)', true],
      ['false = true\nx |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)', true],
      ['f = (false=true) => x |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)\nf()', true],
    ] as const)
      expect(mayCreateEmptyWindows(await ast(query)), query).toBe(may);
    // Left to the storage engine, these 9.5e17 windows are listed at once, past the memory limit (gigabytes a
    // minute), and the listing goes on after the console stops waiting. Flux refuses them.
    const e = await refusal(
      'from(bucket: "homeassistant") |> range(start: 2000-01-01T00:00:00Z, stop: 2030-01-01T00:00:00Z) |> aggregateWindow(every: 1ns, fn: count)',
    );
    expect(e).toMatchObject({ status: 400, details: { source: 'influxdb', status: 400 } });
    expect(e.message).toMatch(/^memory allocation limit reached/);
    // Counted by Flux or by the storage engine, the windows come out the same.
    const counts = async (createEmpty: string) =>
      (
        await flux(`from(bucket: "homeassistant")
  |> range(start: 2025-01-01T00:00:00Z, stop: 2025-01-01T03:00:00Z)
  |> filter(fn: (r) => r._field == "value")
  |> aggregateWindow(every: 1h, fn: count${createEmpty})`)
      ).tables.map((t) => {
        const [ti, vi] = ['_time', '_value'].map((n) => t.columns.findIndex((c) => c.name === n));
        return t.rows.map((r) => [r[ti ?? -1], r[vi ?? -1]]);
      });
    const byFlux = await counts('');
    expect(byFlux).toHaveLength(3);
    expect(byFlux[0]?.map((r) => r[1])).toEqual(['20', '20', '20']);
    expect(await counts(', createEmpty: false')).toEqual(byFlux);
  });

  it('InfluxQL: series as tables with their tags, long series whole across chunks, the databases', async () => {
    const q = (query: string, rows = 10_000) => console_.run({ language: 'influxql', query, rows, timeoutS: 30 });
    const a = await q(`SELECT last("value") FROM "sensor" WHERE time < '2025-01-02T00:00:00Z' GROUP BY "entity_id"`);
    expect(a.language).toBe('influxql');
    expect(a.tables.map((t) => t.table)).toEqual([
      'sensor entity_id=sensor.t0',
      'sensor entity_id=sensor.t1',
      'sensor entity_id=sensor.t2',
    ]);
    expect(a.tables[0]?.columns).toEqual([
      { name: 'time', type: 'dateTime:RFC3339', group: false },
      { name: 'last', type: 'double', group: false },
      { name: 'entity_id', type: 'string', group: true },
    ]);
    expect(a.tables[0]?.rows).toEqual([['2025-01-01T23:57:00Z', String(20 + (1437 % 7)), 'sensor.t0']]);
    // 3000 rows come in chunks of 1000: one table, in order.
    const all = await q('SELECT "value", "state" FROM "sensor"');
    expect(all.tables).toHaveLength(1);
    expect(all.rows).toBe(3000);
    expect(all.tables[0]?.rows.map((r) => r[0])).toEqual(
      Array.from({ length: 3000 }, (_, i) =>
        new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString().replace('.000Z', 'Z'),
      ),
    );
    const cut = await q('SELECT "value" FROM "sensor"', 2500);
    expect(cut).toMatchObject({ rows: 2500, truncated: 'the first 2500 rows (the row limit)' });
    expect(await console_.databases()).toEqual(['homeassistant']);
  });

  it("InfluxQL: InfluxDB's errors in its words, and only reading statements", async () => {
    const err = (query: string, database?: string) =>
      console_
        .run({ language: 'influxql', query, database, rows: 10, timeoutS: 30 })
        .catch((e: unknown) => e as HttpError);
    expect(await err('SELECT * FROM "sensor"', 'nope')).toMatchObject({
      status: 400,
      message: 'database not found: nope',
    });
    const parse = await err('SELECT FROM "sensor"');
    expect(parse).toMatchObject({ status: 400, details: { source: 'influxdb', status: 400 } });
    expect((parse as HttpError).message).toMatch(/^failed to parse query: found FROM, expected identifier/);
    for (const [query, why] of [
      ['DROP MEASUREMENT "sensor"', 'DROP is not a SELECT, SHOW or EXPLAIN statement'],
      ['SHOW DATABASES; DELETE FROM "sensor"', 'DELETE is not'],
      ['SELECT * INTO "copy" FROM "sensor"', 'SELECT … INTO writes data'],
      ['-- a comment\nCREATE DATABASE x', 'CREATE is not'],
      // A quote inside a regular expression starts no string for InfluxDB (these parse, and with a token that
      // may write, the DROP runs).
      [`SELECT /a'/ INTO "x'" FROM "sensor"`, 'SELECT … INTO writes data'],
      [`SELECT * FROM /x'/; DROP MEASUREMENT "sensor"; SELECT * FROM "a'"`, 'DROP is not'],
    ] as const) {
      expect(await err(query), query).toMatchObject({ status: 400, details: { source: 'console' } });
      expect(((await err(query)) as HttpError).message).toContain(why);
    }
    // Words inside strings and quoted names are not statements.
    const ok = await console_.run({
      language: 'influxql',
      query: `/* the "into" column */ SELECT "value" AS "into" FROM "sensor" WHERE "entity_id" = 'DROP; INTO' `,
      rows: 10,
      timeoutS: 30,
    });
    expect(ok.rows).toBe(0);
    // Patterns with quotes, and `/` that divides.
    const re = await console_.run({
      language: 'influxql',
      query: `SELECT "value" / 2 FROM /sens'?or/ WHERE "entity_id" =~ /t'?0/ AND time < '2025-01-01T00:05:00Z'`,
      rows: 10,
      timeoutS: 30,
    });
    expect(re.tables[0]?.rows.map((r) => r[1])).toEqual(['10', '11.5']);
  });

  it('InfluxQL: refuses functions that hold every point or a count past the limit, in spellings influxd runs', async () => {
    const direct = async (q: string) =>
      (await (
        await fetch(`${influxd.url}/query?db=${setup.bucket}`, {
          method: 'POST',
          headers: { Authorization: `Token ${setup.token}` },
          body: new URLSearchParams({ q }),
        })
      ).json()) as { results: Array<{ series?: unknown[]; error?: string }> };
    const run = (query: string) => console_.run({ language: 'influxql', query, rows: 100, timeoutS: 30 });
    for (const [query, why, answers] of [
      ['SELECT percentile("value", 50) FROM "sensor"', 'percentile(): InfluxDB holds every point'],
      ['SELECT "PERCENTİLE"("value", 50) FROM "sensor"', "use Flux's quantile(q: 0.95)"],
      ['SELECT x"median"("value") FROM "sensor"', "Flux's median()"],
      ['select MODE("value") from "sensor" group by "entity_id"', "Flux's mode()"],
      ['SELECT stddev("value") FROM "sensor"', "Flux's stddev()"],
      ['SELECT COUNT(DISTINCT "value") FROM "sensor"', 'count_hll(sum_hll(…))'],
      ['SELECT count("distinct"("value")) FROM "sensor"', "InfluxQL's distinct()"],
      ['SELECT max("p") FROM (SELECT percentile("value", 90) AS "p" FROM "sensor" GROUP BY "entity_id")', 'quantile'],
      // `1./2` is a division for influxd, not the start of a pattern that would hide the call.
      ['SELECT 1./2 + percentile("value", 50) / 2 FROM "sensor"', 'quantile'],
      // So is `"value"./2` in a condition: "value" / 2.
      [
        'SELECT max("v") FROM (SELECT "value" AS "v" FROM "sensor" WHERE "value"./2 > 0), (SELECT percentile("value", 50) AS "v" FROM "sensor" WHERE "value"/2 > 0)',
        'quantile',
      ],
      [
        `SELECT holt_winters(first("value"), 3, 0) FROM "sensor" WHERE time < '2025-01-01T01:00:00Z' GROUP BY time(5m)`,
        'keeps fitting it long after the query is stopped',
      ],
      ['SELECT top("value", 10001) FROM "sensor"', 'top() with a count of at most 10000'],
      ['SELECT top("value", 5 + 5) FROM "sensor"', 'written as a plain number'],
      // A period longer than the series: influxd runs it and answers nothing.
      ['SELECT "\u212Aaufmans_adaptive_moving_average"("value", 20000) FROM "sensor"', 'count of at most', false],
    ] as const) {
      // influxd itself runs each of these.
      const d = await direct(query);
      expect(d.results[0]?.error, query).toBeUndefined();
      if (answers !== false) expect(d.results[0]?.series?.length ?? 0, query).toBeGreaterThan(0);
      const e = await run(query).catch((x: unknown) => x);
      expect(e, query).toMatchObject({ status: 400, details: { source: 'console' } });
      expect((e as HttpError).message, query).toContain(why);
    }
    // Bounded aggregates and selectors still run, and so do the Flux functions the refusals name.
    const mean = await run(`SELECT mean("value"), count("value") FROM "sensor" GROUP BY "entity_id"`);
    // Entity k has the points i ≡ k (mod 3), valued 20 + i mod 7.
    const means = [0, 1, 2].map((k) => Array.from({ length: 1000 }, (_, j) => 20 + ((3 * j + k) % 7)));
    expect(mean.tables.map((t) => t.rows[0]?.slice(1))).toEqual(
      means.map((v, k) => [String(v.reduce((a, b) => a + b) / 1000), '1000', `sensor.t${k}`]),
    );
    const estimate = await run('SELECT count_hll(sum_hll("value")) FROM "sensor"');
    expect(estimate.tables[0]?.rows[0]?.[1]).toBe('7');
    const top = await run('SELECT top("value", 2), "entity_id" FROM "sensor"');
    expect(top.tables[0]?.rows.map((r) => r[1])).toEqual(['26', '26']);
    // The largest count it takes, and a raw read of everything: answered, and cut at the row limit.
    for (const q of [`SELECT top("value", ${MAX_INFLUXQL_COUNT}) FROM "sensor"`, 'SELECT * FROM "sensor"']) {
      const all = await run(q);
      expect(all.rows, q).toBe(100);
      expect(all.truncated, q).toBe('the first 100 rows (the row limit)');
    }
    const quantile = await flux(`from(bucket: "homeassistant")
  |> range(start: 2025-01-01T00:00:00Z, stop: 2025-01-04T00:00:00Z)
  |> filter(fn: (r) => r._field == "value")
  |> group()
  |> quantile(q: 0.5, method: "exact_selector")`);
    expect(quantile.tables[0]?.rows[0]?.[quantile.tables[0].columns.findIndex((c) => c.name === '_value')]).toBe('23');
  });

  it('stops at the row limit and says so', async () => {
    const a = await flux(
      'from(bucket: "homeassistant") |> range(start: 2025-01-01T00:00:00Z, stop: 2025-01-03T00:00:00Z) |> filter(fn: (r) => r._field == "value")',
      1500,
    );
    expect(a.rows).toBe(1500);
    // Three entities, one point a minute in turn: 960 rows each over the two days.
    expect(a.tables.map((t) => t.rows.length)).toEqual([960, 540]);
    expect(a.truncated).toBe('the first 1500 rows (the row limit)');
  });

  it('runs no Flux whose syntax tree it did not get', async () => {
    const noTree = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    try {
      const c = new QueryConsole(reader('127.0.0.1', await listen(noTree)));
      const e = await c.run({ language: 'flux', query: 'x', rows: 10, timeoutS: 5 }).catch((x: unknown) => x);
      expect(e).toMatchObject({ status: 400, details: { source: 'console' } });
      expect((e as Error).message).toContain('did not answer with the syntax tree');
    } finally {
      noTree.close();
    }
  });

  it('stops at the time limit, and at the answer size limit with the rows read so far', async () => {
    // InfluxDB stand-ins: one that parses and then never answers the query, one that answers without end.
    const astOk = (res: import('node:http').ServerResponse): void => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ast":{"type":"Package","files":[]}}');
    };
    stall = createServer((req, res) => {
      if (req.url?.startsWith('/api/v2/query/ast')) astOk(res);
    });
    const slow = new QueryConsole(reader('127.0.0.1', await listen(stall)));
    const t0 = Date.now();
    const e = await slow.run({ language: 'flux', query: 'x', rows: 10, timeoutS: 1 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 504, message: 'InfluxDB did not answer within 1 s' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    // Two at once at most: a third is told to wait rather than queued.
    const two = [1, 2].map(() =>
      slow.run({ language: 'flux', query: 'x', rows: 10, timeoutS: 2 }).catch((x: unknown) => x),
    );
    const third = await slow.run({ language: 'flux', query: 'x', rows: 10, timeoutS: 2 }).catch((x: unknown) => x);
    expect(third).toMatchObject({
      status: 429,
      message: '2 console queries are running already; wait for one to finish',
    });
    expect(await Promise.all(two)).toMatchObject([{ status: 504 }, { status: 504 }]);
    let closed = false;
    flood = createServer((req, res) => {
      if (req.url?.startsWith('/api/v2/query/ast')) return astOk(res);
      res.writeHead(200, { 'Content-Type': 'text/csv' });
      res.write('#datatype,string,long,long\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,n\r\n');
      let i = 0;
      const chunk = (): string => {
        let s = '';
        for (let k = 0; k < 1000; k++) s += `,,0,${i++}\r\n`;
        return s;
      };
      const more = (): void => {
        while (!res.destroyed && res.write(chunk())) {}
        if (!res.destroyed) res.once('drain', more);
      };
      res.on('close', () => {
        closed = true;
      });
      more();
    });
    const big = new QueryConsole(reader('127.0.0.1', await listen(flood)));
    const a = await big.run({ language: 'flux', query: 'x', rows: 10_000_000, timeoutS: 30 });
    expect(a.truncated).toBe(
      `the answer passed ${CONSOLE_MAX_ANSWER_BYTES / 1024 / 1024} MB; the query was stopped there`,
    );
    const rows = a.tables[0]?.rows ?? [];
    expect(rows.length).toBeGreaterThan(100_000);
    // Every row kept is whole and in order: the cut one was dropped.
    expect(rows.every((r, k) => r[0] === String(k))).toBe(true);
    await expect.poll(() => closed).toBe(true);
    // Explore's reader does not cut: too large an answer says so, and does not pass for a lost InfluxDB.
    const forgot: string[] = [];
    const r = reader('127.0.0.1', (flood.address() as AddressInfo).port, (s) => forgot.push(s));
    const tooLarge = await r.query('x', {}).catch((x: unknown) => x);
    expect(tooLarge).toMatchObject({ status: 502 });
    expect((tooLarge as Error).message).toMatch(/^InfluxDB's answer passed 32 MB/);
    expect(forgot).toEqual([]);
  });
});
