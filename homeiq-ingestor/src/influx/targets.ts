import { httpRequestRaw, siblingSlug, writeFileAtomic, type Logger, type SupervisorClient } from '@homeiq/shared';
import { readFile } from 'node:fs/promises';
import type { TargetDescription } from '@homeiq/shared/contracts';
import type { IngestorOptions } from '../options.js';
import type { InfluxTarget, V2Target } from './send.js';
import type { TargetProvider } from './writer.js';

/** `target: external`: the user's InfluxDB, as configured (2.x, 1.8's compatibility API, or a 1.x database). */
export class ExternalTarget implements TargetProvider {
  constructor(private readonly target: InfluxTarget) {}

  /** The target the (validated) `external` option describes: a 1.x database when `database` is set. */
  static fromOptions(e: IngestorOptions['external']): ExternalTarget {
    if (e.database !== undefined)
      return new ExternalTarget({
        api: 'v1',
        url: e.url ?? '',
        database: e.database,
        retentionPolicy: e.retention_policy,
        username: e.username,
        password: e.password,
      });
    return new ExternalTarget({ url: e.url ?? '', org: e.org ?? '', bucket: e.bucket ?? '', token: e.token ?? '' });
  }

  /** Where the points go, without credentials (for `/api/status` and the log). */
  describe(): TargetDescription {
    const t = this.target;
    return t.api === 'v1'
      ? { kind: 'external', api: 'v1', url: t.url, database: t.database, retentionPolicy: t.retentionPolicy ?? null }
      : { kind: 'external', api: 'v2', url: t.url, org: t.org, bucket: t.bucket };
  }
  async get(): Promise<InfluxTarget> {
    return this.target;
  }
  invalidate(): void {
    // The user's token is what it is; health shows the 401 and the hint to fix the option.
  }
}

interface StoredToken {
  token: string;
  org: string;
  bucket: string;
  port: number;
}

export interface SiblingTargetOptions {
  supervisor: SupervisorClient;
  /** `<data dir>/influxdb-token.json`, mode 0600. */
  tokenFile: string;
  localAddress: string | undefined;
  log: Logger;
  managerPort?: number;
  /** How long a located sibling address is trusted before the Supervisor is asked again (it changes on restart). */
  addressTtlMs?: number;
}

/**
 * `target: auto`: the homeiq-influxdb sibling, per docs/CONVENTIONS.md "Token hand-over". Located through the
 * Supervisor from our own store slug; the token comes from `POST /api/tokens` on its manager port (our source
 * address is our identity, so outgoing connections bind `localAddress`), is kept in the data dir (0600), and is
 * asked for again when missing or after InfluxDB answered 401.
 */
export class SiblingTarget implements TargetProvider {
  #cached: { target: V2Target; at: number } | undefined;
  /** The token InfluxDB rejected: never used again, whatever the token file still says. */
  #rejected: string | undefined;
  #selfSlug: string | undefined;
  #asks = 0;

  constructor(private readonly opts: SiblingTargetOptions) {}

  /** How many tokens were asked for since start (tests, /api/status). */
  get tokenRequests(): number {
    return this.#asks;
  }

  async get(): Promise<V2Target> {
    const ttl = this.opts.addressTtlMs ?? 60_000;
    if (this.#cached && Date.now() - this.#cached.at < ttl) return this.#cached.target;
    this.#selfSlug ??= (await this.opts.supervisor.selfInfo()).slug;
    const sibling = await this.opts.supervisor.addonInfo(
      siblingSlug(this.#selfSlug, 'homeiq-ingestor', 'homeiq-influxdb'),
    );
    if (!sibling.ip_address) throw new Error(`the HomeIQ InfluxDB add-on (${sibling.slug}) is not running`);
    let stored = await this.#load();
    if (!stored || stored.token === this.#rejected) stored = await this.#ask(sibling.ip_address);
    const target = {
      url: `http://${sibling.ip_address}:${stored.port}`,
      org: stored.org,
      bucket: stored.bucket,
      token: stored.token,
    };
    if (this.#cached && this.#cached.target.url !== target.url)
      this.opts.log.info(`the HomeIQ InfluxDB add-on moved to ${target.url}`);
    this.#cached = { target, at: Date.now() };
    return target;
  }

  invalidate(reason: string): void {
    if (!this.#cached) return;
    this.opts.log.warn(`InfluxDB rejected our token (${reason}); asking the HomeIQ InfluxDB add-on for a new one`);
    this.#rejected = this.#cached.target.token;
    this.#cached = undefined;
  }

  async #load(): Promise<StoredToken | undefined> {
    try {
      const t = JSON.parse(await readFile(this.opts.tokenFile, 'utf8')) as StoredToken;
      return typeof t.token === 'string' && typeof t.port === 'number' ? t : undefined;
    } catch {
      return undefined;
    }
  }

  async #ask(ip: string): Promise<StoredToken> {
    this.#asks += 1;
    const port = this.opts.managerPort ?? 8326;
    const res = await httpRequestRaw(`http://${ip}:${port}/api/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: '{}',
      localAddress: this.opts.localAddress,
      timeoutMs: 15_000,
    });
    if (res.status !== 200)
      throw new Error(
        `the HomeIQ InfluxDB add-on refused a token (${res.status}: ${res.body.toString('utf8').slice(0, 200)})`,
      );
    const b = JSON.parse(res.body.toString('utf8')) as { token: string; org: string; bucket: string; port: number };
    const stored: StoredToken = { token: b.token, org: b.org, bucket: b.bucket, port: b.port };
    await writeFileAtomic(this.opts.tokenFile, JSON.stringify(stored));
    this.opts.log.info(`received a write token for bucket '${b.bucket}' from the HomeIQ InfluxDB add-on`);
    return stored;
  }
}
