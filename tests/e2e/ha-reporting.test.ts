/**
 * Issue 16 against the real parts: a real Home Assistant Core with its mqtt integration set up against a real
 * Mosquitto (Debian's), the Supervisor emulator offering that broker as its MQTT service, the real InfluxDB add-on
 * (influxd built from source) and the ingestor, both from their bundles. What HomeIQ tells the user is read back
 * from Home Assistant itself: its persistent notifications (subscribed as the frontend does), its entity and
 * device registries and its states. The steps share one installation and run in order; the second part runs
 * the ingestor without a broker and without the admin add-on.
 */
import { httpRequestRaw } from '@homeiq/shared';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENTITIES } from '../../homeiq-ingestor/src/report/entities.js';
import { buildBundles, launchRegistered, REPO_ROOT, type AddonProcess } from '../../dev/addon-process.js';
import {
  createStateDriver,
  HA_TEST_USER,
  haRest,
  HaHttpError,
  startHomeAssistant,
  type RealHa,
  type StateDriver,
} from '../../dev/peers/homeassistant.js';
import { wsCommand } from '../../dev/peers/homeassistant/onboarding.js';
import { setUpMqttIntegration } from '../../dev/peers/homeassistant/mqtt.js';
import { startInfluxd, type RealInfluxd } from '../../dev/peers/influxd.js';
import { provideMqttService, startMosquitto, type Mosquitto } from '../../dev/peers/mosquitto.js';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from '../../dev/supervisor/index.js';
import { launchChromium } from '../../dev/browser.js';
import { NotificationWatch, type Notification } from '../harness/ha-notifications.js';

/** Short on purpose: the option's minimum is 5 s; users get 120 s. */
const GRACE_S = 10;
const ENTITY_S = 5;
const IP = {
  influxdb: '127.0.46.1',
  ingestor: '127.0.46.2',
  admin: '127.0.46.3',
  broker: '127.0.46.4',
  lone: '127.0.46.5',
};
const SHOTS = join(REPO_ROOT, '.artifacts', 'screenshots');

let ha: RealHa;
let broker: Mosquitto;
let supervisor: SupervisorEmulator;
let driver: StateDriver;
let watch: NotificationWatch;
/** The HomeIQ device in HA's device registry. */
let deviceId = '';
const addon: Partial<Record<'influxdb' | 'ingestor' | 'admin', RegisteredAddon>> = {};
const proc: Partial<Record<'influxdb' | 'ingestor', AddonProcess>> = {};
const dataDirs: Partial<Record<'influxdb' | 'ingestor', string>> = {};

async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (
    !(await Promise.resolve()
      .then(cond)
      .catch(() => false))
  ) {
    if (Date.now() - start > ms)
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}\n--- ingestor ---\n${proc.ingestor?.lines.slice(-40).join('\n') ?? ''}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
  return Date.now() - start;
}

interface HaState {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
}
async function state(id: string): Promise<HaState | undefined> {
  try {
    return await haRest<HaState>(ha, 'GET', `/api/states/${id}`);
  } catch (err) {
    if (err instanceof HaHttpError && err.status === 404) return undefined;
    throw err;
  }
}
const value = async (id: string): Promise<string | undefined> => (await state(id))?.state;
const number = async (id: string): Promise<number> => Number(await value(id));

async function ours(): Promise<Notification[]> {
  return (await watch.list()).filter((n) => n.notification_id.startsWith('homeiq_'));
}

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
  await mkdir(SHOTS, { recursive: true });
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
    options: { notify_after_s: GRACE_S, ha_entities_interval_s: ENTITY_S, flush_interval_ms: 200 },
  });
  // Installed (its panel is where the notifications link to), not running: the ingestor must not need it.
  addon.admin = supervisor.registerAddon({ configPath: config('admin'), ip: IP.admin });
  await start('influxdb');
  await start('ingestor');
  driver = createStateDriver(ha, { ratePerSecond: 4, durationMs: 30 * 60_000 });
  driver.start();
  watch = await NotificationWatch.start(ha);
}, 600_000);

afterAll(async () => {
  watch?.close();
  await driver?.stop();
  await proc.ingestor?.stop('SIGTERM');
  await proc.influxdb?.stop('SIGTERM');
  await supervisor?.stop();
  await ha?.stop();
  await broker?.dispose();
  for (const dir of Object.values(dataDirs)) await rm(dir, { recursive: true, force: true });
});

describe('HomeIQ in Home Assistant, with an MQTT broker', () => {
  it('MQTT discovery: every entity with a unique id under one HomeIQ device; values follow the stack', async () => {
    await until('events/s > 0 in HA', async () => (await number('sensor.homeiq_events_per_second')) > 0, 90_000);
    const registry = (await wsCommand(ha.wsUrl, ha.token, { type: 'config/entity_registry/list' })) as Array<{
      entity_id: string;
      unique_id: string;
      platform: string;
      device_id: string | null;
    }>;
    const mine = registry.filter((e) => e.platform === 'mqtt' && e.unique_id.startsWith('homeiq_'));
    expect(mine.map((e) => e.unique_id).sort()).toEqual(ENTITIES.map((e) => `homeiq_${e.key}`).sort());
    expect(mine.map((e) => e.entity_id).sort()).toEqual(ENTITIES.map((e) => `${e.component}.homeiq_${e.key}`).sort());
    const deviceIds = new Set(mine.map((e) => e.device_id));
    expect(deviceIds.size).toBe(1);
    deviceId = mine[0]?.device_id ?? '';
    const devices = (await wsCommand(ha.wsUrl, ha.token, { type: 'config/device_registry/list' })) as Array<
      Record<string, unknown>
    >;
    expect(devices.find((d) => deviceIds.has(d['id'] as string))).toMatchObject({
      name: 'HomeIQ',
      manufacturer: 'HomeIQ',
      model: 'HomeIQ Ingestor',
      sw_version: '0.1.0',
      identifiers: [['mqtt', 'homeiq']],
      configuration_url: `homeassistant://hassio/ingress/${addon.admin?.slug}`,
    });
    await until('InfluxDB ok', async () => (await value('sensor.homeiq_influxdb_status')) === 'ok', 30_000);
    await until(
      'no ingestion problem',
      async () => (await value('binary_sensor.homeiq_ingestion_problem')) === 'off',
      30_000,
    );
    expect(await number('sensor.homeiq_last_event_age')).toBeLessThan(30);
    expect(await number('sensor.homeiq_quarantined_points')).toBe(0);
    // The InfluxDB add-on measures its disk use at most every 30 s: the first figure may predate any data.
    await until('InfluxDB disk use', async () => (await number('sensor.homeiq_influxdb_disk_use')) > 0, 90_000);
    const events = await state('sensor.homeiq_events_per_second');
    expect(events?.attributes).toMatchObject({ unit_of_measurement: 'events/s', state_class: 'measurement' });

    // A downsampling run (started through the manager API as the panel does) shows up as the last run.
    const manager = `http://${IP.influxdb}:8326`;
    const tasks = JSON.parse(
      (await httpRequestRaw(`${manager}/api/tasks`, { localAddress: IP.admin })).body.toString('utf8'),
    ) as { tasks: Array<{ id: string; name: string }> };
    const task = tasks.tasks.find((t) => t.name === 'homeiq-downsample-5m');
    const run = await httpRequestRaw(`${manager}/api/tasks/${task?.id}/run?wait=1`, {
      method: 'POST',
      localAddress: IP.admin,
      timeoutMs: 60_000,
    });
    expect(run.status, run.body.toString('utf8')).toBe(200);
    await until(
      'the last downsampling run in HA',
      async () => Date.now() - Date.parse((await value('sensor.homeiq_last_downsampling_run')) ?? '') < 3600_000,
      45_000,
    );
    expect((await state('sensor.homeiq_last_downsampling_run'))?.attributes).toMatchObject({
      task: 'homeiq-downsample-5m',
      status: 'success',
    });
  }, 180_000);

  let outageAt = 0;
  it('InfluxDB stopped: one notification after the grace period, with numbers, updated while it lasts', async () => {
    const before = await number('sensor.homeiq_spool_backlog');
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
      async () => (await number('sensor.homeiq_spool_backlog')) > Math.max(before, 0) + 1000,
      30_000,
    );
    await until(
      'InfluxDB unreachable',
      async () => ['unreachable', 'failing'].includes((await value('sensor.homeiq_influxdb_status')) ?? ''),
      30_000,
    );
    expect(await value('sensor.homeiq_influxdb_disk_use')).toBe('unknown');
    expect(await value('binary_sensor.homeiq_ingestion_problem')).toBe('on');
    expect(await number('sensor.homeiq_spool_backlog_age')).toBeGreaterThan(0);

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
      await page.screenshot({ path: join(SHOTS, 'ha-notification-drawer.png') });
      console.log(`HA's notifications: ${JSON.stringify((await watch.list()).map((n) => n.title))}`);
      await page.goto(`${ha.url}/config/devices/device/${deviceId}`);
      await page.getByText('Spool backlog age').first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(SHOTS, 'ha-homeiq-device.png'), fullPage: true });
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
      async () => (await number('sensor.homeiq_spool_backlog')) > 0,
      60_000,
    );
  }, 120_000);

  it('the ingestor stopped: its entities go unavailable (clean stop, then a crash: the will); no duplicate notification', async () => {
    const from = watch.events.length;
    await proc.ingestor?.stop('SIGTERM');
    await until(
      'unavailable after a clean stop',
      async () => (await value('sensor.homeiq_events_per_second')) === 'unavailable',
      15_000,
    );
    await start('ingestor');
    await until(
      'available again',
      async () => !['unavailable', undefined].includes(await value('sensor.homeiq_events_per_second')),
      30_000,
    );
    await proc.ingestor?.stop('SIGKILL');
    await until(
      'unavailable after a crash (the last will)',
      async () => (await value('binary_sensor.homeiq_ingestion_problem')) === 'unavailable',
      15_000,
    );
    await start('ingestor');
    await until(
      'available again',
      async () => (await value('binary_sensor.homeiq_ingestion_problem')) === 'on',
      30_000,
    );
    // The alert survived both restarts: never dismissed meanwhile, still exactly one.
    expect(watch.about('homeiq_influxdb', from).filter((e) => e.type === 'removed')).toEqual([]);
    expect((await ours()).map((n) => n.notification_id)).toEqual(['homeiq_influxdb']);
  }, 120_000);

  it('InfluxDB back: the backlog returns to 0, the notification is dismissed, the entities say ok', async () => {
    const from = watch.events.length;
    await start('influxdb');
    await until('the backlog sent', async () => (await number('sensor.homeiq_spool_backlog')) === 0, 90_000).catch(
      async (err: unknown) => {
        const st = await httpRequestRaw(`http://${IP.ingestor}:8325/api/status`, { localAddress: IP.admin });
        const j = JSON.parse(st.body.toString('utf8'));
        throw new Error(
          `${(err as Error).message}\nHA: ${await value('sensor.homeiq_spool_backlog')}\nspool ${JSON.stringify(j.spool)} writer ${JSON.stringify(j.writer)}`,
        );
      },
    );
    await until(
      'the notification dismissed',
      () => watch.about('homeiq_influxdb', from).some((e) => e.type === 'removed'),
      (GRACE_S + 30) * 1000,
    );
    expect(await ours()).toEqual([]);
    await until('InfluxDB ok', async () => (await value('sensor.homeiq_influxdb_status')) === 'ok', 30_000);
    await until(
      'no ingestion problem',
      async () => (await value('binary_sensor.homeiq_ingestion_problem')) === 'off',
      30_000,
    );
    console.log(`ha-reporting: outage to recovery ${Math.round((Date.now() - outageAt) / 1000)} s`);
  }, 180_000);
});

describe('without an MQTT broker and without the admin add-on', () => {
  let lone: SupervisorEmulator;
  let influx: RealInfluxd;
  let ingestor: AddonProcess | undefined;
  let self: RegisteredAddon;
  let dir: string | undefined;

  const launch = async (): Promise<void> => {
    ingestor = await launchRegistered({
      name: 'ingestor',
      supervisorUrl: lone.url,
      addon: self,
      ...(dir ? { dataDir: dir } : {}),
    });
    dir = ingestor.dataDir;
    await ingestor.waitForLine(/ INFO {2}started$/, 60_000);
  };

  beforeAll(async () => {
    // One HomeIQ per Home Assistant: the first part's ingestor goes.
    await proc.ingestor?.stop('SIGTERM');
    proc.ingestor = undefined;
    influx = await startInfluxd({ binary: inject('influxdBinary') });
    const s = await influx.setup();
    lone = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token, version: ha.version } });
    self = lone.registerAddon({
      configPath: join(REPO_ROOT, 'homeiq-ingestor', 'config.yaml'),
      ip: IP.lone,
      options: {
        target: 'external',
        external: { url: influx.url, org: s.org, bucket: s.bucket, token: s.token },
        notify_after_s: GRACE_S,
        ha_entities_interval_s: ENTITY_S,
        flush_interval_ms: 200,
      },
    });
    await launch();
  }, 180_000);

  afterAll(async () => {
    await ingestor?.stop('SIGTERM');
    await lone?.stop();
    await influx?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the figures as REST-set states: no unique id, set again after an HA restart, unavailable on stop', async () => {
    await until(
      'REST-set events/s > 0',
      async () => (await number('sensor.homeiq_rest_events_per_second')) > 0,
      60_000,
    );
    expect((await state('sensor.homeiq_rest_events_per_second'))?.attributes).toMatchObject({
      friendly_name: 'HomeIQ Events per second',
      unit_of_measurement: 'events/s',
      state_class: 'measurement',
    });
    // Known once the first batch was written.
    await until('InfluxDB ok', async () => (await value('sensor.homeiq_rest_influxdb_status')) === 'ok', 30_000);
    await until(
      'no ingestion problem',
      async () => (await value('binary_sensor.homeiq_rest_ingestion_problem')) === 'off',
      30_000,
    );
    // An external InfluxDB has no disk use or downsampling to show.
    expect(await state('sensor.homeiq_rest_influxdb_disk_use')).toBeUndefined();
    const registry = (await wsCommand(ha.wsUrl, ha.token, { type: 'config/entity_registry/list' })) as Array<{
      entity_id: string;
    }>;
    expect(registry.filter((e) => e.entity_id.includes('homeiq_rest_'))).toEqual([]);

    await ha.restart();
    await watch.reconnect();
    await until(
      'the REST-set states again after the HA restart',
      async () => (await value('sensor.homeiq_rest_events_per_second')) !== undefined,
      60_000,
    );
    await ingestor?.stop('SIGTERM');
    ingestor = undefined;
    expect(await value('sensor.homeiq_rest_events_per_second')).toBe('unavailable');
    await launch();
  }, 180_000);

  it('notifications without the admin add-on: the link goes to the log; dismissed when InfluxDB is back', async () => {
    const from = watch.events.length;
    await influx.stop();
    await until('the notification', async () => (await ours()).length > 0, (GRACE_S + 20) * 1000);
    const [n] = await ours();
    expect(n?.notification_id).toBe('homeiq_influxdb');
    expect(n?.message).not.toContain('/hassio/ingress/');
    expect(n?.message).toContain(`(/hassio/addon/${self.slug}/logs)`);
    expect(n?.message).toContain('Check that your InfluxDB is running and reachable');
    await influx.start();
    await until(
      'the notification dismissed',
      () => watch.about('homeiq_influxdb', from).some((e) => e.type === 'removed'),
      (GRACE_S + 60) * 1000,
    );
    expect(await ours()).toEqual([]);
  }, 180_000);
});
