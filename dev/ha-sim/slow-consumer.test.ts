import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmptyHome, startHaSimulator, type HaSimulator } from './index';
import { RawClient, sleep } from './test-client';
import { until } from '../until.js';

let sim: HaSimulator;
afterEach(async () => sim?.stop());

const socketOf = (client: RawClient) => (client.ws as unknown as { _socket: Socket })._socket;
const PAYLOAD = 'x'.repeat(2000);
// Bounded: enough to fill loopback buffers many times over, never endless.
const MAX_EVENTS = 60_000;

/** Fires bursts until `done()` or the bound; returns how many events went out. */
async function flood(done: () => boolean): Promise<number> {
  let fired = 0;
  while (!done() && fired < MAX_EVENTS) {
    for (let i = 0; i < 50; i++) sim.fireEvent('burst', { n: fired++, payload: PAYLOAD });
    await sleep(1);
  }
  return fired;
}

describe('slow consumers', () => {
  it('are cut off once their pending queue reaches maxPendingMessages, fast ones are not', async () => {
    const warnings: string[] = [];
    sim = await startHaSimulator({
      home: createEmptyHome(),
      maxPendingMessages: 512,
      warn: (line) => warnings.push(line),
    });
    const slow = await RawClient.connect(sim.wsUrl, sim.token);
    const fast = await RawClient.connect(sim.wsUrl, sim.token);
    await slow.subscribe({ type: 'subscribe_events', event_type: 'burst' });
    const fastSub = await fast.subscribe({ type: 'subscribe_events', event_type: 'burst' });
    let fastSeen = 0;
    fast.ws.on('message', (data) => {
      const parsed = JSON.parse(data.toString()) as unknown;
      fastSeen += (Array.isArray(parsed) ? parsed : [parsed]).filter((m: { id?: number }) => m.id === fastSub).length;
    });

    socketOf(slow).pause();
    const fired = await flood(() => sim.clients() < 2);
    expect(fired).toBeLessThan(MAX_EVENTS);
    expect(sim.clients()).toBe(1);
    expect(warnings).toEqual([expect.stringContaining('Reached 512 pending messages')]);
    await until('fast client to read every event', () => fastSeen === fired, 10_000);
    expect(fast.ws.readyState).toBe(fast.ws.OPEN);

    // The slow client only learns about it once it reads again: the socket was dropped, not closed politely.
    socketOf(slow).resume();
    expect((await slow.closed).code).toBe(1006);
    fast.close();
  });

  it('are cut off when the queue stays above the peak for the peak time', async () => {
    sim = await startHaSimulator({
      home: createEmptyHome(),
      maxPendingMessages: 1_000_000,
      pendingPeak: 64,
      pendingPeakTimeMs: 1000,
      warn: () => undefined,
    });
    const slow = await RawClient.connect(sim.wsUrl, sim.token);
    await slow.subscribe({ type: 'subscribe_events', event_type: 'burst' });
    socketOf(slow).pause();
    // ~20 MB: far more than the socket buffers hold, so the queue ends up well past the peak. The peak timer starts
    // with the first batch; on a busy machine the flood itself can outlast the peak time, so it stops at the cut-off.
    const startedAt = Date.now();
    let fired = 0;
    while (fired < 10_000 && sim.clients() === 1) {
      for (let i = 0; i < 1000; i++) sim.fireEvent('burst', { n: fired++, payload: PAYLOAD });
      await sleep(1);
    }
    // The hard limit (1 000 000) is never reached: the peak timer cuts the client, and not before the peak time.
    await until('peak cut-off', () => sim.clients() === 0, 5000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    socketOf(slow).resume();
    await slow.closed;
  });
});
