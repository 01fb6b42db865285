import {
  HttpError,
  siblingSlug,
  SupervisorError,
  type AddonInfo,
  type AddonSlug,
  type SupervisorClient,
} from '@homeiq/shared';

/** Why a sibling cannot be reached, in words for the panel (the `message`); a 503 when it ends a request. */
export class SiblingUnavailable extends HttpError {
  constructor(
    readonly sibling: AddonSlug,
    message: string,
    readonly kind: 'not-installed' | 'stopped' | 'unreachable' | 'refused' | 'supervisor',
  ) {
    super(503, message, { sibling });
  }
}

const TITLES: Record<AddonSlug, string> = {
  'homeiq-ingestor': 'HomeIQ Ingestor',
  'homeiq-influxdb': 'HomeIQ InfluxDB',
  'homeiq-admin': 'HomeIQ Admin',
};

export function siblingTitle(slug: AddonSlug): string {
  return TITLES[slug];
}

/**
 * Finds a sibling through the Supervisor (docs/CONVENTIONS.md "Identity between siblings"): our store slug's
 * repository prefix + the sibling's config slug → `/addons/<slug>/info` → `ip_address`. The answer is kept for
 * a few seconds, so a busy panel does not ask the Supervisor on every request; a restarted sibling (new
 * address) is found again after that, or at once after a connection failure (`forget`).
 */
export class SiblingLocator {
  #selfSlug: string | undefined;
  readonly #cache = new Map<AddonSlug, { info: AddonInfo; at: number }>();

  constructor(
    private readonly supervisor: SupervisorClient,
    private readonly ttlMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The sibling's Supervisor info, whatever its state; throws SiblingUnavailable when it is not installed. */
  async info(sibling: AddonSlug): Promise<AddonInfo> {
    const hit = this.#cache.get(sibling);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.info;
    let info: AddonInfo;
    try {
      this.#selfSlug ??= (await this.supervisor.selfInfo()).slug;
      info = await this.supervisor.addonInfo(siblingSlug(this.#selfSlug, 'homeiq-admin', sibling));
    } catch (err) {
      if (err instanceof SupervisorError && (err.status === 400 || err.status === 404)) {
        throw new SiblingUnavailable(
          sibling,
          `${TITLES[sibling]} is not installed (install it from the same repository as HomeIQ Admin)`,
          'not-installed',
        );
      }
      throw new SiblingUnavailable(
        sibling,
        `the Supervisor could not say where ${TITLES[sibling]} is (${(err as Error).message})`,
        'supervisor',
      );
    }
    this.#cache.set(sibling, { info, at: this.now() });
    return info;
  }

  /** The address to connect to; throws SiblingUnavailable unless the sibling is started. */
  async address(sibling: AddonSlug): Promise<string> {
    const info = await this.info(sibling);
    if (info.state !== 'started' || !info.ip_address) {
      throw new SiblingUnavailable(
        sibling,
        `${TITLES[sibling]} is ${info.state}; start it from its add-on page`,
        'stopped',
      );
    }
    return info.ip_address;
  }

  forget(sibling: AddonSlug): void {
    this.#cache.delete(sibling);
  }
}
