import type { InfluxApi, Permission } from './api.js';

/** One database/retention-policy mapping: how InfluxQL (the 1.x query language) finds a bucket. */
export interface Dbrp {
  id: string;
  database: string;
  retention_policy: string;
  default: boolean;
  /** InfluxDB's own automatic mapping (database = bucket name, rp `autogen`); not stored, cannot be changed. */
  virtual?: boolean;
  orgID: string;
  bucketID: string;
}

/** A 1.x-style user (`token` is its user name) with a password, for InfluxQL clients that cannot send a token. */
export interface LegacyAuthorization {
  id: string;
  token: string;
  description?: string;
  orgID: string;
  status: string;
  permissions: Permission[];
}

/**
 * The InfluxDB 1.x compatibility routes of InfluxDB 2: DBRP mappings (`/api/v2/dbrps`) and v1 users
 * (`/private/legacy/authorizations`, the routes `influx v1 auth` uses), over the operator's {@link InfluxApi}.
 */
export class CompatApi {
  constructor(private readonly api: InfluxApi) {}

  async dbrps(orgId: string): Promise<Dbrp[]> {
    const r = await this.api.json<{ content: Dbrp[] }>('GET', `/api/v2/dbrps?orgID=${orgId}`);
    return r.content;
  }

  async createDbrp(m: Omit<Dbrp, 'id' | 'virtual'>): Promise<Dbrp> {
    return this.api.json('POST', '/api/v2/dbrps', m);
  }

  async setDbrpDefault(id: string, orgId: string, isDefault: boolean): Promise<void> {
    await this.api.json('PATCH', `/api/v2/dbrps/${id}?orgID=${orgId}`, { default: isDefault });
  }

  async deleteDbrp(id: string, orgId: string): Promise<void> {
    await this.api.json('DELETE', `/api/v2/dbrps/${id}?orgID=${orgId}`, undefined, { okStatuses: [204, 404] });
  }

  async legacyAuthorizations(orgId: string): Promise<LegacyAuthorization[]> {
    const r = await this.api.json<{ authorizations: LegacyAuthorization[] }>(
      'GET',
      `/private/legacy/authorizations?orgID=${orgId}`,
    );
    return r.authorizations;
  }

  /** Creates the user; it has no password (and cannot log in) until {@link setLegacyPassword}. */
  async createLegacyAuthorization(
    orgId: string,
    username: string,
    description: string,
    permissions: Permission[],
  ): Promise<LegacyAuthorization> {
    return this.api.json('POST', '/private/legacy/authorizations', {
      orgID: orgId,
      token: username,
      description,
      permissions,
    });
  }

  async setLegacyPassword(id: string, password: string): Promise<void> {
    await this.api.json('POST', `/private/legacy/authorizations/${id}/password`, { password });
  }

  async deleteLegacyAuthorization(id: string): Promise<void> {
    await this.api.json('DELETE', `/private/legacy/authorizations/${id}`, undefined, { okStatuses: [204, 404] });
  }
}
