/**
 * The pipelined writer (two requests in flight, acks strictly in spool order) and its recovery after an outage
 * (backoff capped, `/ping` probed meanwhile, Retry-After honoured), against an in-test HTTP server that can
 * hold, fail, vanish and come back on the same port.
 */
import { Backoff, createLogger, Health, LogSecrets } from '@homeiq/shared';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Quarantine } from './quarantine.js';
import { InfluxSender } from './send.js';
import { InfluxWriter } from './writer.js';
import { Spool } from '../spool/spool.js';
import { until } from '../../../dev/until.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let dir: string;
let server: Server | undefined;
let port = 0;
let handlers: Handler[];
let writes: Array<{ at: number; lines: string[]; socket: Socket }>;
let pings: number[];
/** Rigs still running: a test that fails midway must not leave its writer sending to the next test's server. */
let running: Array<() => Promise<void>>;

function listen(): Promise<void> {
  const s = createServer((req, res) => {
    if (req.url?.startsWith('/ping')) {
      pings.push(Date.now());
      res.writeHead(204).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      writes.push({
        at: Date.now(),
        lines: gunzipSync(Buffer.concat(chunks)).toString('utf8').trimEnd().split('\n'),
        socket: req.socket,
      });
      (handlers.shift() ?? ((_q, r) => r.writeHead(204).end()))(req, res);
    });
  });
  server = s;
  return new Promise((resolve) =>
    s.listen(port, '127.0.0.1', () => {
      port = (s.address() as AddressInfo).port;
      resolve();
    }),
  );
}

async function unlisten(): Promise<void> {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-writer-pipeline-'));
  handlers = [];
  writes = [];
  running = [];
  pings = [];
  port = 0;
  await listen();
});

afterEach(async () => {
  for (const stop of running.splice(0)) await stop().catch(() => undefined);
  await unlisten();
  await rm(dir, { recursive: true, force: true });
});

async function rig(opts: { batchLines: number; maxInFlight?: number; backoff: Backoff }) {
  const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 1 << 30, log });
  const health = new Health();
  const quarantine = new Quarantine({ file: join(dir, 'quarantine.jsonl'), maxBytes: 1 << 20, log, health });
  const sender = new InfluxSender();
  const writer = new InfluxWriter({
    spool,
    sender,
    quarantine,
    health,
    log,
    target: {
      get: async () => ({ url: `http://127.0.0.1:${port}`, org: 'o', bucket: 'b', token: 't' }),
      invalidate: () => undefined,
    },
    batchLines: opts.batchLines,
    batchBytes: 1 << 20,
    flushIntervalMs: 20,
    backoff: opts.backoff,
    ...(opts.maxInFlight ? { maxInFlight: opts.maxInFlight } : {}),
  });
  await spool.start();
  await quarantine.start();
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await writer.stop();
      await spool.stop();
      sender.close();
    })());
  running.push(stop);
  return { spool, writer, health, start: () => writer.start(), stop };
}

describe('pipelined writer', () => {
  it('keeps two batches in flight but acknowledges only the confirmed prefix, in order', async () => {
    // Batch 1 is held for 600 ms and then answered 503; batch 2 (sent meanwhile on a second connection) is
    // confirmed at once. Nothing may be acknowledged until batch 1 is confirmed on its retry.
    // The requests travel on two connections and may arrive in either order: batch 1 is told by its first line.
    let release: (() => void) | undefined;
    const byBatch: Handler = (_q, r) => {
      if (writes.at(-1)?.lines[0] === 'm v=0 0' && release === undefined)
        release = () => r.writeHead(503).end('{"code":"unavailable","message":"busy"}');
      else r.writeHead(204).end();
    };
    handlers.push(byBatch, byBatch, byBatch);
    const r = await rig({ batchLines: 100, maxInFlight: 2, backoff: new Backoff({ initialMs: 100, maxMs: 100 }) });
    for (let i = 0; i < 300; i += 1) r.spool.append(`m v=${i} ${i}`);
    await r.spool.sync();
    const before = r.spool.stats().bytes;
    const start = r.spool.ackCursor;
    await r.start();
    await until('two requests on the wire', () => writes.length >= 2 && release !== undefined);
    expect(new Set(writes.slice(0, 2).map((w) => w.socket)).size).toBe(2);
    // Batch 2 is confirmed; batch 3 may be too. Batch 1 still is not: the ack stays where it was.
    await new Promise((res) => setTimeout(res, 300));
    expect(r.spool.ackCursor).toEqual(start);
    expect(r.spool.stats().bytes).toBe(before);
    release?.();
    await until('everything written and acknowledged', () => r.spool.stats().bytes === 0);
    // Every line went out, batch 1 twice (its retry), nothing lost.
    const sent = writes.flatMap((w) => w.lines);
    expect(new Set(sent)).toEqual(new Set(Array.from({ length: 300 }, (_, i) => `m v=${i} ${i}`)));
    expect(writes.filter((w) => w.lines[0] === 'm v=0 0')).toHaveLength(2);
    expect(r.writer.stats()).toMatchObject({ written: 300, batches: 3, retries: 1 });
    await r.stop();
  });

  it('at stop, acknowledges only up to the first batch that was not confirmed', async () => {
    // Batch 1 never gets an answer before the stop (its connection is dropped); batch 2 is confirmed. The two
    // requests travel on two connections and may arrive in either order: batch 1 is told by its first line.
    let drop: (() => void) | undefined;
    const byBatch: Handler = (q, res) => {
      if (writes.at(-1)?.lines[0] === 'm v=0 0') drop = () => q.socket.destroy();
      else res.writeHead(204).end();
    };
    handlers.push(byBatch, byBatch);
    const r = await rig({ batchLines: 100, maxInFlight: 2, backoff: new Backoff({ initialMs: 5000, maxMs: 5000 }) });
    for (let i = 0; i < 200; i += 1) r.spool.append(`m v=${i} ${i}`);
    await r.spool.sync();
    const start = r.spool.ackCursor;
    await r.start();
    await until('both batches sent', () => writes.length === 2 && drop !== undefined);
    await until('batch 2 confirmed', () => r.writer.stats().written === 100);
    const stopping = r.stop();
    drop?.();
    await stopping;
    expect(r.spool.ackCursor).toEqual(start);
  });
});

describe('recovery after an outage', () => {
  it('resumes within a few seconds of InfluxDB coming back, long before the backoff would', async () => {
    // A backoff that would wait 10–20 s between attempts; probing must make the writer resume much sooner.
    const r = await rig({ batchLines: 1000, backoff: new Backoff({ initialMs: 20_000, maxMs: 20_000 }) });
    await unlisten(); // InfluxDB is gone (connection refused on its port)
    for (let i = 0; i < 50; i += 1) r.spool.append(`m v=${i} ${i}`);
    await r.start();
    await until('the first failure', () => r.writer.stats().retries >= 1);
    await new Promise((res) => setTimeout(res, 2500)); // a couple of failed probes
    expect(r.health.report().status).not.toBe('green');
    await listen(); // back, on the same port
    const back = Date.now();
    await until('the write after the return', () => r.writer.stats().written === 50, 15_000);
    const resumedAfterMs = (writes[0]?.at ?? Infinity) - back;
    // Correctness bound, not a performance figure: a probe every second, so "a few seconds" is generous.
    expect(resumedAfterMs).toBeLessThan(5000);
    expect(pings.length).toBeGreaterThanOrEqual(1);
    expect(writes).toHaveLength(1);
    expect(r.health.report().status).toBe('green');
    await until('the ack', () => r.spool.stats().bytes === 0);
    await r.stop();
  }, 30_000);

  it('honours Retry-After on 503 even though /ping answers meanwhile', async () => {
    handlers.push((_q, res) =>
      res.writeHead(503, { 'Retry-After': '2' }).end('{"code":"unavailable","message":"later"}'),
    );
    const r = await rig({ batchLines: 1000, backoff: new Backoff({ initialMs: 50, maxMs: 50 }) });
    for (let i = 0; i < 5; i += 1) r.spool.append(`m v=${i} ${i}`);
    await r.start();
    await until('the retry', () => r.writer.stats().written === 5);
    expect(writes).toHaveLength(2);
    expect((writes[1]?.at ?? 0) - (writes[0]?.at ?? 0)).toBeGreaterThanOrEqual(1990);
    expect(pings).toHaveLength(0);
    await r.stop();
  });

  it('does not shortcut the backoff for a 500 from an InfluxDB that answers /ping', async () => {
    handlers.push((_q, res) =>
      res.writeHead(500).end('{"code":"internal","message":"engine: cache-max-memory-size exceeded"}'),
    );
    const r = await rig({ batchLines: 1000, backoff: new Backoff({ initialMs: 3000, maxMs: 3000, random: () => 1 }) });
    for (let i = 0; i < 5; i += 1) r.spool.append(`m v=${i} ${i}`);
    await r.start();
    await until('the retry', () => r.writer.stats().written === 5);
    expect((writes[1]?.at ?? 0) - (writes[0]?.at ?? 0)).toBeGreaterThanOrEqual(2990);
    expect(pings).toHaveLength(0);
    await r.stop();
  });
});
