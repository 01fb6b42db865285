import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, errorMiddleware, LogSecrets } from '@homeiq/shared';
import { liveStream } from './live.js';
import type { SiblingLocator } from '../siblings/locator.js';
import { ADDON_PORTS } from '@homeiq/shared/contracts';

// The live-stream relay against a fake ingestor that answers when the test says so, the way the real one
// answers only after its Supervisor identity check. What matters: no upstream stream outlives the browser.
const INGESTOR = '127.0.61.1';

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** A promise with its resolver, for steps the test releases by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

let ingestor: Server;
let admin: Server;
let port: number;
/** Upstream requests the fake ingestor holds, until their connection closes. */
const upstream = new Set<IncomingMessage>();
let arrived = gate();
let drained = gate();
let answer: Answer;
let lookup: Promise<void>;
let asked = gate();
/** Per browser request: the relay saw the browser leave; the relay middleware returned. */
let left = gate();
let relayed = gate();

beforeAll(async () => {
  ingestor = createServer((req, res) => {
    upstream.add(req);
    res.on('close', () => {
      upstream.delete(req);
      if (upstream.size === 0) drained.open();
    });
    arrived.open();
    answer(req, res);
  });
  await new Promise<void>((r) => ingestor.listen(ADDON_PORTS.ingestorApi, INGESTOR, r));
  const locator = {
    address: async () => {
      asked.open();
      await lookup;
      return INGESTOR;
    },
    forget: () => undefined,
  } as unknown as SiblingLocator;
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.res.once('close', () => left.open());
    try {
      await next();
    } finally {
      relayed.open();
    }
  });
  app.use(errorMiddleware(createLogger({ level: 'fatal', name: 't', secrets: new LogSecrets(), write: () => {} })));
  app.use(liveStream({ locator, localAddress: undefined }));
  admin = app.listen(0, '127.0.0.1');
  await new Promise((r) => admin.once('listening', r));
  port = (admin.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const s of [admin, ingestor]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

beforeEach(() => {
  arrived = gate();
  asked = gate();
  left = gate();
  relayed = gate();
  lookup = Promise.resolve();
});

// A leak one test leaves behind must not count against the next.
afterEach(() => {
  for (const req of upstream) req.socket.destroy();
});

/** The ingestor's answer once the stream is up: headers, then a heartbeat now and then, as EventStream does. */
const streamHeartbeats =
  (go: Promise<void>): Answer =>
  (_req, res) => {
    void go.then(() => {
      if (res.destroyed) return;
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('retry: 2000\n\n');
      const ping = setInterval(() => res.write(': ping\n\n'), 20);
      res.on('close', () => clearInterval(ping));
    });
  };

/** A browser that opens the stream; `leave()` drops the connection. */
function browser(): { leave: () => void; response: Promise<{ status: number; text: string }> } {
  const req = request({ host: '127.0.0.1', port, path: '/api/events/stream?entity=sensor.*' });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
  });
  response.catch(() => undefined);
  req.end();
  return { leave: () => req.destroy(), response };
}

/** Resolves once the fake ingestor holds no open upstream request; never, if one leaks (the test times out). */
async function noUpstreamLeft(): Promise<void> {
  drained = gate();
  if (upstream.size > 0) await drained.promise;
}

describe('admin live stream relay', () => {
  it('drops the upstream request when the browser leaves while the ingestor is still checking who asks', async () => {
    const answered = gate();
    answer = streamHeartbeats(answered.promise);
    const b = browser();
    await arrived.promise;
    b.leave();
    await left.promise;
    // Only now does the ingestor accept and start streaming; nobody is left to read it.
    answered.open();
    await relayed.promise;
    await noUpstreamLeft();
  });

  it('does not even open the upstream request when the browser left during the address lookup', async () => {
    const found = gate();
    lookup = found.promise;
    answer = streamHeartbeats(Promise.resolve());
    const b = browser();
    await asked.promise;
    b.leave();
    await left.promise;
    found.open();
    await relayed.promise;
    await noUpstreamLeft();
  });

  it('relays the stream while the browser stays, and drops it when the browser goes', async () => {
    answer = streamHeartbeats(Promise.resolve());
    const req = request({ host: '127.0.0.1', port, path: '/api/events/stream' });
    const first = new Promise<string>((resolve) =>
      req.on('response', (res) => res.once('data', (c: Buffer) => resolve(c.toString('utf8')))),
    );
    req.on('error', () => undefined);
    req.end();
    expect(await first).toContain('retry: 2000');
    expect(upstream.size).toBe(1);
    req.destroy();
    await noUpstreamLeft();
  });

  it('reads at most 64 KiB of an error reply and still answers', async () => {
    // An ingestor that answers 500 and never stops sending: the relay must not buffer it all, nor wait for its end.
    answer = (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      const chunk = 'x'.repeat(16 * 1024);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    };
    const res = await browser().response;
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text).error).toBe(`HomeIQ Ingestor: ${'x'.repeat(200)}`);
    await noUpstreamLeft();
  });
});
