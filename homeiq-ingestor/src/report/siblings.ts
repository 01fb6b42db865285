import { httpRequestRaw, siblingSlug, SupervisorError, type SupervisorClient } from '@homeiq/shared';
import { ADDON_PORTS } from '@homeiq/shared/contracts';
import * as z from 'zod';
import type { AlertLinks } from './alerts.js';
import type { SiblingView } from './figures.js';
import type { DeviceInfo } from './mqtt-entities.js';

const check = z.object({
  name: z.string().max(100),
  status: z.enum(['green', 'amber', 'red']),
  reason: z.string().max(2000),
  hint: z.string().max(2000).optional(),
  since: z.string().max(40),
});
/** `GET /api/summary` of the InfluxDB add-on (shared/src/contracts/influxdb-summary.ts), checked at the edge. */
const summarySchema = z.object({
  health: z.object({ status: z.enum(['green', 'amber', 'red']), checks: z.array(check).max(50) }),
  version: z.string().max(100),
  diskBytes: z.number().nonnegative().nullable(),
  downsampling: z
    .object({
      tasks: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      lastRunAt: z.string().max(40).nullable(),
      lastRunTask: z.string().max(200).nullable(),
      lastRunStatus: z.string().max(40).nullable(),
    })
    .nullable(),
});

export interface SiblingsOptions {
  supervisor: Pick<SupervisorClient, 'selfInfo' | 'addonInfo'>;
  localAddress: string | undefined;
  managerPort?: number;
}

/**
 * What the ingestor needs to know about its siblings to report in Home Assistant: the InfluxDB add-on's summary
 * (its health, disk use and downsampling), and where to send the user: the panel of the admin add-on when it is
 * installed, otherwise the ingestor's own log page.
 */
export class Siblings {
  #self: { slug: string; version: string } | undefined;
  #adminSlug: string | undefined;

  constructor(private readonly opts: SiblingsOptions) {}

  /** Finds ourselves and the admin add-on; failures leave what was known (links are a nicety). */
  async refresh(): Promise<void> {
    try {
      const self = await this.opts.supervisor.selfInfo();
      this.#self = { slug: self.slug, version: self.version };
      const admin = siblingSlug(self.slug, 'homeiq-ingestor', 'homeiq-admin');
      this.#adminSlug = (await this.opts.supervisor.addonInfo(admin)).ingress ? admin : undefined;
    } catch (err) {
      if (err instanceof SupervisorError && (err.status === 400 || err.status === 404)) this.#adminSlug = undefined;
    }
  }

  links(): AlertLinks {
    return {
      panel: this.#adminSlug ? `/hassio/ingress/${this.#adminSlug}` : undefined,
      log: this.#self ? `/hassio/addon/${this.#self.slug}/logs` : undefined,
    };
  }

  device(): DeviceInfo {
    return {
      version: this.#self?.version ?? 'unknown',
      configurationUrl: this.#adminSlug
        ? `homeassistant://hassio/ingress/${this.#adminSlug}`
        : this.#self
          ? `homeassistant://hassio/addon/${this.#self.slug}/info`
          : undefined,
    };
  }

  /** The InfluxDB add-on's summary, or why it could not be read; never throws. */
  async influxdb(): Promise<SiblingView> {
    try {
      const self = this.#self?.slug ?? (await this.opts.supervisor.selfInfo()).slug;
      const info = await this.opts.supervisor.addonInfo(siblingSlug(self, 'homeiq-ingestor', 'homeiq-influxdb'));
      if (info.state !== 'started' || !info.ip_address) return { ok: false, error: `the add-on is ${info.state}` };
      const res = await httpRequestRaw(
        `http://${info.ip_address}:${this.opts.managerPort ?? ADDON_PORTS.influxdbManager}/api/summary`,
        {
          headers: { Accept: 'application/json' },
          localAddress: this.opts.localAddress,
          timeoutMs: 10_000,
          maxBodyBytes: 256 * 1024,
        },
      );
      if (res.status !== 200) return { ok: false, error: `it answered ${res.status}` };
      const parsed = summarySchema.safeParse(JSON.parse(res.body.toString('utf8')));
      if (!parsed.success) return { ok: false, error: 'its summary has an unexpected shape' };
      return { ok: true, summary: parsed.data };
    } catch (err) {
      if (err instanceof SupervisorError && err.status === 404) return { ok: false, error: 'it is not installed' };
      return { ok: false, error: (err as Error).message };
    }
  }
}
