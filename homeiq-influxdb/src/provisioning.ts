import { HttpError, type Health, type Logger, type LogSecrets, type Service } from '@homeiq/shared';
import type { Credentials, CredentialsStore } from './credentials.js';
import { databaseMappings, reconcileDatabaseMappings, type DatabaseMapping } from './dbrp.js';
import { downsampledBucket, downsampleTask, TIERS } from './downsample.js';
import {
  bucketRetentionSeconds,
  bucketShardGroupSeconds,
  InfluxApiError,
  type Bucket,
  type InfluxApi,
  type Task,
} from './influx/api.js';
import type { CompatApi } from './influx/compat-api.js';
import { onboard } from './onboarding.js';
import { daysToSeconds, type InfluxdbOptions } from './options.js';

/** What the rest of the manager needs once InfluxDB is set up. */
export interface Provisioned {
  orgId: string;
  org: string;
  raw: Bucket;
  downsampled: Bucket[];
  tasks: Task[];
  /** The InfluxQL databases and retention policies of the HomeIQ buckets (see dbrp.ts). */
  databases: DatabaseMapping[];
}

export interface ProvisioningOptions {
  api: InfluxApi;
  /** DBRP mappings, kept in step with the buckets on every start. */
  compat: CompatApi;
  store: CredentialsStore;
  options: InfluxdbOptions;
  secrets: LogSecrets;
  health: Health;
  log: Logger;
  /** Called when the raw bucket changed since the sibling tokens were issued: they must ask again. */
  revokeSiblingTokens: (orgId: string) => Promise<number>;
  /** Writes changed options back through the Supervisor (read all, change some, write all). */
  saveOptions: (changes: Partial<InfluxdbOptions>) => Promise<unknown>;
}

/** The option that holds a HomeIQ bucket's retention. */
export type RetentionOption = 'retention_days' | 'retention_5m_days' | 'retention_1h_days';
const TIER_OPTIONS: readonly RetentionOption[] = ['retention_5m_days', 'retention_1h_days'];

const CHECK = 'setup';
/** InfluxDB answers that mean "not this change" (rather than "not you" or "not now"). */
const REFUSALS = new Set([400, 404, 409, 422]);

const forDays = (days: number): string => (days === 0 ? 'forever' : `${days} days`);

/**
 * Onboards InfluxDB on the first start (onboarding.ts) and brings it in line with the options on every start:
 * org name, raw bucket (created under a new name; the old one is kept), retentions, downsampled buckets,
 * their tasks and their InfluxQL databases (dbrp.ts).
 */
export class Provisioning implements Service {
  readonly name = 'provisioning';
  #creds: Credentials | undefined;
  #state: Provisioned | undefined;
  /** Retention changes one at a time: each rewrites the whole options object. */
  #changes: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ProvisioningOptions) {}

  /** The operator token (undefined before start). */
  operatorToken(): string | undefined {
    return this.#creds?.operatorToken;
  }

  /** The provisioned state; a 503 for HTTP callers while InfluxDB is not set up yet. */
  current(): Provisioned {
    if (!this.#state) throw new HttpError(503, 'InfluxDB is not set up yet; try again in a few seconds');
    return this.#state;
  }

  async start(signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    try {
      await this.#provision(signal);
      this.opts.health.set(
        CHECK,
        'green',
        `org ${this.#state?.org}, bucket ${this.#state?.raw.name}, ${this.#state?.tasks.length} downsampling tasks`,
      );
      this.opts.log.info(`InfluxDB in step with the options in ${Date.now() - started} ms`);
    } catch (err) {
      this.opts.health.set(CHECK, 'red', `setting up InfluxDB failed: ${(err as Error).message}`);
      throw err;
    }
  }

  async stop(): Promise<void> {
    // Nothing runs in the background.
  }

  /** The option behind a HomeIQ bucket's retention; undefined for other buckets (an old raw bucket, say). */
  retentionOption(bucketId: string): RetentionOption | undefined {
    const s = this.current();
    if (bucketId === s.raw.id) return 'retention_days';
    const i = s.downsampled.findIndex((b) => b.id === bucketId);
    return i >= 0 ? TIER_OPTIONS[i] : undefined;
  }

  /**
   * Sets a bucket's retention (used by the management API). InfluxDB first: a change it refuses is a 422
   * with its reason and no option is saved. For a HomeIQ bucket the option is saved next, through the
   * Supervisor, so the next start keeps the value; when the Supervisor refuses, the bucket is put back (502).
   */
  setRetention(bucket: Bucket, days: number): Promise<{ bucket: Bucket; option: RetentionOption | undefined }> {
    const next = this.#changes.catch(() => undefined).then(() => this.#setRetention(bucket, days));
    this.#changes = next;
    return next;
  }

  async #setRetention(bucket: Bucket, days: number): Promise<{ bucket: Bucket; option: RetentionOption | undefined }> {
    const { api, log } = this.opts;
    const option = this.retentionOption(bucket.id);
    let updated: Bucket;
    try {
      updated = await api.setBucketRetention(bucket.id, daysToSeconds(days));
    } catch (err) {
      if (!(err instanceof InfluxApiError) || !REFUSALS.has(err.status)) throw err;
      const refusal = `InfluxDB refused a retention of ${forDays(days)} for bucket ${bucket.name} (${err.status}: ${err.reason}); nothing was changed`;
      log.warn(refusal);
      throw new HttpError(err.status === 404 ? 404 : 422, refusal);
    }
    if (option) {
      try {
        await this.opts.saveOptions({ [option]: days });
      } catch (err) {
        // Options and database must agree: the next start would apply the old option anyway.
        await api
          .setBucketRetention(bucket.id, bucketRetentionSeconds(bucket), bucketShardGroupSeconds(bucket))
          .catch((undo: unknown) =>
            log.error(
              `could not put back the retention of ${bucket.name} after the Supervisor refused the option: ${(undo as Error).message}`,
            ),
          );
        throw new HttpError(
          502,
          `the Supervisor did not save the option ${option}, so the retention of ${bucket.name} is unchanged: ${(err as Error).message}`,
        );
      }
    }
    log.info(
      `retention of ${bucket.name} set to ${forDays(days)} through the manager API` +
        (option ? `; saved as option ${option}` : ' (not a HomeIQ bucket: no option to save)'),
    );
    await this.refresh();
    return { bucket: updated, option };
  }

  /** Re-reads buckets and tasks (after a change through the management API). */
  async refresh(): Promise<Provisioned> {
    const s = this.current();
    const buckets = await this.opts.api.buckets(s.orgId);
    const tasks = await this.opts.api.tasks(s.orgId);
    const byName = new Map(buckets.map((b) => [b.name, b]));
    this.#state = {
      ...s,
      raw: byName.get(s.raw.name) ?? s.raw,
      downsampled: s.downsampled.map((d) => byName.get(d.name) ?? d),
      tasks: tasks.filter((t) => s.tasks.some((x) => x.id === t.id)),
    };
    return this.#state;
  }

  async #provision(signal: AbortSignal | undefined): Promise<void> {
    const { api, store, options, log } = this.opts;
    // Between steps only: a stop must not fall between InfluxDB's onboarding and saving its org id.
    const step = (): void => {
      if (signal?.aborted) throw new Error('setting up InfluxDB was interrupted: the add-on is stopping');
    };
    const { creds, orgId } = await onboard({ api, store, options, log, remember: (c) => this.#remember(c), step });
    step();

    const buckets = await api.buckets(orgId);
    const raw = await this.#bucket(buckets, orgId, options.bucket, options.retention_days);
    const retentions = [options.retention_5m_days, options.retention_1h_days];
    const downsampled: Bucket[] = [];
    for (const [i, tier] of TIERS.entries()) {
      downsampled.push(await this.#bucket(buckets, orgId, downsampledBucket(options.bucket, tier), retentions[i] ?? 0));
    }
    step();
    const tasks = await this.#tasks(orgId, options.org, options.bucket);
    step();
    const databases = await reconcileDatabaseMappings(this.opts.compat, orgId, databaseMappings(raw, downsampled), log);

    if (creds.rawBucketId !== undefined && creds.rawBucketId !== raw.id) {
      const n = await this.opts.revokeSiblingTokens(orgId);
      log.info(`raw bucket changed to ${raw.name}; revoked ${n} sibling token(s) so the siblings ask for new ones`);
    }
    if (creds.rawBucketId !== raw.id) await store.save({ ...creds, rawBucketId: raw.id });
    this.#state = { orgId, org: options.org, raw, downsampled, tasks, databases };
  }

  #remember(c: Credentials): void {
    this.#creds = c;
    this.opts.secrets.add(c.password);
    this.opts.secrets.add(c.operatorToken);
  }

  async #bucket(existing: Bucket[], orgId: string, name: string, days: number): Promise<Bucket> {
    const { api, log } = this.opts;
    const seconds = daysToSeconds(days);
    const found = existing.find((b) => b.name === name);
    if (!found) {
      log.info(`creating bucket ${name} (retention ${forDays(days)})`);
      return api.createBucket(orgId, name, seconds);
    }
    if (bucketRetentionSeconds(found) !== seconds) {
      log.info(`bucket ${name}: retention ${bucketRetentionSeconds(found)} s → ${seconds} s (${forDays(days)})`);
      try {
        return await api.setBucketRetention(found.id, seconds);
      } catch (err) {
        if (!(err instanceof InfluxApiError) || !REFUSALS.has(err.status)) throw err;
        throw new Error(
          `InfluxDB refused a retention of ${forDays(days)} for bucket ${name} (${err.status}: ${err.reason})`,
        );
      }
    }
    return found;
  }

  async #tasks(orgId: string, org: string, raw: string): Promise<Task[]> {
    const { api, log } = this.opts;
    const existing = await api.tasks(orgId);
    const out: Task[] = [];
    for (const tier of TIERS) {
      const spec = downsampleTask(org, raw, tier);
      const found = existing.find((t) => t.name === spec.name);
      if (!found) {
        log.info(`creating task ${spec.name}`);
        out.push(await api.createTask(orgId, spec.flux, spec.description));
      } else if (found.flux !== spec.flux || found.status !== 'active') {
        log.info(`updating task ${spec.name} to match the options`);
        out.push(await api.updateTask(found.id, spec.flux, spec.description));
      } else {
        out.push(found);
      }
    }
    return out;
  }
}
