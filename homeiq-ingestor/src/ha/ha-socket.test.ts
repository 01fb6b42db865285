import { Backoff, createLogger, Health, LogSecrets } from '@homeiq/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { HaSocket } from './ha-socket.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A fake HA that accepts the token, then closes the socket after `holdMs(n)` (n = 1 for the first connection):
 * like a proxy or an HA that breaks every connection right after auth. Records when each was accepted and closed.
 */
async function flakyHa(holdMs: (n: number) => number): Promise<{ url: string; accepted: number[]; closed: number[] }> {
  const wss = new WebSocketServer({ host: '127.0.61.2', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const accepted: number[] = [];
  const closed: number[] = [];
  const t0 = Date.now();
  wss.on('connection', (ws: WebSocket) => {
    ws.send(JSON.stringify({ type: 'auth_required', ha_version: '2026.11.2' }));
    ws.on('message', (d) => {
      if ((JSON.parse(String(d)) as { type?: string }).type !== 'auth') return;
      accepted.push(Date.now() - t0);
      ws.send(JSON.stringify({ type: 'auth_ok', ha_version: '2026.11.2' }));
      setTimeout(() => {
        closed.push(Date.now() - t0);
        ws.terminate();
      }, holdMs(accepted.length));
    });
  });
  cleanups.push(() => new Promise((r) => wss.close(() => r())));
  return { url: `ws://127.0.61.2:${(wss.address() as { port: number }).port}/`, accepted, closed };
}

async function connect(url: string, stableMs: number): Promise<{ socket: HaSocket; runs: () => number }> {
  let runs = 0;
  const socket = new HaSocket({
    url,
    token: 'x',
    eventTypes: [],
    log,
    health: new Health(),
    onEvent: () => undefined,
    onConnected: () => {
      runs += 1;
    },
    // random 1: every delay is the window's ceiling, 40, 80, 160, 320, 320, … ms.
    backoff: new Backoff({ initialMs: 40, maxMs: 320, random: () => 1 }),
    stableMs,
  });
  cleanups.push(() => socket.stop());
  await socket.start();
  return { socket, runs: () => runs };
}

describe('HaSocket reconnect backoff', () => {
  it('keeps backing off when every connection drops right after auth', async () => {
    const ha = await flakyHa(() => 10);
    const { socket, runs } = await connect(ha.url, 1000);
    await sleep(1500);
    // Backing off: about 0, 40, 120, 280, 600, 920, 1240 ms. Reset at every auth_ok it would be ~every 60 ms (20+).
    const n = socket.stats().connects;
    expect(n, `connections accepted at ${ha.accepted.join(', ')} ms`).toBeGreaterThanOrEqual(4);
    expect(n, `connections accepted at ${ha.accepted.join(', ')} ms`).toBeLessThanOrEqual(9);
    expect(runs()).toBe(n);
  });

  it('starts again from the shortest delay after a connection that stayed up for stableMs', async () => {
    // Four quick drops grow the delay to 320 ms; the fifth connection lasts 250 ms, longer than stableMs (100).
    const ha = await flakyHa((n) => (n === 5 ? 250 : 10));
    await connect(ha.url, 100);
    for (let i = 0; i < 200 && ha.accepted.length < 6; i++) await sleep(10);
    expect(ha.accepted.length).toBeGreaterThanOrEqual(6);
    const gaps = ha.accepted.slice(1).map((t, i) => t - (ha.closed[i] ?? 0));
    expect(gaps[3], `reconnect delays ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(150); // 320: still backing off
    expect(gaps[4], `reconnect delays ${gaps.join(', ')} ms`).toBeLessThan(150); // 40: reset by the stable connection
  });
});
