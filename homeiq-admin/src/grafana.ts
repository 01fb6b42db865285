import { HttpError } from '@homeiq/shared';
import type { GrafanaInfo } from './api-types.js';
import type { InfluxReader } from './influx/flux.js';
import type { ManagerClient } from './siblings/clients.js';
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
    const [info, grant] = await Promise.all([this.locator.info('homeiq-influxdb'), this.influx.grant()]);
    // The Supervisor's info lists the add-on's ports and their host mapping (null: not published).
    const network = (info as unknown as { network?: Record<string, number | null> }).network ?? {};
    const hostPort = network['8086/tcp'];
    const buckets = [grant.buckets.raw, ...grant.buckets.downsampled];
    const hourly = grant.buckets.downsampled.find((b) => b.endsWith('_1h')) ?? grant.buckets.raw;
    return {
      url: `http://${info.hostname}:${grant.port}`,
      hostPortNote: hostPort
        ? `From outside Home Assistant: http://<your Home Assistant host>:${hostPort} (port 8086 is published as ${hostPort}).`
        : "From outside Home Assistant: publish port 8086/tcp in the Network section of HomeIQ InfluxDB's Configuration tab first.",
      org: grant.org,
      buckets,
      tokenAvailable: true,
      tokenNote: 'The token can only read the HomeIQ buckets. Asking again replaces the previous Grafana token.',
      example: `from(bucket: "${hourly}")\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n  |> filter(fn: (r) => r.entity_id == "sensor.living_room_temperature" and r._field == "mean")`,
    };
  }

  async token(): Promise<{ token: string }> {
    try {
      const r = await this.manager.grafanaToken();
      return { token: r.token };
    } catch (err) {
      if (err instanceof SiblingAnswer && (err.status === 404 || err.status === 405)) {
        throw new HttpError(
          501,
          "this version of HomeIQ InfluxDB cannot issue Grafana tokens yet; create a read token in InfluxDB's UI as its Documentation tab describes",
        );
      }
      throw err;
    }
  }
}
