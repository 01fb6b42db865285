/**
 * Writer behaviour InfluxDB OSS cannot be made to produce (it never sends 429 or 503 on writes, and does not
 * drop connections on demand), against a tiny in-test HTTP server. 204/400/422/401/404 are tested against the
 * real influxd in tests/integration/ingestor/writer.test.ts.
 */
import { Backoff, createLogger, Health, LogSecrets } from '@homeiq/shared';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../spool/spool.js';
import { Quarantine } from './quarantine.js';
import { InfluxSender, parseRetryAfter } from './send.js';
import { InfluxWriter } from './writer.js';
import { until } from '../../../dev/until.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let dir: string;
let server: Server;
let url: string;
let handlers: Handler[];
let received: Array<{ at: number; lines: string[]; socket: Socket }>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-writer-'));
  handlers = [];
  received = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      expect(req.headers['content-encoding']).toBe('gzip');
      const body = gunzipSync(Buffer.concat(chunks)).toString('utf8');
      received.push({ at: Date.now(), lines: body.trimEnd().split('\n'), socket: req.socket });
      const h = handlers.shift() ?? ((_q, r) => r.writeHead(204).end());
      h(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function setup(opts: { batchLines?: number } = {}) {
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
    target: { get: async () => ({ url, org: 'o', bucket: 'b', token: 't' }), invalidate: () => undefined },
    batchLines: opts.batchLines ?? 1000,
    batchBytes: 1 << 20,
    flushIntervalMs: 20,
    backoff: new Backoff({ initialMs: 50, maxMs: 200 }),
  });
  await spool.start();
  await quarantine.start();
  await writer.start();
  const stop = async () => {
    await writer.stop();
    await spool.stop();
    sender.close();
  };
  return { spool, writer, health, stop };
}

describe('InfluxWriter against a scripted server', () => {
  it('honours Retry-After on 429 and then writes the same batch', async () => {
    handlers.push((_q, r) =>
      r.writeHead(429, { 'Retry-After': '1' }).end('{"code":"too many requests","message":"slow down"}'),
    );
    const { spool, writer, health, stop } = await setup();
    for (let i = 0; i < 10; i += 1) spool.append(`m v=${i} ${i}`);
    await until('the write', () => writer.stats().written === 10);
    expect(received).toHaveLength(2);
    expect((received[1]?.at ?? 0) - (received[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(received[1]?.lines).toEqual(received[0]?.lines);
    expect(writer.stats()).toMatchObject({ retries: 1, quarantined: 0 });
    expect(health.report().status).toBe('green');
    await until('the ack', () => spool.stats().bytes === 0);
    await stop();
  });

  it('retries 503 and a dropped connection, losing and duplicating nothing', async () => {
    handlers.push((_q, r) => r.writeHead(503).end('{"code":"unavailable","message":"busy"}'));
    handlers.push((q) => q.socket.destroy());
    const { spool, writer, stop } = await setup();
    for (let i = 0; i < 5; i += 1) spool.append(`m v=${i} ${i}`);
    await until('the write', () => writer.stats().written === 5);
    expect(received).toHaveLength(3);
    expect(writer.stats().retries).toBe(2);
    await stop();
  });

  it('batches by line count over one kept-alive connection', async () => {
    const { spool, writer, stop } = await setup({ batchLines: 100 });
    for (let i = 0; i < 1000; i += 1) spool.append(`m v=${i} ${i}`);
    await until('the writes', () => writer.stats().written === 1000);
    expect(received.every((r) => r.lines.length <= 100)).toBe(true);
    expect(received.flatMap((r) => r.lines)).toEqual(Array.from({ length: 1000 }, (_, i) => `m v=${i} ${i}`));
    expect(new Set(received.map((r) => r.socket)).size).toBe(1);
    await stop();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('30')).toBe(30_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
