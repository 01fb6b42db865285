// The built ingestor against both real Home Assistants the e2e project shares (the current one and the oldest
// supported one), through the Supervisor emulator, into a real influxd: what each version sends reaches InfluxDB with
// the registry tags that version can give, and option state_reports_interval_s records an unchanged report where
// Home Assistant has them (2024.4+) and says it is off where it has not.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { buildBundles, launchRegistered, REPO_ROOT, tailOf, type AddonProcess } from '../../dev/addon-process.js';
import { isoNs } from '../../dev/ha-recorder.js';
import { flux } from '../../dev/influx-query.js';
import { until } from '../../dev/until.js';
import { createLogger, LogSecrets } from '@homeiq/shared';
import { StateReports } from '../../homeiq-ingestor/src/ha/state-reports.js';
import { haRest, wsCommand, type HaEndpoint } from '../../dev/peers/homeassistant.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../dev/peers/influxd.js';
import { startSupervisorEmulator, type SupervisorEmulator } from '../../dev/supervisor/index.js';

const PEERS = [
  { role: 'main', ha: inject('homeAssistant'), ip: '127.0.9.11', admin: '127.0.9.13', reports: true },
  { role: 'floor', ha: inject('homeAssistantFloor'), ip: '127.0.9.21', admin: '127.0.9.23', reports: false },
] as const;

let influx: RealInfluxd;
let setup: InfluxSetup;

beforeAll(async () => {
  await buildBundles('ingestor');
  influx = await startInfluxd();
  setup = await influx.setup();
}, 180_000);
afterAll(async () => {
  await influx?.dispose();
});

/** The points of one entity in a bucket, by ns time: tags and the `state` field. */
async function points(bucket: string, entityId: string): Promise<Map<string, Record<string, string>>> {
  const rows = await flux(
    influx.url,
    setup.org,
    setup.token,
    `from(bucket: "${bucket}") |> range(start: -1h) |> filter(fn: (r) => r._field == "state" and r.entity_id == "${entityId}")`,
  );
  return new Map(rows.map((r) => [isoNs(r['_time'] ?? ''), r]));
}

describe.each(PEERS)('the ingestor against real Home Assistant $role ($ha.version)', (peer) => {
  const { ha } = peer;
  const bucket = `versions_${peer.role}`;
  let supervisor: SupervisorEmulator;
  let proc: AddonProcess;
  let scheduleId: string | undefined;

  beforeAll(async () => {
    const res = await fetch(`${influx.url}/api/v2/buckets`, {
      method: 'POST',
      headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ orgID: setup.orgId, name: bucket, retentionRules: [] }),
    });
    expect(res.status).toBe(201);
    // A floor (2025.4 puts areas on floors; 2024.3 has the registry but no floor_id on areas), an area and a label,
    // given to a template sensor the tests change through its input_number.
    const floorId = (
      (await wsCommand(ha.wsUrl, ha.token, {
        type: 'config/floor_registry/create',
        name: `Versions ${peer.role}`,
      })) as { floor_id: string }
    ).floor_id;
    const area = (await wsCommand(ha.wsUrl, ha.token, {
      type: 'config/area_registry/create',
      name: `Versions room ${peer.role}`,
      ...(peer.reports ? { floor_id: floorId } : {}),
    })) as { area_id: string };
    const label = (await wsCommand(ha.wsUrl, ha.token, {
      type: 'config/label_registry/create',
      name: `Versions label ${peer.role}`,
    })) as { label_id: string };
    // 2024.3.3 lists entity labels (always empty) but refuses to set them: labels came to entities in 2024.4.
    await wsCommand(ha.wsUrl, ha.token, {
      type: 'config/entity_registry/update',
      entity_id: 'sensor.test_power_sensor',
      area_id: area.area_id,
      ...(peer.reports ? { labels: [label.label_id] } : {}),
    });
    supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token, version: ha.version } });
    const addon = supervisor.registerAddon({
      configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'),
      ip: peer.ip,
      options: {
        target: 'external',
        external: { url: influx.url, org: setup.org, bucket, token: setup.token },
        flush_interval_ms: 200,
        state_reports_interval_s: 10,
      },
    });
    supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: peer.admin });
    proc = await launchRegistered({ name: 'ingestor', supervisorUrl: supervisor.url, addon });
    await proc.waitForLine(/registries read/, 60_000);
  }, 120_000);

  afterAll(async () => {
    if (peer.reports) await forgetReported(ha, scheduleId);
    await proc?.stop('SIGTERM');
    await supervisor?.stop();
    if (proc) await rm(proc.dataDir, { recursive: true, force: true });
  });

  it('writes a change at its last_updated, tagged from the registries as far as this version can', async () => {
    const before = await haRest<{ state: string }>(ha, 'GET', '/api/states/input_number.test_power');
    const value = Number(before.state) === 100 ? 200 : 100;
    await haRest(ha, 'POST', '/api/services/input_number/set_value', { entity_id: 'input_number.test_power', value });
    const sensor = await haRest<{ state: string; last_updated: string }>(
      ha,
      'GET',
      '/api/states/sensor.test_power_sensor',
    );
    const point = await until(
      'the template sensor point',
      async () => (await points(bucket, 'sensor.test_power_sensor')).get(isoNs(sensor.last_updated)),
      { ms: 30_000, everyMs: 200, context: () => tailOf(proc) },
    );
    expect(point['_value']).toBe(sensor.state);
    expect(point['area']).toMatch(/^versions_room_/);
    // Only 2024.4+ puts areas on floors and labels on entities.
    expect(point['labels'] ?? '').toBe(peer.reports ? `versions_label_${peer.role}` : '');
    expect(point['floor'] ?? '').toBe(peer.reports ? `versions_${peer.role}` : '');
    // The Sun's sensors (snapshot on connect) carry their device.
    const sun = [...(await points(bucket, 'sensor.sun_next_dawn')).values()][0];
    expect(sun).toMatchObject({ device: 'Sun' });
    expect(sun?.['device_id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it(peer.reports
    ? 'records an unchanged report at its last_reported (state_reports_interval_s), beside many reported states and one with a datetime attribute'
    : 'says that state reports are off: this Home Assistant has no last_reported', async () => {
    const entity = 'input_number.test_humidity';
    const now = await haRest<{ state: string; last_updated: string }>(ha, 'GET', `/api/states/${entity}`);
    if (!peer.reports) {
      await haRest(ha, 'POST', '/api/services/input_number/set_value', {
        entity_id: entity,
        value: Number(now.state),
      });
      await proc.waitForLine(/has no last_reported \(2024\.4\+\); off/, 10_000);
      return;
    }
    // Reported beside it: more states than one template answer can list with their attributes (HA cuts a
    // rendering at 256 KiB), and a schedule, whose next_event attribute is a datetime (a template's to_json
    // refuses those).
    await reportMany(ha);
    scheduleId = await reportSchedule(ha);
    await haRest(ha, 'POST', '/api/services/input_number/set_value', { entity_id: entity, value: Number(now.state) });
    // Templates see the real last_reported (the state's JSON keeps the change's).
    const reportedAt = await haRest<string>(ha, 'POST', '/api/template', {
      template: `{{ states.${entity}.last_reported.isoformat() }}`,
    });
    expect(reportedAt > now.last_updated).toBe(true);
    const point = await until('the report point', async () => (await points(bucket, entity)).get(isoNs(reportedAt)), {
      ms: 30_000,
      everyMs: 200,
      context: () => tailOf(proc),
    });
    expect(point['_value']).toBe(now.state);
    // The change before it keeps its own point.
    expect((await points(bucket, entity)).has(isoNs(now.last_updated))).toBe(true);
    // The others' reports too, each at its own last_reported.
    for (const other of [MANY[MANY.length - 1] as string, SCHEDULE]) {
      const at = await haRest<string>(ha, 'POST', '/api/template', {
        template: `{{ states.${other}.last_reported.isoformat() }}`,
      });
      await until(`the report point of ${other}`, async () => (await points(bucket, other)).has(isoNs(at)), {
        ms: 30_000,
        everyMs: 200,
        context: () => tailOf(proc),
      });
    }
    // The same look, a few rows a page, against this Home Assistant's own templates: each report found once.
    const found = await lookPaged(ha);
    for (const id of [...MANY, SCHEDULE, entity])
      expect(found.get(id), id).toBe(
        await haRest<string>(ha, 'POST', '/api/template', {
          template: `{{ states.${id}.last_reported.isoformat() }}`,
        }),
      );
  }, 120_000);
});

/** One StateReports look with 7 rows a page, rendering through HA's REST API and reading get_states from it. */
async function lookPaged(ha: Ha): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const looker = new StateReports({
    intervalMs: 60_000,
    pageRows: 7,
    haVersion: () => ha.version,
    write: (s) => {
      expect(found.has(s.entity_id), s.entity_id).toBe(false);
      found.set(s.entity_id, s.last_reported);
    },
    render: async (template, variables) => {
      const res = await fetch(`${ha.url}/api/template`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ha.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ template, variables }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${text}`);
      return text;
    },
    log: createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() }),
  });
  looker.onConnected({
    connection: 1,
    closed: false,
    ended: new Promise<void>(() => undefined),
    command: async <T>(msg: Record<string, unknown>) => (await wsCommand(ha.wsUrl, ha.token, msg)) as T,
  });
  await looker.poll();
  expect(looker.stats()).toMatchObject({ polls: 1, failures: 0 });
  return found;
}

/** Flat sensors written twice with the same content (the second write is a report), ~5 KiB of attributes each. */
const MANY = Array.from({ length: 60 }, (_, i) => `sensor.versions_flat_${i}`);
const SCHEDULE = 'schedule.versions_reports';

type Ha = HaEndpoint & { wsUrl: string; version: string };

async function reportMany(ha: Ha): Promise<void> {
  const attributes = { unit_of_measurement: 'W', note: 'x'.repeat(5000) };
  for (let write = 0; write < 2; write += 1)
    await Promise.all(MANY.map((id, i) => haRest(ha, 'POST', `/api/states/${id}`, { state: String(i), attributes })));
}

/** A schedule (a storage helper), then a refresh that writes it unchanged: a report of a datetime attribute. */
async function reportSchedule(ha: Ha): Promise<string> {
  const day = [{ from: '07:00:00', to: '08:00:00' }];
  const created = await wsCommand(ha.wsUrl, ha.token, {
    type: 'schedule/create',
    name: 'Versions reports',
    ...Object.fromEntries(
      ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, day]),
    ),
  });
  await until(
    'the schedule',
    () =>
      haRest(ha, 'GET', `/api/states/${SCHEDULE}`).then(
        () => true,
        () => false,
      ),
    10_000,
  );
  await haRest(ha, 'POST', '/api/services/homeassistant/update_entity', { entity_id: SCHEDULE });
  return (created as { id: string }).id;
}

/** The shared Home Assistant as it was: the flat sensors and the schedule go. */
async function forgetReported(ha: Ha, scheduleId: string | undefined): Promise<void> {
  await Promise.all(MANY.map((id) => haRest(ha, 'DELETE', `/api/states/${id}`).catch(() => undefined)));
  if (scheduleId) await wsCommand(ha.wsUrl, ha.token, { type: 'schedule/delete', schedule_id: scheduleId });
}
