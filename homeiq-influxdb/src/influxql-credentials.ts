import { randomBytes } from 'node:crypto';
import type { Logger, LogSecrets } from '@homeiq/shared';
import type { CompatApi } from './influx/compat-api.js';
import type { Provisioned } from './provisioning.js';
import { grafanaPermissions } from './tokens.js';

/** The one InfluxQL user HomeIQ keeps; a fixed name, so a dashboard only ever needs the new password. */
export const INFLUXQL_USER = 'homeiq-reader';
const DESCRIPTION_PREFIX = 'HomeIQ InfluxQL reader (created ';

export interface InfluxqlCredentials {
  username: string;
  password: string;
  description: string;
}

/**
 * A 1.x-style user name and password for InfluxQL clients (Grafana's InfluxQL data source, Home Assistant's
 * `influxdb` sensor with `api_version: 1`), read-only over the same buckets as the Grafana token. Asking again
 * replaces it: the old password stops working at once (there is only ever one such user, with a fixed name).
 */
export class InfluxqlUsers {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly compat: CompatApi,
    private readonly secrets: LogSecrets,
    private readonly log: Logger,
  ) {}

  issue(s: Provisioned, now = new Date()): Promise<InfluxqlCredentials> {
    // Serialised: two requests at once would each delete the other's user.
    const next = this.#queue.catch(() => undefined).then(() => this.#issue(s, now));
    this.#queue = next;
    return next;
  }

  async #issue(s: Provisioned, now: Date): Promise<InfluxqlCredentials> {
    const password = randomBytes(24).toString('base64url');
    this.secrets.add(password);
    // The user name is the key of a 1.x user: the old one must go before the new one can be created.
    const old = (await this.compat.legacyAuthorizations(s.orgId)).filter(
      (a) => a.token === INFLUXQL_USER || a.description?.startsWith(DESCRIPTION_PREFIX),
    );
    for (const a of old) await this.compat.deleteLegacyAuthorization(a.id);
    const description = `${DESCRIPTION_PREFIX}${now.toISOString()})`;
    const created = await this.compat.createLegacyAuthorization(
      s.orgId,
      INFLUXQL_USER,
      description,
      grafanaPermissions(s),
    );
    try {
      await this.compat.setLegacyPassword(created.id, password);
    } catch (err) {
      // A user without a password cannot log in; don't leave one behind looking valid.
      await this.compat.deleteLegacyAuthorization(created.id).catch(() => undefined);
      throw err;
    }
    this.log.info(
      `created the read-only InfluxQL user ${INFLUXQL_USER}${old.length > 0 ? '; its previous password no longer works' : ''}`,
    );
    return { username: INFLUXQL_USER, password, description };
  }
}
