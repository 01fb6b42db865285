import { HttpError, siblingSlug, SupervisorError, type AddonSlug, type SupervisorClient } from '@homeiq/shared';

/** The siblings that may call our API. */
export const CALLERS = ['homeiq-ingestor', 'homeiq-admin'] as const satisfies readonly AddonSlug[];
export type Caller = (typeof CALLERS)[number];

/** `::ffff:127.0.0.5` (an IPv4 peer on a dual-stack socket) is `127.0.0.5`. */
export function normalizeAddress(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:/i, '');
}

/**
 * Who is calling, proven through the Supervisor: the caller's address must equal the `ip_address` the
 * Supervisor reports for a sibling slug of our own repository. Asked on every request (a reinstalled or
 * restarted sibling may have a new address); our own store slug never changes, so it is kept.
 */
export class SiblingIdentity {
  #selfSlug: string | undefined;

  constructor(private readonly supervisor: SupervisorClient) {}

  /** The sibling at `address`, or undefined. Supervisor trouble is a 503 (we cannot tell, so we refuse). */
  async identify(address: string | undefined): Promise<Caller | undefined> {
    const ip = normalizeAddress(address);
    if (ip === '') return undefined;
    try {
      this.#selfSlug ??= (await this.supervisor.selfInfo()).slug;
      for (const sibling of CALLERS) {
        const slug = siblingSlug(this.#selfSlug, 'homeiq-influxdb', sibling);
        const info = await this.supervisor.addonInfo(slug).catch((err: unknown) => {
          // Not installed: the Supervisor answers 400/404 for an unknown add-on.
          if (err instanceof SupervisorError && (err.status === 400 || err.status === 404)) return undefined;
          throw err;
        });
        if (info && normalizeAddress(info.ip_address) === ip) return sibling;
      }
      return undefined;
    } catch (err) {
      throw new HttpError(503, `cannot check the caller with the Supervisor: ${(err as Error).message}`);
    }
  }

  /** Throws 403 unless the caller is one of `allowed`. */
  async require(address: string | undefined, allowed: readonly Caller[]): Promise<Caller> {
    const who = await this.identify(address);
    if (!who || !allowed.includes(who)) {
      throw new HttpError(403, `${normalizeAddress(address)} is not ${allowed.join(' or ')} of this HomeIQ installation`);
    }
    return who;
  }
}
