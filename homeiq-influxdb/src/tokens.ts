import type { Logger, LogSecrets } from '@homeiq/shared';
import type { Caller } from './identity.js';
import type { InfluxApi, Permission } from './influx/api.js';
import type { Provisioned } from './provisioning.js';

/** Tokens we issued carry this description, so we find (and revoke) a sibling's older ones by it. */
export function tokenDescription(sibling: Caller): string {
  return `homeiq:${sibling} (issued by homeiq-influxdb; rotated when the add-on asks again)`;
}

/**
 * Least privilege per sibling. Ingestor: write and read the raw bucket, read the org.
 * Admin: read the HomeIQ buckets, the org and the tasks (changes go through the manager API).
 */
export function permissionsFor(sibling: Caller, s: Provisioned): Permission[] {
  const bucket = (action: Permission['action'], id: string): Permission => ({ action, resource: { type: 'buckets', id, orgID: s.orgId } });
  const org: Permission = { action: 'read', resource: { type: 'orgs', id: s.orgId } };
  if (sibling === 'homeiq-ingestor') return [bucket('write', s.raw.id), bucket('read', s.raw.id), org];
  return [
    ...[s.raw, ...s.downsampled].map((b) => bucket('read', b.id)),
    org,
    { action: 'read', resource: { type: 'tasks', orgID: s.orgId } },
  ];
}

export interface IssuedToken {
  token: string;
  id: string;
}

/** Issues a fresh token per request and revokes the sibling's earlier ones; one issue per sibling at a time. */
export class TokenIssuer {
  readonly #queues = new Map<Caller, Promise<unknown>>();

  constructor(
    private readonly api: InfluxApi,
    private readonly secrets: LogSecrets,
    private readonly log: Logger,
  ) {}

  issue(sibling: Caller, s: Provisioned): Promise<IssuedToken> {
    // Serialised: two concurrent requests would otherwise each revoke the other's new token.
    const prev = this.#queues.get(sibling) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.#issue(sibling, s));
    this.#queues.set(sibling, next);
    return next;
  }

  /** Revokes every token we ever issued to a sibling; returns how many. */
  async revokeAll(orgId: string): Promise<number> {
    const mine = (await this.api.authorizations(orgId)).filter((a) => a.description?.startsWith('homeiq:'));
    for (const a of mine) await this.api.deleteAuthorization(a.id);
    return mine.length;
  }

  async #issue(sibling: Caller, s: Provisioned): Promise<IssuedToken> {
    const description = tokenDescription(sibling);
    // Create first, revoke after: a failure in between leaves the sibling with a working token.
    const created = await this.api.createAuthorization(s.orgId, description, permissionsFor(sibling, s));
    this.secrets.add(created.token);
    const old = (await this.api.authorizations(s.orgId)).filter((a) => a.description === description && a.id !== created.id);
    for (const a of old) await this.api.deleteAuthorization(a.id);
    this.log.info(`issued a token to ${sibling}${old.length > 0 ? ` and revoked its previous ${old.length}` : ''}`);
    return created;
  }
}
