/**
 * Home Assistant's own `influxdb` sensor platform (InfluxQL, `api_version: 1`) reading the HomeIQ InfluxDB:
 * the real homeiq-influxdb bundle and influxd, the read-only InfluxQL user it issues to the panel, and a real
 * Home Assistant configured the way homeiq-influxdb's DOCS.md tells users to. Points are the ingestor's own
 * encodings of a small home, in the HomeIQ layout and in the `ha_compatible` layout.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haRest, startHomeAssistant, type RealHa } from '../../dev/peers/homeassistant.js';
import { smallHome, startInfluxdbAddon, type InfluxdbAddon } from '../harness/influxql-stack.js';

const HOME = smallHome(Math.floor(Date.now() / 1000) * 1000);
let addon: InfluxdbAddon;
let ha: RealHa;

/** The configuration DOCS.md gives, with this test's address and password. */
function sensorConfig(host: string, password: string): string {
  const connection = `    host: ${host}\n    port: 8086\n    username: homeiq-reader\n    password: "${password}"`;
  return `
influxdb:
${connection.replaceAll('    ', '  ')}
  database: homeassistant
  exclude:
    entity_globs: "*"

sensor:
  - platform: influxdb
${connection}
    queries:
      - name: Kitchen temperature hourly mean
        unique_id: homeiq_kitchen_mean
        database: homeassistant
        measurement: '"sensor"'
        field: value
        group_function: mean
        where: >-
          "entity_id" = 'sensor.kitchen_temperature' AND time > now() - 1h
        unit_of_measurement: "°C"
      - name: Door from HomeIQ
        unique_id: homeiq_door_last
        database: homeassistant
        measurement: '"binary_sensor"'
        field: state
        group_function: last
        where: >-
          "entity_id" = 'binary_sensor.door'
      - name: Kitchen temperature ha_compatible
        unique_id: homeiq_kitchen_ha_compatible
        database: homeassistant
        measurement: '"°C"'
        field: value
        group_function: last
        where: >-
          "entity_id" = 'kitchen_temperature'
        unit_of_measurement: "°C"
`;
}

beforeAll(async () => {
  addon = await startInfluxdbAddon('127.0.45');
  // Both layouts in one bucket: the HomeIQ layout's measurements are domains, the ha_compatible one's units.
  await addon.write('homeassistant', [...HOME.lines('homeiq'), ...HOME.lines('ha_compatible')]);
  const { password } = await addon.influxqlCredentials();
  ha = await startHomeAssistant({ extraConfig: sensorConfig(addon.ip.influxdb, password) });
}, 600_000);

afterAll(async () => {
  await ha?.stop();
  await addon?.dispose();
});

describe("Home Assistant's influxdb sensor reading the HomeIQ InfluxDB (real HA, real influxd)", () => {
  const state = (id: string) =>
    haRest<{ state: string; attributes: Record<string, unknown> }>(ha, 'GET', `/api/states/${id}`);

  it('a mean over the last hour, on the HomeIQ layout', async () => {
    const s = await state('sensor.kitchen_temperature_hourly_mean');
    const temps = HOME.temperatures.map(([, v]) => v);
    expect(Number(s.state)).toBeCloseTo(temps.reduce((a, b) => a + b) / temps.length, 9);
    expect(s.attributes['unit_of_measurement']).toBe('°C');
  });

  it('the last text state, on the HomeIQ layout', async () => {
    expect((await state('sensor.door_from_homeiq')).state).toBe('off');
  });

  it("the last value, on the ha_compatible layout (HA's own integration's queries)", async () => {
    expect(Number((await state('sensor.kitchen_temperature_ha_compatible')).state)).toBe(25);
  });

  it("logs no error from the sensor platform; the influxdb: block's write test fails, as DOCS.md says", async () => {
    const log = await readFile(ha.logFile, 'utf8');
    expect(log).not.toMatch(/ERROR \([^)]*\) \[homeassistant\.components\.influxdb\.sensor\]/);
    // The integration (needed for its sensor platform) tests a write when it starts; the user can only read.
    expect(log).toMatch(
      /ERROR \([^)]*\) \[homeassistant\.components\.influxdb\] InfluxDB database is not accessible due to '403: .*insufficient permissions for write.* Retrying in 60 seconds/,
    );
  });
});
