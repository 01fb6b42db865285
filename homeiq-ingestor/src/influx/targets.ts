import {
  httpRequestRaw,
  parseJson,
  SiblingToken,
  siblingSlug,
  type SupervisorClient,
  type TokenKeeping,
} from '@homeiq/shared';
import { ADDON_PORTS, type TargetDescription } from '@homeiq/shared/contracts';
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

export interface SiblingTargetOptions extends TokenKeeping {
  supervisor: SupervisorClient;
  localAddress: string | undefined;
  /** How long a located sibling address is trusted before the Supervisor is asked again (it changes on restart). */
  addressTtlMs?: number;
}

/**
 * `target: auto`: the homeiq-influxdb sibling, per docs/CONVENTIONS.md "Token hand-over". Located through the
 * Supervisor from our own store slug; the token comes from `POST /api/tokens` on its manager port (our source
 * address is our identity, so outgoing connections bind `localAddress`) and is kept by the shared SiblingToken:
 * in the data dir (0600), asked for again when missing or after InfluxDB answered 401.
 */
export class SiblingTarget implements TargetProvider {
  #cached: { target: V2Target; at: number } | undefined;
  #selfSlug: string | undefined;
  /** The sibling's address the last get() found: where a token is asked for. */
  #ip = '';
  readonly #token: SiblingToken;

  constructor(private readonly opts: SiblingTargetOptions) {
    this.#token = new SiblingToken({
      ...opts,
      ask: () => this.#ask(),
      received: (g) => `received a write token for bucket '${g.bucket}' from the HomeIQ InfluxDB add-on`,
    });
  }

  async get(): Promise<V2Target> {
    const ttl = this.opts.addressTtlMs ?? 60_000;
    if (this.#cached && Date.now() - this.#cached.at < ttl) return this.#cached.target;
    this.#selfSlug ??= (await this.opts.supervisor.selfInfo()).slug;
    const sibling = await this.opts.supervisor.addonInfo(
      siblingSlug(this.#selfSlug, 'homeiq-ingestor', 'homeiq-influxdb'),
    );
    if (!sibling.ip_address) throw new Error(`the HomeIQ InfluxDB add-on (${sibling.slug}) is not running`);
    this.#ip = sibling.ip_address;
    const grant = await this.#token.get();
    const target = {
      url: `http://${sibling.ip_address}:${grant.port}`,
      org: grant.org,
      bucket: grant.bucket,
      token: grant.token,
    };
    if (this.#cached && this.#cached.target.url !== target.url)
      this.opts.log.info(`the HomeIQ InfluxDB add-on moved to ${target.url}`);
    this.#cached = { target, at: Date.now() };
    return target;
  }

  invalidate(reason: string): void {
    if (!this.#cached) return;
    this.opts.log.warn(`InfluxDB rejected our token (${reason}); asking the HomeIQ InfluxDB add-on for a new one`);
    this.#token.rejected(this.#cached.target.token);
    this.#cached = undefined;
  }

  async #ask(): Promise<unknown> {
    const res = await httpRequestRaw(`http://${this.#ip}:${ADDON_PORTS.influxdbManager}/api/tokens`, {
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
    return parseJson(res.body.toString('utf8'));
  }
}
