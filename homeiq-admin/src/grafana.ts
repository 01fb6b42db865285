import { HttpError } from '@homeiq/shared';
import { ADDON_PORTS } from '@homeiq/shared/contracts';
import type { GrafanaInfo } from './api-types.js';
import type { InfluxReader } from './influx/flux.js';
import type { InfluxqlSetup, ManagerClient } from './siblings/clients.js';
import type { SiblingLocator } from './siblings/locator.js';
import { SiblingAnswer } from './siblings/sibling-http.js';

/** Connection details for Grafana, and a read-only token on request (from the influxdb add-on's manager). */
export class GrafanaService {
  constructor(
    private readonly locator: SiblingLocator,
    private readonly influx: InfluxReader,
    private readonly manager: ManagerClient,
  ) {}

  async info(): Promise<GrafanaInfo> {
    const [info, grant, influxql] = await Promise.all([
      this.locator.info('homeiq-influxdb'),
      this.influx.grant(),
      // An older HomeIQ InfluxDB has no InfluxQL: the view then shows Flux only.
      this.manager.influxql().catch((err: unknown) => {
        if (err instanceof SiblingAnswer && err.status === 404) return null;
        throw err;
      }),
    ]);
    // The Supervisor's info lists the add-on's ports and their host mapping (null: not published).
    const port = `${ADDON_PORTS.influxd}/tcp`;
    const hostPort = info.network?.[port];
    const buckets = [grant.buckets.raw, ...grant.buckets.downsampled];
    const hourly = grant.buckets.downsampled.find((b) => b.endsWith('_1h')) ?? grant.buckets.raw;
    return {
      url: `http://${info.hostname}:${grant.port}`,
      hostPortNote: hostPort
        ? `From outside Home Assistant: http://<your Home Assistant host>:${hostPort} (port ${ADDON_PORTS.influxd} is published as ${hostPort}).`
        : `From outside Home Assistant: publish port ${port} in the Network section of HomeIQ InfluxDB's Configuration tab first.`,
      org: grant.org,
      buckets,
      tokenAvailable: true,
      tokenNote: 'The token can only read the HomeIQ buckets. Asking again replaces the previous Grafana token.',
      example: `from(bucket: "${hourly}")\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n  |> filter(fn: (r) => r.entity_id == "sensor.living_room_temperature" and r._field == "mean")`,
      influxql: influxql && influxqlSettings(influxql, grant.buckets.raw),
    };
  }

  /** A new password for the read-only InfluxQL user; the previous one stops working. */
  async influxqlCredentials(): Promise<{ username: string; password: string }> {
    try {
      const r = await this.manager.influxqlCredentials();
      return { username: r.username, password: r.password };
    } catch (err) {
      if (err instanceof SiblingAnswer && (err.status === 404 || err.status === 405))
        throw new HttpError(501, 'this version of HomeIQ InfluxDB has no InfluxQL users; update HomeIQ InfluxDB');
      throw err;
    }
  }

  async token(): Promise<{ token: string }> {
    try {
      const r = await this.manager.grafanaToken();
      return { token: r.token };
    } catch (err) {
      if (err instanceof SiblingAnswer && (err.status === 404 || err.status === 405)) {
        throw new HttpError(501, 'this version of HomeIQ InfluxDB cannot issue Grafana tokens; update HomeIQ InfluxDB');
      }
      throw err;
    }
  }
}

/** The database that holds the raw bucket (its retention policies reach the summaries), and an example query. */
function influxqlSettings(setup: InfluxqlSetup, raw: string): GrafanaInfo['influxql'] {
  const database = setup.databases.find((d) => d.bucket === raw && d.default)?.database ?? raw;
  return {
    username: setup.username,
    database,
    retentionPolicies: setup.databases.filter((d) => d.database === database).map((d) => d.retentionPolicy),
    example:
      'SELECT mean("value") FROM "sensor" WHERE "entity_id" = \'sensor.living_room_temperature\' AND $timeFilter GROUP BY time($__interval) fill(none)',
  };
}
