/**
 * The live event stream of the ingestor's internal HTTP API (`/api/events/stream`, server-sent events): the ring
 * buffer a late joiner gets, filters, resuming by Last-Event-ID, and a client that stops reading. The real app and
 * identity check (callers connect from the admin's address the Supervisor emulator reports).
 */
import { httpRequestRaw } from '@homeiq/shared';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HaEvent } from '../ha/messages.js';
import { EventStream, type StreamEvent } from './event-stream.js';
import { serveIngestorApiOnStores, type StoredApi } from '../../../tests/harness/ingestor-api.js';
import { until } from '../../../dev/until.js';

const IP = { ingestor: '127.0.55.1', admin: '127.0.55.3', influxdb: '127.0.55.2' };

let api: StoredApi;

beforeAll(async () => {
  api = await serveIngestorApiOnStores(
    IP,
    new EventStream({ bufferSize: 200, maxQueuedBytes: 64 * 1024, heartbeatMs: 100 }),
  );
}, 60_000);

afterAll(() => api?.stop());

function event(entity: string, state: string, extra: Record<string, unknown> = {}): HaEvent {
  return {
    event_type: 'state_changed',
    time_fired: new Date().toISOString(),
    data: {
      entity_id: entity,
      old_state: { state: 'old' },
      new_state: {
        state,
        attributes: { unit_of_measurement: 'W', friendly_name: `Name of ${entity}`, big: 'x'.repeat(500), ...extra },
      },
    },
  };
}

/** An SSE client from `from`; collects parsed events. */
function subscribe(
  query: string,
  from: string,
  headers: Record<string, string> = {},
): Promise<{ events: StreamEvent[]; res: IncomingMessage; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${api.base}/api/events/stream${query}`,
      { localAddress: from, headers: { Accept: 'text/event-stream', ...headers } },
      (res) => {
        const events: StreamEvent[] = [];
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (data) events.push(JSON.parse(data.slice(6)) as StreamEvent);
          }
        });
        res.on('error', () => undefined);
        resolve({ events, res, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ingestor HTTP API: live event stream', () => {
  it('replays the last 200 events to a late joiner, then streams live, filtered by domain and entity', async () => {
    for (let i = 0; i < 250; i += 1) api.stream.publish(event(i % 2 === 0 ? `sensor.s${i}` : `light.l${i}`, String(i)));
    api.stream.publish({
      event_type: 'call_service',
      time_fired: new Date().toISOString(),
      data: { domain: 'light', service: 'turn_on' },
    });
    const all = await subscribe('', IP.admin);
    await until('the buffer', () => all.events.length === 200);
    expect(all.events[0]?.id).toBe(52);
    expect(all.events.at(-1)).toMatchObject({ id: 251, type: 'call_service' });
    const first = all.events[0] as StreamEvent;
    expect(first).toEqual({
      id: 52,
      time: first.time,
      type: 'state_changed',
      entity_id: 'light.l51',
      state: '51',
      old_state: 'old',
      unit: 'W',
      name: 'Name of light.l51',
    });
    expect(JSON.stringify(first).length).toBeLessThan(200); // attributes other than unit and name stay out

    const sensors = await subscribe('?domain=sensor', IP.admin);
    // Ids 52..251 are events 51..250: even ones are sensors (52..248: 99 of them); sensor.s2 is no longer buffered.
    const one = await subscribe('?entity=light.l24?,sensor.s2', IP.admin);
    const resumed = await subscribe('', IP.admin, { 'Last-Event-ID': '245' });
    await until(
      'filtered replay',
      () => sensors.events.length === 99 && one.events.length === 5 && resumed.events.length === 6,
    );
    expect(sensors.events.every((e) => e.entity_id?.startsWith('sensor.'))).toBe(true);
    expect(one.events.map((e) => e.entity_id)).toEqual([
      'light.l241',
      'light.l243',
      'light.l245',
      'light.l247',
      'light.l249',
    ]);
    expect(resumed.events.map((e) => e.id)).toEqual([246, 247, 248, 249, 250, 251]);

    api.stream.publish(event('sensor.live', 'on'));
    api.stream.publish(event('switch.live', 'off'));
    await until('live events', () => all.events.length === 202 && sensors.events.length === 100);
    expect(sensors.events.at(-1)).toMatchObject({ entity_id: 'sensor.live', state: 'on' });
    expect(one.events).toHaveLength(5);
    expect((await api.call('/api/events/stream?domain=Bad-Domain', IP.admin)).status).toBe(400);
    for (const c of [all, sensors, one, resumed]) c.close();
  });

  it('drops a client that stops reading, counts it, and keeps serving the others', async () => {
    const fast = await subscribe('?domain=sensor', IP.admin);
    // A client that sends its request and never reads the response.
    const slow = connect({ host: IP.ingestor, port: api.http.port(), localAddress: IP.admin });
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.pause();
    slow.write('GET /api/events/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    await until('the slow client is attached', () => api.stream.stats().clients === 2);
    const droppedBefore = api.stream.stats().droppedClients;
    let published = 0;
    const start = fast.events.length;
    // Enough data to fill the kernel socket buffers and the 64 KiB queue bound, yielding so the sockets drain.
    // Bursts of 50 (~18 KB) stay under the fast client's 64 KiB bound; the reader in this same process catches up between them.
    for (let round = 0; round < 4000 && api.stream.stats().droppedClients === droppedBefore; round += 1) {
      for (let i = 0; i < 50; i += 1) {
        api.stream.publish(event('sensor.flood', String(published), { friendly_name: `flood ${'n'.repeat(200)}` }));
        published += 1;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(api.stream.stats().droppedClients).toBe(droppedBefore + 1);
    await until('the fast client got everything', () => fast.events.length - start === published, 20_000);
    const metrics = (await httpRequestRaw(`${api.base}/metrics`, { localAddress: IP.admin })).body.toString();
    expect(metrics).toMatch(new RegExp(`^homeiq_stream_dropped_clients_total ${droppedBefore + 1}$`, 'm'));
    slow.destroy();
    fast.close();
  }, 60_000);
});
