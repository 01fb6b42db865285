import { HttpError } from './http-server.js';
import { siblingSlug, type AddonSlug } from './siblings.js';
import { SupervisorError, type SupervisorClient } from './supervisor-client.js';

/** `::ffff:127.0.0.5` (an IPv4 peer on a dual-stack socket) is `127.0.0.5`. */
export function normalizeAddress(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:/i, '');
}

/** The part of SupervisorClient identity needs (a test may hand in its own). */
export type IdentitySupervisor = Pick<SupervisorClient, 'selfInfo' | 'addonInfo'>;

/**
 * Who is calling, proven through the Supervisor (docs/CONVENTIONS.md "Identity between siblings"): the caller's
 * address must equal the `ip_address` the Supervisor reports for a sibling slug of our own repository. Asked on
 * every request (a reinstalled or restarted sibling may have a new address); our own store slug never changes,
 * so it is kept.
 */
export class SiblingIdentity<C extends AddonSlug = AddonSlug> {
  #selfSlug: string | undefined;

  constructor(
    private readonly supervisor: IdentitySupervisor,
    /** Our own config slug, e.g. `homeiq-ingestor`. */
    private readonly self: AddonSlug,
    /** The siblings that may call us at all. */
    private readonly callers: readonly C[],
  ) {}

  /** The sibling at `address`, or undefined. Supervisor trouble is a 503 (we cannot tell, so we refuse). */
  async identify(address: string | undefined): Promise<C | undefined> {
    const ip = normalizeAddress(address);
    if (ip === '') return undefined;
    try {
      this.#selfSlug ??= (await this.supervisor.selfInfo()).slug;
      for (const sibling of this.callers) {
        const slug = siblingSlug(this.#selfSlug, this.self, sibling);
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

  /** Throws 403 unless the caller is one of `allowed` (503 when the Supervisor cannot be asked). */
  async require(address: string | undefined, allowed: readonly C[]): Promise<C> {
    const who = await this.identify(address);
    if (!who || !allowed.includes(who)) {
      throw new HttpError(
        403,
        `${normalizeAddress(address)} is not ${allowed.join(' or ')} of this HomeIQ installation`,
      );
    }
    return who;
  }
}
