import type { Logger, LogSecrets } from '@homeiq/shared';
import type { Caller } from './callers.js';
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
  const bucket = (action: Permission['action'], id: string): Permission => ({
    action,
    resource: { type: 'buckets', id, orgID: s.orgId },
  });
  const org: Permission = { action: 'read', resource: { type: 'orgs', id: s.orgId } };
  if (sibling === 'homeiq-ingestor') return [bucket('write', s.raw.id), bucket('read', s.raw.id), org];
  return [
    ...[s.raw, ...s.downsampled].map((b) => bucket('read', b.id)),
    org,
    { action: 'read', resource: { type: 'tasks', orgID: s.orgId } },
  ];
}

/** The user's Grafana (or CLI) token: a description we recognise, with the day it was created for the user. */
export const GRAFANA_PREFIX = 'HomeIQ Grafana (created ';
export function grafanaDescription(now: Date): string {
  return `${GRAFANA_PREFIX}${now.toISOString()})`;
}

/** Read-only over the HomeIQ buckets (raw and downsampled), and the org so Flux can resolve it by name. */
export function grafanaPermissions(s: Provisioned): Permission[] {
  return [
    ...[s.raw, ...s.downsampled].map(
      (b): Permission => ({ action: 'read', resource: { type: 'buckets', id: b.id, orgID: s.orgId } }),
    ),
    { action: 'read', resource: { type: 'orgs', id: s.orgId } },
  ];
}

export interface IssuedToken {
  token: string;
  id: string;
}

/** Issues a fresh token per request and revokes the sibling's earlier ones; one issue per sibling at a time. */
export class TokenIssuer {
  readonly #queues = new Map<Caller | 'grafana', Promise<unknown>>();

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

  /**
   * A fresh read-only token for the user's Grafana or CLI (asked for through the admin panel); the previous
   * one is revoked, so there is only ever one. Serialised like the siblings' tokens.
   */
  issueGrafana(s: Provisioned, now = new Date()): Promise<IssuedToken & { description: string }> {
    const prev = this.#queues.get('grafana') ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(async () => {
        const description = grafanaDescription(now);
        const created = await this.api.createAuthorization(s.orgId, description, grafanaPermissions(s));
        this.secrets.add(created.token);
        const old = (await this.api.authorizations(s.orgId)).filter(
          (a) => a.description?.startsWith(GRAFANA_PREFIX) && a.id !== created.id,
        );
        for (const a of old) await this.api.deleteAuthorization(a.id);
        this.log.info(
          `created a read-only Grafana token${old.length > 0 ? ` and revoked the previous ${old.length}` : ''}`,
        );
        return { ...created, description };
      });
    this.#queues.set('grafana', next);
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
    const old = (await this.api.authorizations(s.orgId)).filter(
      (a) => a.description === description && a.id !== created.id,
    );
    for (const a of old) await this.api.deleteAuthorization(a.id);
    this.log.info(`issued a token to ${sibling}${old.length > 0 ? ` and revoked its previous ${old.length}` : ''}`);
    return created;
  }
}
