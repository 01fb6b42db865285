/**
 * `GET /api/registry/areas` against the HA simulator's demo home: the enricher keeps the area and floor names
 * from the registries it reads on connecting, reads them again after a registry change, and the endpoint
 * answers only the admin sibling (the real identity check, through the Supervisor emulator).
 */
import { Health } from '@homeiq/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryEnricher, type AreaName } from './registry.js';
import { HaSocket } from '../ha/ha-socket.js';
import { EventStream } from '../http/event-stream.js';
import { startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import { quietLog as log, serveIngestorApi, type IngestorApi } from '../../../tests/harness/ingestor-api.js';
import { until } from '../../../dev/until.js';

const IP = { ingestor: '127.0.58.1', influxdb: '127.0.58.2', admin: '127.0.58.3', stranger: '127.0.58.4' };

let ha: HaSimulator;
let socket: HaSocket;
let enricher: RegistryEnricher;
let stream: EventStream;
let api: IngestorApi;

beforeAll(async () => {
  ha = await startHaSimulator({ warn: () => undefined });
  const health = new Health();
  enricher = new RegistryEnricher({ log, debounceMs: 50 });
  // As main.ts wires it (there through the backfill, which reads the registries first on every connection).
  socket = new HaSocket({
    url: ha.wsUrl,
    token: ha.token,
    eventTypes: [],
    log,
    health,
    onEvent: () => undefined,
    onConnected: (session) => void enricher.refresh(session).catch(() => undefined),
    onRegistryEvent: () => enricher.onRegistryEvent(),
  });
  stream = new EventStream();
  const none = { stats: () => ({}) as never };
  api = await serveIngestorApi(IP, {
    health,
    stream,
    enricher,
    ha: socket,
    counter: { counts: () => ({}) as never },
    encoder: none,
    writer: none,
    spool: { ...none, append: () => false, sync: async () => undefined },
    quarantine: { ...none, entries: async () => [], remove: async () => 0 },
  });
}, 60_000);

afterAll(async () => {
  enricher?.stop();
  await socket?.stop();
  stream?.close();
  await api?.stop();
  await ha?.stop();
});

async function areas(from = IP.admin): Promise<{ status: number; body: { areas?: AreaName[]; error?: string } }> {
  const res = await api.call('/api/registry/areas', from);
  return { status: res.status, body: res.json() };
}

describe('ingestor API: area names', () => {
  it("answers 503 until the registries were read, then the demo home's areas with names and floors", async () => {
    expect(await areas()).toEqual({
      status: 503,
      body: { error: "Home Assistant's registries have not been read yet" },
    });
    await socket.start();
    const r = await until('the first registry read', () => areas(), {
      ok: (v) => v.status === 200,
      ms: 10_000,
      everyMs: 20,
    });
    expect(r.body.areas).toEqual([
      { id: 'living_room', name: 'Living room', floor: { id: 'ground_floor', name: 'Ground floor' } },
      { id: 'kitchen', name: 'Kitchen', floor: { id: 'ground_floor', name: 'Ground floor' } },
      { id: 'hallway', name: 'Hallway', floor: { id: 'ground_floor', name: 'Ground floor' } },
      { id: 'bedroom', name: 'Bedroom', floor: { id: 'first_floor', name: 'First floor' } },
      { id: 'garden', name: 'Garden' },
    ]);
  });

  it('reads them again after a registry change: renames, a new area, a removed one, a renamed floor', async () => {
    const refreshes = enricher.status().refreshes;
    ha.registries.setArea({ area_id: 'garden', name: 'Back garden', floor_id: 'ground_floor' });
    ha.registries.setArea({ area_id: 'attic', name: 'Attic', floor_id: 'first_floor' });
    ha.registries.removeArea('kitchen');
    ha.registries.setFloor({ floor_id: 'first_floor', name: 'Upstairs' });
    const r = await until('the re-read', () => areas(), {
      ok: (v) => v.body.areas?.some((a) => a.id === 'attic' && a.floor?.name === 'Upstairs') === true,
      ms: 10_000,
      everyMs: 20,
    });
    expect(r.body.areas).toEqual([
      { id: 'living_room', name: 'Living room', floor: { id: 'ground_floor', name: 'Ground floor' } },
      { id: 'hallway', name: 'Hallway', floor: { id: 'ground_floor', name: 'Ground floor' } },
      { id: 'bedroom', name: 'Bedroom', floor: { id: 'first_floor', name: 'Upstairs' } },
      { id: 'garden', name: 'Back garden', floor: { id: 'ground_floor', name: 'Ground floor' } },
      { id: 'attic', name: 'Attic', floor: { id: 'first_floor', name: 'Upstairs' } },
    ]);
    // The burst of four changes was read once or twice (debounced), not four times.
    expect(enricher.status().refreshes - refreshes).toBeLessThanOrEqual(2);
    // The tags follow the same read: an entity of the removed kitchen has no area any more.
    expect(enricher.tagsFor('light.kitchen')?.area).toBeUndefined();
  });

  it('answers only the admin sibling', async () => {
    for (const from of [IP.stranger, IP.influxdb, IP.ingestor]) {
      const r = await areas(from);
      expect(r.status, from).toBe(403);
      expect(r.body.areas).toBeUndefined();
    }
    expect((await areas()).status).toBe(200);
  });
});
