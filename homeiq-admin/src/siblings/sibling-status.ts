import {
  httpRequestRaw,
  parseJson,
  siblingSlug,
  type AddonSlug,
  type HealthReport,
  type Logger,
  type SupervisorClient,
} from '@homeiq/shared';
import { ADDON_PORTS } from '@homeiq/shared/contracts';

/** Where each sibling serves its `/health` inside the add-on network. */
const HEALTH_PORTS: Partial<Record<AddonSlug, number>> = {
  'homeiq-ingestor': ADDON_PORTS.ingestorApi,
  'homeiq-influxdb': ADDON_PORTS.influxdbManager,
};

export interface SiblingStatus {
  slug: AddonSlug;
  /** `installed` is false when the Supervisor does not know the add-on. */
  installed: boolean;
  state: string | undefined;
  version: string | undefined;
  health: HealthReport | undefined;
  /** Why health is unknown, in words for the panel. */
  problem: string | undefined;
}

export interface SiblingStatusOptions {
  supervisor: SupervisorClient;
  localAddress: string | undefined;
  log: Logger;
}

/** Asks the Supervisor about each sibling, then the sibling itself for its health. */
export class SiblingStatusReader {
  #selfSlug: string | undefined;
  constructor(private readonly opts: SiblingStatusOptions) {}

  async read(sibling: AddonSlug): Promise<SiblingStatus> {
    const base: SiblingStatus = {
      slug: sibling,
      installed: false,
      state: undefined,
      version: undefined,
      health: undefined,
      problem: undefined,
    };
    let info: Awaited<ReturnType<typeof this.opts.supervisor.addonInfo>>;
    try {
      this.#selfSlug ??= (await this.opts.supervisor.selfInfo()).slug;
      info = await this.opts.supervisor.addonInfo(siblingSlug(this.#selfSlug, 'homeiq-admin', sibling));
    } catch (err) {
      return { ...base, problem: `not installed or not visible to the Supervisor (${(err as Error).message})` };
    }
    const status: SiblingStatus = { ...base, installed: true, state: info.state, version: info.version };
    if (info.state !== 'started') return { ...status, problem: `the add-on is ${info.state}; start it from its page` };
    const port = HEALTH_PORTS[sibling];
    if (port === undefined) return status;
    try {
      const res = await httpRequestRaw(`http://${info.ip_address}:${port}/health`, {
        localAddress: this.opts.localAddress,
        timeoutMs: 3000,
        maxBodyBytes: 256 * 1024,
      });
      return { ...status, health: parseJson(res.body.toString('utf8')) as HealthReport };
    } catch (err) {
      this.opts.log.debug({ err, sibling }, 'sibling health unavailable');
      return { ...status, problem: `its health endpoint did not answer (${(err as Error).message})` };
    }
  }
}
