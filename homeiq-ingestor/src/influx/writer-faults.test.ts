/**
 * The writer when something other than InfluxDB fails (the quarantine's disk, a bug in a collaborator), when the
 * quarantine is full, and when a Retry-After arrives during a pause another request started. Against a tiny
 * in-test HTTP server on 127.0.0.1.
 */
import { Backoff, createLogger, Health, LogSecrets } from '@homeiq/shared';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../spool/spool.js';
import { Quarantine } from './quarantine.js';
import { InfluxSender } from './send.js';
import { InfluxWriter, type TargetProvider } from './writer.js';
import { until } from '../../../dev/until.js';

type Handler = (req: IncomingMessage, res: ServerResponse, line: string) => void;
const BAD = (_q: IncomingMessage, r: ServerResponse) =>
  r.writeHead(400).end('{"code":"invalid","message":"unable to parse"}');

let dir: string;
let server: Server;
let url: string;
let handler: Handler;
let received: Array<{ at: number; line: string }>;
let logged: string[];
let unhandled: unknown[];
const onUnhandled = (err: unknown) => void unhandled.push(err);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-writer-faults-'));
  received = [];
  logged = [];
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/ping') return void res.writeHead(204).end();
      const line = gunzipSync(Buffer.concat(chunks)).toString('utf8').trimEnd();
      received.push({ at: Date.now(), line });
      handler(req, res, line);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

interface Setup {
  maxInFlight?: number;
  quarantineBytes?: number;
  backoff?: Backoff;
  probeEveryMs?: number;
  invalidate?: TargetProvider['invalidate'];
}

async function setup(o: Setup = {}) {
  const log = createLogger({
    level: 'warning',
    name: 'test',
    secrets: new LogSecrets(),
    write: (l) => void logged.push(l),
  });
  const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 1 << 30, log });
  const health = new Health();
  const qfile = join(dir, 'quarantine.jsonl');
  const quarantine = new Quarantine({ file: qfile, maxBytes: o.quarantineBytes ?? 1 << 20, log, health });
  const sender = new InfluxSender();
  const writer = new InfluxWriter({
    spool,
    sender,
    quarantine,
    health,
    log,
    target: {
      get: async () => ({ url, org: 'o', bucket: 'b', token: 't' }),
      invalidate: o.invalidate ?? (() => undefined),
    },
    batchLines: 1,
    batchBytes: 1 << 20,
    flushIntervalMs: 20,
    maxInFlight: o.maxInFlight ?? 1,
    backoff: o.backoff ?? new Backoff({ initialMs: 50, maxMs: 200 }),
    ...(o.probeEveryMs ? { probeEveryMs: o.probeEveryMs } : {}),
  });
  // A writer loop that spins in microtasks re-reads the spool without end: count the reads, and end a spin
  // (through the writer's fatal path) instead of hanging the test worker.
  let reads = 0;
  const read = spool.read.bind(spool);
  spool.read = (...args) => {
    reads += 1;
    if (reads > 2000) throw new Error('spin guard: the writer loop re-read the spool 2000 times');
    return read(...args);
  };
  await spool.start();
  await quarantine.start();
  await writer.start();
  const check = (name: string) => health.report().checks.find((c) => c.name === name);
  const stop = async () => {
    await writer.stop();
    await spool.stop();
    sender.close();
  };
  return { spool, writer, quarantine, qfile, check, reads: () => reads, stop };
}

describe('InfluxWriter when the quarantine cannot be written', () => {
  it('keeps the rejected line in the spool, turns health red and retries until the disk works again', async () => {
    handler = BAD;
    const s = await setup();
    await mkdir(s.qfile); // open(…, 'a') fails with EISDIR: stands in for ENOSPC/EIO on the data disk
    s.spool.append('bad line');
    await until('health red', () =>
      /cannot write the quarantine: .*EISDIR/.test(s.check('influxdb-writes')?.reason ?? ''),
    );
    expect(s.check('influxdb-writes')?.status).toBe('red');
    const retriesBefore = s.writer.stats().retries;
    await until('a retry', () => s.writer.stats().retries > retriesBefore);
    expect(s.quarantine.stats()).toMatchObject({ count: 0, dropped: 0 });
    expect(s.writer.stats()).toMatchObject({ quarantined: 0, batches: 0 });
    expect(s.spool.stats().bytes).toBeGreaterThan(0);
    expect(s.reads()).toBeLessThan(50);

    await rmdir(s.qfile);
    await until('the quarantined line', () => s.writer.stats().quarantined === 1);
    await until('the ack', () => s.spool.stats().bytes === 0);
    expect((await s.quarantine.entries()).map((e) => e.line)).toEqual(['bad line']);
    expect(s.check('influxdb-writes')?.status).toBe('green');
    expect(received).toHaveLength(1); // InfluxDB's answer was final: only the quarantine write was retried
    await s.stop();
    expect(unhandled).toEqual([]);
  });

  it('with two requests in flight, a failing batch behind the head neither rejects unhandled nor spins', async () => {
    handler = (_q, r, line) =>
      line === 'good v=1 1' ? void setTimeout(() => r.writeHead(204).end(), 300) : BAD(_q, r);
    const s = await setup({ maxInFlight: 2 });
    await mkdir(s.qfile);
    s.spool.append('good v=1 1');
    s.spool.append('bad line');
    await until('the good line', () => s.writer.stats().batches === 1);
    await until('health red', () => /cannot write the quarantine/.test(s.check('influxdb-writes')?.reason ?? ''));
    await new Promise((r) => setTimeout(r, 300));
    expect(unhandled).toEqual([]);
    expect(s.reads()).toBeLessThan(50);
    expect(s.writer.stats().batches).toBe(1);
    expect(s.spool.stats().bytes).toBeGreaterThan(0);

    await rmdir(s.qfile);
    await until('the ack', () => s.spool.stats().bytes === 0);
    expect(s.writer.stats()).toMatchObject({ written: 1, quarantined: 1, batches: 2 });
    await s.stop();
    expect(unhandled).toEqual([]);
  });

  it('ends an unexpected error in the fatal path (log and health red), not in a hang', async () => {
    handler = (_q, r) => r.writeHead(401).end('{"code":"unauthorized","message":"bad token"}');
    const s = await setup({
      maxInFlight: 2,
      invalidate: () => {
        throw new Error('boom');
      },
    });
    s.spool.append('m v=1 1');
    await until('health red', () => s.check('influxdb-writes')?.reason === 'writer stopped: boom');
    expect(logged.some((l) => /FATAL.*writer stopped/.test(l))).toBe(true);
    expect(s.reads()).toBeLessThan(50);
    await s.stop();
    expect(s.spool.stats().bytes).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
  });
});

describe('InfluxWriter when the quarantine is full', () => {
  it('drops what does not fit, counts it as dropped, not quarantined, and says so in health and the log', async () => {
    handler = BAD;
    const s = await setup({ quarantineBytes: 300 });
    for (let i = 0; i < 5; i += 1) s.spool.append(`bad line ${i}`);
    await until('the acks', () => s.writer.stats().batches === 5);
    const { count, dropped } = s.quarantine.stats();
    expect(count).toBeGreaterThan(0);
    expect(dropped).toBe(5 - count);
    expect(dropped).toBeGreaterThan(0);
    expect(s.writer.stats().quarantined).toBe(count);
    expect(s.spool.stats().bytes).toBe(0); // the policy: InfluxDB refused them; holding them would block the rest
    expect(s.check('quarantine')).toMatchObject({ status: 'amber', reason: expect.stringMatching(/quarantine full/) });
    expect(logged.filter((l) => /ERROR.*quarantine full/.test(l))).toHaveLength(1);
    await s.stop();
  });
});

describe('InfluxWriter backoff', () => {
  it('a Retry-After arriving during a running probe pause extends it; a good probe does not cut it short', async () => {
    let answered429 = 0;
    handler = (_q, r, line) => {
      const n = received.filter((x) => x.line === line).length;
      if (line === 'a v=1 1' && n === 1)
        return void setTimeout(() => r.writeHead(503).end('{"code":"unavailable","message":"busy"}'), 50);
      if (line === 'b v=1 1' && n === 1) {
        return void setTimeout(() => {
          answered429 = Date.now();
          r.writeHead(429, { 'Retry-After': '1' }).end('{"code":"too many requests","message":"slow down"}');
        }, 150);
      }
      r.writeHead(204).end();
    };
    const s = await setup({
      maxInFlight: 2,
      probeEveryMs: 200,
      backoff: new Backoff({ initialMs: 3000, maxMs: 3000, random: () => 1 }),
    });
    s.spool.append('a v=1 1');
    s.spool.append('b v=1 1');
    await until('both written', () => s.writer.stats().written === 2, 4000);
    const resent = received.filter((x) => x.line === 'b v=1 1')[1]?.at ?? 0;
    expect(answered429).toBeGreaterThan(0);
    expect(resent - answered429).toBeGreaterThanOrEqual(990);
    expect(resent - answered429).toBeLessThan(2500); // the probe still ends the 3 s backoff once Retry-After passed
    await s.stop();
  });
});
