/**
 * The Entities API names areas: the admin server asks the ingestor's `GET /api/registry/areas` through its
 * verified-sibling client (bound to the admin's address, as the ingestor checks), caches the names for a minute,
 * and falls back to the area ids when the ingestor is down or answers what it cannot read. Real HTTP on loopback:
 * a stand-in ingestor on its real port, the panel server; InfluxDB is a fixed set of rows.
 */
import {
  createLogger,
  Health,
  httpRequestRaw,
  LogSecrets,
  type AddonInfo,
  type SupervisorClient,
} from '@homeiq/shared';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entities } from '../api-types.js';
import { Csrf } from '../http/csrf.js';
import { createApp } from '../http/app.js';
import type { FluxRow } from '@homeiq/shared';
import type { InfluxReader } from '../influx/flux.js';
import { AREA_NAMES_TTL_MS, AreaNames, withAreaNames } from './area-names.js';
import { IngestorClient, ManagerClient } from './clients.js';
import { SiblingLocator } from './locator.js';
import { SiblingHttp } from './sibling-http.js';
import { ADDON_PORTS } from '@homeiq/shared/contracts';

const IP = { supervisor: '127.0.57.2', ingestor: '127.0.57.11', admin: '127.0.57.13' };

const supervisor = {
  selfInfo: async () => addon('abcd1234_homeiq-admin', IP.admin),
  addonInfo: async (slug: string) => addon(slug, slug === 'abcd1234_homeiq-ingestor' ? IP.ingestor : ''),
} as unknown as SupervisorClient;

function addon(slug: string, ip: string): AddonInfo {
  return {
    name: slug,
    slug,
    hostname: slug.replace('_', '-'),
    version: '0.1.0',
    state: 'started',
    ip_address: ip,
    repository: 'x',
    ingress: false,
    ingress_entry: null,
    ingress_port: null,
  };
}

const lasts = (entity: string, area: string): FluxRow => ({
  result: 'lasts',
  entity_id: entity,
  _measurement: entity.split('.')[0] ?? '',
  _value: '1',
  _time: '2026-01-01T10:00:00Z',
  area,
});
const influx = {
  grant: async () => ({ buckets: { raw: 'homeassistant', downsampled: [] } }),
  query: async () => [
    lasts('sensor.living_room_temperature', 'living_room'),
    lasts('sensor.solar_power', 'garden'),
    lasts('light.shed', 'shed'), // an area deleted from HA since the point was written
    lasts('sun.sun', ''),
  ],
} as unknown as InfluxReader;

const DEMO = [
  { id: 'living_room', name: 'Living room', floor: { id: 'ground_floor', name: 'Ground floor' } },
  { id: 'garden', name: 'Garden' },
];

/** What the stand-in ingestor answers next, and whom it answered. */
const ingestor = { status: 200, body: { areas: DEMO } as unknown, callers: [] as string[] };
let ingestorServer: Server;
let panel: Server;
let panelPort: number;
let clock = 0;

beforeAll(async () => {
  ingestorServer = createServer((req, res) => {
    ingestor.callers.push(`${req.socket.remoteAddress ?? ''} ${req.url ?? ''}`);
    res.writeHead(ingestor.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(ingestor.body));
  });
  await new Promise<void>((r) => ingestorServer.listen(ADDON_PORTS.ingestorApi, IP.ingestor, r));
  const log = createLogger({ level: 'fatal', name: 't', secrets: new LogSecrets(), write: () => {} });
  const http = new SiblingHttp({ locator: new SiblingLocator(supervisor), localAddress: IP.admin, timeoutMs: 1000 });
  const client = new IngestorClient(http);
  const app = createApp({
    health: new Health(),
    ingressPeers: new Set([IP.supervisor]),
    siblings: { read: async () => ({}) as never },
    // Only the ingestor's target is read from it (for the note on data written elsewhere): none here.
    overview: {
      status: { get: async () => ({ ok: false, error: new Error('no ingestor status in this test') }) },
    } as never,
    ingestor: client,
    areaNames: new AreaNames(
      () => client.areas(),
      AREA_NAMES_TTL_MS,
      () => clock,
    ),
    manager: new ManagerClient(http),
    influx,
    grafana: {} as never,
    console: {} as never,
    csrf: new Csrf(Buffer.alloc(32, 1)),
    live: (async () => undefined) as never,
    assets: { version: 'v1', files: new Map() },
    log,
  });
  panel = app.listen({ host: IP.admin, port: 0 });
  await new Promise((r) => panel.once('listening', r));
  panelPort = (panel.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => panel.close(() => r()));
  if (ingestorServer.listening) await new Promise<void>((r) => ingestorServer.close(() => r()));
});

async function entities(): Promise<Entities> {
  const res = await httpRequestRaw(`http://${IP.admin}:${panelPort}/api/entities`, {
    localAddress: IP.supervisor,
    timeoutMs: 10_000,
  });
  expect(res.status).toBe(200);
  return JSON.parse(res.body.toString('utf8')) as Entities;
}

const areasOf = (e: Entities): Record<string, [string | undefined, string | undefined]> =>
  Object.fromEntries(e.entities.map((r) => [r.entityId, [r.area, r.areaName]]));

describe('Entities API: area names from the ingestor', () => {
  it('names each area, keeps the id, and falls back to the id for an area HA no longer has', async () => {
    const e = await entities();
    expect(areasOf(e)).toEqual({
      'light.shed': ['shed', 'shed'],
      'sensor.living_room_temperature': ['living_room', 'Living room'],
      'sensor.solar_power': ['garden', 'Garden'],
      'sun.sun': [undefined, undefined],
    });
    expect(e.problems).toEqual([]);
    // Asked as the admin sibling (the ingestor answers only that address), on the new endpoint.
    expect(ingestor.callers).toEqual([`${IP.admin} /api/registry/areas`]);
  });

  it('keeps the names for a minute, then reads them again (a rename shows up)', async () => {
    ingestor.body = { areas: [{ ...DEMO[0], name: 'Lounge' }, DEMO[1]] };
    clock += AREA_NAMES_TTL_MS - 1;
    expect(areasOf(await entities())['sensor.living_room_temperature']).toEqual(['living_room', 'Living room']);
    expect(ingestor.callers).toHaveLength(1);
    clock += 1;
    expect(areasOf(await entities())['sensor.living_room_temperature']).toEqual(['living_room', 'Lounge']);
    expect(ingestor.callers).toHaveLength(2);
  });

  it('shows ids, says why, and keeps answering when the ingestor answers what the panel cannot read', async () => {
    ingestor.body = { areas: [{ id: 'living_room', name: 42 }] };
    clock += AREA_NAMES_TTL_MS;
    const e = await entities();
    expect(areasOf(e)['sensor.living_room_temperature']).toEqual(['living_room', 'living_room']);
    expect(e.problems).toEqual([
      {
        sibling: 'homeiq-ingestor',
        what: 'area names',
        why: expect.stringContaining('HomeIQ Ingestor answered area names the panel cannot read'),
      },
    ]);
    ingestor.status = 503;
    ingestor.body = { error: "Home Assistant's registries have not been read yet" };
    clock += 5000; // a failure is kept for 5 s only
    expect((await entities()).problems[0]?.why).toContain(
      'registries have not been read yet; the areas are shown by their ids',
    );
    ingestor.status = 200;
    ingestor.body = { areas: DEMO };
    clock += 5000;
    expect(areasOf(await entities())['sensor.solar_power']).toEqual(['garden', 'Garden']);
  });

  it('shows ids when the ingestor is down', async () => {
    await new Promise<void>((r) => ingestorServer.close(() => r()));
    clock += AREA_NAMES_TTL_MS;
    const e = await entities();
    expect(areasOf(e)).toMatchObject({
      'sensor.living_room_temperature': ['living_room', 'living_room'],
      'sun.sun': [undefined, undefined],
    });
    expect(e.problems).toEqual([
      {
        sibling: 'homeiq-ingestor',
        what: 'area names',
        why: expect.stringMatching(/^HomeIQ Ingestor did not answer .*; the areas are shown by their ids$/),
      },
    ]);
  });

  it('reports no problem when no row has an area (the names would not be used)', () => {
    const row = {
      entityId: 'sun.sun',
      domain: 'sun',
      lastState: 'up',
      lastChange: '',
      events: 1,
      unit: undefined,
      area: undefined,
    };
    expect(withAreaNames([row], { ok: false, error: new Error('down') })).toEqual({
      entities: [{ ...row, areaName: undefined }],
      problems: [],
    });
  });
});
