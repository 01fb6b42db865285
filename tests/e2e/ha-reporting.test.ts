/**
 * Issue 16 against the real parts: a real Home Assistant Core with its mqtt integration set up against a real
 * Mosquitto (Debian's), the Supervisor emulator offering that broker as its MQTT service, the real InfluxDB add-on
 * (influxd built from source) and the ingestor, both from their bundles. What HomeIQ tells the user is read back
 * from Home Assistant itself: its persistent notifications (subscribed as the frontend does), its entity and
 * device registries and its states. The steps share one installation and run in order. Without a broker:
 * ha-reporting-rest.test.ts.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENTITIES } from '../../homeiq-ingestor/src/report/entities.js';
import { buildBundles, launchRegistered, REPO_ROOT, type AddonProcess } from '../../dev/addon-process.js';
import { HA_TEST_USER, startHomeAssistant, type RealHa } from '../../dev/peers/homeassistant.js';
import { setUpMqttIntegration } from '../../dev/peers/homeassistant/mqtt.js';
import { provideMqttService, startMosquitto, type Mosquitto } from '../../dev/peers/mosquitto.js';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from '../../dev/supervisor/index.js';
import { launchChromium } from '../../dev/browser.js';
import type { NotificationWatch } from '../harness/ha-notifications.js';
import { call } from '../harness/influxdb-addon.js';
import { GRACE_S, type HaReader, observe, type Observed, REPORTING_OPTIONS, waiter } from '../harness/ha-reporting.js';
import { screenshot } from '../harness/panel-page.js';

const IP = {
  influxdb: '127.0.46.1',
  ingestor: '127.0.46.2',
  admin: '127.0.46.3',
  broker: '127.0.46.4',
};

let ha: RealHa;
let read: HaReader;
let ours: Observed['ours'];
let stopObserving: Observed['stop'] | undefined;
let broker: Mosquitto;
let supervisor: SupervisorEmulator;
let watch: NotificationWatch;
/** The HomeIQ device in HA's device registry. */
let deviceId = '';
const addon: Partial<Record<'influxdb' | 'ingestor' | 'admin', RegisteredAddon>> = {};
const proc: Partial<Record<'influxdb' | 'ingestor', AddonProcess>> = {};
const dataDirs: Partial<Record<'influxdb' | 'ingestor', string>> = {};

/** On a timeout: the ingestor's log tail and what its status API says of the spool and the writer. */
const until = waiter(async () => {
  const st = await call(`http://${IP.ingestor}:8325/api/status`, IP.admin).then(
    (r) => r.json(),
    () => ({}),
  );
  const tail = proc.ingestor?.lines.slice(-40).join('\n') ?? '';
  return `--- ingestor ---\n${tail}\nspool ${JSON.stringify(st.spool)} writer ${JSON.stringify(st.writer)}`;
});

async function start(name: 'influxdb' | 'ingestor'): Promise<AddonProcess> {
  const p = await launchRegistered({
    name,
    supervisorUrl: supervisor.url,
    addon: addon[name] as RegisteredAddon,
    ...(dataDirs[name] ? { dataDir: dataDirs[name] } : {}),
    extraEnv: name === 'influxdb' ? { HOMEIQ_INFLUXD_BIN: inject('influxdBinary') } : {},
  });
  dataDirs[name] = p.dataDir;
  proc[name] = p;
  await p.waitForLine(/ INFO {2}started$/, 90_000);
  return p;
}

beforeAll(async () => {
  const [, b, h] = await Promise.all([
    buildBundles('ingestor', 'influxdb'),
    startMosquitto({ host: IP.broker }),
    startHomeAssistant(),
  ]);
  broker = b;
  ha = h;
  await setUpMqttIntegration(ha, broker);
  supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token, version: ha.version } });
  await provideMqttService(supervisor, broker);
  const config = (name: string): string => join(REPO_ROOT, `homeiq-${name}`, 'config.yaml');
  addon.influxdb = supervisor.registerAddon({ configPath: config('influxdb'), ip: IP.influxdb });
  addon.ingestor = supervisor.registerAddon({
    configPath: config('ingestor'),
    ip: IP.ingestor,
    options: REPORTING_OPTIONS,
  });
  // Installed (its panel is where the notifications link to), not running: the ingestor must not need it.
  addon.admin = supervisor.registerAddon({ configPath: config('admin'), ip: IP.admin });
  await start('influxdb');
  await start('ingestor');
  ({ read, watch, ours, stop: stopObserving } = await observe(ha));
}, 600_000);

afterAll(async () => {
  await stopObserving?.();
  await proc.ingestor?.stop('SIGTERM');
  await proc.influxdb?.stop('SIGTERM');
  await supervisor?.stop();
  await ha?.stop();
  await broker?.dispose();
  for (const dir of Object.values(dataDirs)) await rm(dir, { recursive: true, force: true });
});

describe('HomeIQ in Home Assistant, with an MQTT broker', () => {
  it('MQTT discovery: every entity with a unique id under one HomeIQ device; values follow the stack', async () => {
    await until('events/s > 0 in HA', async () => (await read.number('sensor.homeiq_events_per_second')) > 0, 90_000);
    const registry = await read.registry<{
      entity_id: string;
      unique_id: string;
      platform: string;
      device_id: string | null;
    }>('entity');
    const mine = registry.filter((e) => e.platform === 'mqtt' && e.unique_id.startsWith('homeiq_'));
    expect(mine.map((e) => e.unique_id).sort()).toEqual(ENTITIES.map((e) => `homeiq_${e.key}`).sort());
    expect(mine.map((e) => e.entity_id).sort()).toEqual(ENTITIES.map((e) => `${e.component}.homeiq_${e.key}`).sort());
    const deviceIds = new Set(mine.map((e) => e.device_id));
    expect(deviceIds.size).toBe(1);
    deviceId = mine[0]?.device_id ?? '';
    const devices = await read.registry<Record<string, unknown>>('device');
    expect(devices.find((d) => deviceIds.has(d['id'] as string))).toMatchObject({
      name: 'HomeIQ',
      manufacturer: 'HomeIQ',
      model: 'HomeIQ Ingestor',
      sw_version: '0.1.0',
      identifiers: [['mqtt', 'homeiq']],
      configuration_url: `homeassistant://hassio/ingress/${addon.admin?.slug}`,
    });
    await until('InfluxDB ok', async () => (await read.value('sensor.homeiq_influxdb_status')) === 'ok', 30_000);
    await until(
      'no ingestion problem',
      async () => (await read.value('binary_sensor.homeiq_ingestion_problem')) === 'off',
      30_000,
    );
    expect(await read.number('sensor.homeiq_last_event_age')).toBeLessThan(30);
    expect(await read.number('sensor.homeiq_quarantined_points')).toBe(0);
    // The InfluxDB add-on measures its disk use at most every 30 s: the first figure may predate any data.
    await until('InfluxDB disk use', async () => (await read.number('sensor.homeiq_influxdb_disk_use')) > 0, 90_000);
    const events = await read.state('sensor.homeiq_events_per_second');
    expect(events?.attributes).toMatchObject({ unit_of_measurement: 'events/s', state_class: 'measurement' });

    // A downsampling run (started through the manager API as the panel does) shows up as the last run.
    const tasks = `http://${IP.influxdb}:8326/api/tasks`;
    const task = ((await call(tasks, IP.admin)).json() as { tasks: Array<{ id: string; name: string }> }).tasks.find(
      (t) => t.name === 'homeiq-downsample-5m',
    );
    const run = await call(`${tasks}/${task?.id}/run?wait=1`, IP.admin, { method: 'POST' });
    expect(run.status, run.text).toBe(200);
    await until(
      'the last downsampling run in HA',
      async () => Date.now() - Date.parse((await read.value('sensor.homeiq_last_downsampling_run')) ?? '') < 3600_000,
      45_000,
    );
    expect((await read.state('sensor.homeiq_last_downsampling_run'))?.attributes).toMatchObject({
      task: 'homeiq-downsample-5m',
      status: 'success',
    });
  }, 180_000);

  let outageAt = 0;
  it('InfluxDB stopped: one notification after the grace period, with numbers, updated while it lasts', async () => {
    const before = await read.number('sensor.homeiq_spool_backlog');
    outageAt = Date.now();
    await proc.influxdb?.stop('SIGTERM');
    const took = await until(
      'the InfluxDB notification',
      () => watch.about('homeiq_influxdb').some((e) => e.type === 'added'),
      (GRACE_S + 20) * 1000,
    );
    expect(took, 'not before the grace period').toBeGreaterThanOrEqual(GRACE_S * 1000);
    const [first] = await ours();
    expect(first?.notification_id).toBe('homeiq_influxdb');
    expect(first?.title).toBe('HomeIQ cannot write to InfluxDB');
    expect(first?.message).toMatch(/HomeIQ has not been able to write to InfluxDB for \d+ (s|min \d+ s): /);
    expect(first?.message).toMatch(/ of points wait in the spool \((under 1|\d+) % of spool_max_mb, 1024 MB\)/);
    expect(first?.message).toContain('The HomeIQ InfluxDB add-on does not answer');
    expect(first?.message).toContain(`[Open the HomeIQ panel](/hassio/ingress/${addon.admin?.slug})`);

    // The entities show the outage: the backlog grows, InfluxDB is not ok, ingestion has a problem.
    await until(
      'the backlog to grow',
      async () => (await read.number('sensor.homeiq_spool_backlog')) > Math.max(before, 0) + 1000,
      30_000,
    );
    await until(
      'InfluxDB unreachable',
      async () => ['unreachable', 'failing'].includes((await read.value('sensor.homeiq_influxdb_status')) ?? ''),
      30_000,
    );
    expect(await read.value('sensor.homeiq_influxdb_disk_use')).toBe('unknown');
    expect(await read.value('binary_sensor.homeiq_ingestion_problem')).toBe('on');
    expect(await read.number('sensor.homeiq_spool_backlog_age')).toBeGreaterThan(0);

    // Updated while it lasts: the same id again, with new numbers, no sooner than the grace period.
    await until(
      'an update of the notification',
      () => watch.about('homeiq_influxdb').filter((e) => e.type === 'added').length >= 2,
      GRACE_S * 3 * 1000,
    );
    const [a, b] = watch.about('homeiq_influxdb').filter((e) => e.type === 'added');
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(GRACE_S * 1000 - 1000);
    expect(b?.notifications['homeiq_influxdb']?.message).not.toBe(a?.notifications['homeiq_influxdb']?.message);
    expect((await ours()).map((n) => n.notification_id)).toEqual(['homeiq_influxdb']);
  }, 120_000);

  it("screenshot: Home Assistant's notification drawer with the HomeIQ notification (Chromium)", async () => {
    const browser: Browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${ha.url}/`);
      await page.locator('input[name="username"]').fill(HA_TEST_USER.username);
      await page.locator('input[name="password"]').fill(HA_TEST_USER.password);
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/(lovelace|home|config|map|energy|logbook|history)/, { timeout: 60_000 });
      await page.getByText('Notifications', { exact: true }).first().click();
      const card = page.getByText('HomeIQ cannot write to InfluxDB').first();
      await card.waitFor({ timeout: 30_000 });
      await page.getByText('of points wait in the spool').first().waitFor({ timeout: 30_000 });
      // The drawer slides in: shoot once it is fully open.
      await expect.poll(async () => (await card.boundingBox())?.x ?? -1, { timeout: 10_000 }).toBeGreaterThan(0);
      await screenshot(page, 'ha-notification-drawer', { fullPage: false });
      console.log(`HA's notifications: ${JSON.stringify((await watch.list()).map((n) => n.title))}`);
      await page.goto(`${ha.url}/config/devices/device/${deviceId}`);
      await page.getByText('Spool backlog age').first().waitFor({ timeout: 30_000 });
      await screenshot(page, 'ha-homeiq-device');
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('no duplicate after a Home Assistant restart: the notification and the entities come back once', async () => {
    await ha.restart();
    await watch.reconnect();
    await until('the notification again after the HA restart', async () => (await ours()).length > 0, 60_000);
    expect((await ours()).map((n) => n.notification_id)).toEqual(['homeiq_influxdb']);
    await until(
      'the entities again after the HA restart',
      async () => (await read.number('sensor.homeiq_spool_backlog')) > 0,
      60_000,
    );
  }, 120_000);

  it('the ingestor stopped: its entities go unavailable (clean stop, then a crash: the will); no duplicate notification', async () => {
    const from = watch.events.length;
    await proc.ingestor?.stop('SIGTERM');
    await until(
      'unavailable after a clean stop',
      async () => (await read.value('sensor.homeiq_events_per_second')) === 'unavailable',
      15_000,
    );
    await start('ingestor');
    await until(
      'available again',
      async () => !['unavailable', undefined].includes(await read.value('sensor.homeiq_events_per_second')),
      30_000,
    );
    await proc.ingestor?.stop('SIGKILL');
    await until(
      'unavailable after a crash (the last will)',
      async () => (await read.value('binary_sensor.homeiq_ingestion_problem')) === 'unavailable',
      15_000,
    );
    await start('ingestor');
    await until(
      'available again',
      async () => (await read.value('binary_sensor.homeiq_ingestion_problem')) === 'on',
      30_000,
    );
    // The alert survived both restarts: never dismissed meanwhile, still exactly one.
    expect(watch.about('homeiq_influxdb', from).filter((e) => e.type === 'removed')).toEqual([]);
    expect((await ours()).map((n) => n.notification_id)).toEqual(['homeiq_influxdb']);
  }, 120_000);

  it('InfluxDB back: the backlog returns to 0, the notification is dismissed, the entities say ok', async () => {
    const from = watch.events.length;
    await start('influxdb');
    await until('the backlog sent', async () => (await read.number('sensor.homeiq_spool_backlog')) === 0, 90_000);
    await until(
      'the notification dismissed',
      () => watch.about('homeiq_influxdb', from).some((e) => e.type === 'removed'),
      (GRACE_S + 30) * 1000,
    );
    expect(await ours()).toEqual([]);
    await until('InfluxDB ok', async () => (await read.value('sensor.homeiq_influxdb_status')) === 'ok', 30_000);
    await until(
      'no ingestion problem',
      async () => (await read.value('binary_sensor.homeiq_ingestion_problem')) === 'off',
      30_000,
    );
    console.log(`ha-reporting: outage to recovery ${Math.round((Date.now() - outageAt) / 1000)} s`);
  }, 180_000);

  it("Home Assistant logged no problem with HomeIQ's discovery payloads or values", async () => {
    expect(await read.complaints()).toEqual([]);
  });
});
