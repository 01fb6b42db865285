/**
 * Issue 16's fallback against a real Home Assistant Core with no MQTT integration: the Supervisor emulator offers
 * no broker and the admin add-on is not installed; the ingestor writes to an external InfluxDB (influxd built from
 * source). HomeIQ's figures come as REST-set states, its notifications link to the ingestor's log page. With a
 * broker: ha-reporting.test.ts.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildBundles, launchRegistered, REPO_ROOT, type AddonProcess } from '../../dev/addon-process.js';
import { startHomeAssistant, type RealHa } from '../../dev/peers/homeassistant.js';
import { startInfluxd, type RealInfluxd } from '../../dev/peers/influxd.js';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from '../../dev/supervisor/index.js';
import type { NotificationWatch } from '../harness/ha-notifications.js';
import { GRACE_S, type HaReader, observe, type Observed, REPORTING_OPTIONS, waiter } from '../harness/ha-reporting.js';

const IP = '127.0.46.5';

let ha: RealHa;
let read: HaReader;
let ours: Observed['ours'];
let stopObserving: Observed['stop'] | undefined;
let watch: NotificationWatch;
let supervisor: SupervisorEmulator;
let influx: RealInfluxd;
let self: RegisteredAddon;
let ingestor: AddonProcess | undefined;
let dir: string | undefined;
const until = waiter(() => `--- ingestor ---\n${ingestor?.lines.slice(-40).join('\n') ?? ''}`);

async function launch(): Promise<void> {
  ingestor = await launchRegistered({
    name: 'ingestor',
    supervisorUrl: supervisor.url,
    addon: self,
    ...(dir ? { dataDir: dir } : {}),
  });
  dir = ingestor.dataDir;
  await ingestor.waitForLine(/ INFO {2}started$/, 60_000);
}

beforeAll(async () => {
  const [, h, i] = await Promise.all([
    buildBundles('ingestor'),
    startHomeAssistant(),
    startInfluxd({ binary: inject('influxdBinary') }),
  ]);
  ha = h;
  influx = i;
  const s = await influx.setup();
  supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token, version: ha.version } });
  self = supervisor.registerAddon({
    configPath: join(REPO_ROOT, 'homeiq-ingestor', 'config.yaml'),
    ip: IP,
    options: {
      target: 'external',
      external: { url: influx.url, org: s.org, bucket: s.bucket, token: s.token },
      ...REPORTING_OPTIONS,
    },
  });
  await launch();
  ({ read, watch, ours, stop: stopObserving } = await observe(ha));
}, 600_000);

afterAll(async () => {
  await stopObserving?.();
  await ingestor?.stop('SIGTERM');
  await supervisor?.stop();
  await influx?.dispose();
  await ha?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('HomeIQ in Home Assistant without an MQTT broker and without the admin add-on', () => {
  it('the figures as REST-set states: no unique id, set again after an HA restart, unavailable on stop', async () => {
    await until(
      'REST-set events/s > 0',
      async () => (await read.number('sensor.homeiq_rest_events_per_second')) > 0,
      60_000,
    );
    expect((await read.state('sensor.homeiq_rest_events_per_second'))?.attributes).toMatchObject({
      friendly_name: 'HomeIQ Events per second',
      unit_of_measurement: 'events/s',
      state_class: 'measurement',
    });
    // Known once the first batch was written.
    await until('InfluxDB ok', async () => (await read.value('sensor.homeiq_rest_influxdb_status')) === 'ok', 30_000);
    await until(
      'no ingestion problem',
      async () => (await read.value('binary_sensor.homeiq_rest_ingestion_problem')) === 'off',
      30_000,
    );
    // An external InfluxDB has no disk use or downsampling to show.
    expect(await read.state('sensor.homeiq_rest_influxdb_disk_use')).toBeUndefined();
    const registry = await read.registry<{ entity_id: string }>('entity');
    expect(registry.filter((e) => e.entity_id.includes('homeiq_rest_'))).toEqual([]);

    await ha.restart();
    await watch.reconnect();
    await until(
      'the REST-set states again after the HA restart',
      async () => (await read.value('sensor.homeiq_rest_events_per_second')) !== undefined,
      60_000,
    );
    await ingestor?.stop('SIGTERM');
    ingestor = undefined;
    expect(await read.value('sensor.homeiq_rest_events_per_second')).toBe('unavailable');
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
