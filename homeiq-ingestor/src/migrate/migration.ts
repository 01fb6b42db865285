import {
  HttpError,
  type Logger,
  type MigrationSourceConfig,
  type MigrationStartRequest,
  type Service,
} from '@homeiq/shared';
import type { MigrationProbe, MigrationStatus } from '@homeiq/shared/contracts';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EncodeOptions } from '../points/state-model.js';
import { nsToIso } from './ha-schema.js';
import type { MemoryQueue } from './memory-queue.js';
import { MigrationFlow, type FlowOptions } from './migration-flow.js';
import { JobFile, type JobRecord } from './migration-job.js';
import { describe, planJob, probeAnswer } from './migration-plan.js';
import { mergeReport, type ReportRecord } from './migration-report.js';
import { buildStatus, progressOf } from './migration-status.js';
import { openSource } from './open-source.js';
import { readWindows, requireHa } from './migration-run.js';
import type { MigrationSource } from './source-types.js';
import { WindowWriter } from './window-writer.js';

export interface MigrationOptions {
  /** `<data dir>/migration` (job.json). */
  dir: string;
  log: Logger;
  /** The ingestor's encoding options, its layout included: migrated points look like live ones. */
  encode: EncodeOptions;
  accepts(entityId: string): boolean;
  /** The migration's own queue, which its own InfluxWriter empties; a window starts while it is under half of `budgetBytes`. */
  queue: MemoryQueue;
  budgetBytes: number;
  /** Live ingestion's spool: a window waits while its backlog is above `liveBacklogBytes` (default 4 MiB). */
  liveSpool: { stats(): { bytes: number } };
  liveBacklogBytes?: number;
  writer: { stats(): { quarantined: number; lastError: string | undefined; failingSince: string | undefined } };
  /** Points per second the migration's writer is paced to for live ingestion's sake (Infinity: unpaced). */
  pacedTo?: () => number;
  /** HomeIQ layout: whether HA's registries were read (the points' area and device tags). */
  registriesReady?: (() => boolean) | undefined;
  /** Makes the logger redact a password or token. */
  addSecret(secret: string): void;
  open?: (config: MigrationSourceConfig) => MigrationSource;
  /** Points aimed at per window (default: the source's `windowPoints`). */
  targetPoints?: number;
  flow?: Partial<FlowOptions>;
}

/** A window handed to the queue, waiting for InfluxDB to confirm it. */
interface Pending {
  seq: number;
  endNs: bigint;
  spanNs: bigint;
  delta: ReportRecord;
}

const SAVE_EVERY_MS = 1000;
const LOG_EVERY_MS = 60_000;

const active = (j: JobRecord | undefined): boolean => j?.state === 'running' || j?.state === 'finishing';
const withoutSecret = (s: MigrationSourceConfig): MigrationSourceConfig =>
  s.kind === 'influxdb1' ? { ...s, password: undefined } : { ...s, token: '' };

/**
 * A migration from an InfluxDB that HA's influxdb integration wrote (1.x through InfluxQL, 2.x through Flux) into
 * the ingestor's layout, one at a time, window by window (windows.ts): each window's points are encoded
 * (window-writer.ts) into the migration's own queue (memory-queue.ts), which its own writer sends to InfluxDB.
 * The position and the report of a window are saved (job.json) only once InfluxDB confirmed it, so a stop or a
 * crash loses nothing: a resume reads again from the last confirmed window, and writing a point again changes
 * nothing (same series, same time).
 */
export class Migration implements Service {
  readonly name = 'migration';
  #job: JobRecord | undefined;
  readonly #file: JobFile;
  readonly #flow: MigrationFlow;
  readonly #writer: WindowWriter;
  #pending: Pending[] = [];
  #gen = 0;
  #stopped = true;
  #run: Promise<void> = Promise.resolve();
  #runStart: { atMs: number; progress: number; written: number } | undefined;
  /** Points confirmed since start, and appended to the queue (for the rate limit). */
  #written = 0;
  #appended = 0;
  #dirty = false;
  #savedAt = 0;
  #saveTimer: NodeJS.Timeout | undefined;
  #loggedAt = 0;
  /** The writer's quarantined count when last added to the job. */
  #quarantinedSeen = 0;

  constructor(private readonly opts: MigrationOptions) {
    this.#file = new JobFile(join(opts.dir, 'job.json'));
    this.#flow = new MigrationFlow({
      spool: opts.queue,
      budgetBytes: opts.budgetBytes,
      liveSpool: opts.liveSpool,
      liveBacklogBytes: opts.liveBacklogBytes ?? 4 * 1024 * 1024,
      writerError: () => {
        const w = opts.writer.stats();
        return w.failingSince ? w.lastError : undefined;
      },
      registriesReady: opts.encode.layout === 'homeiq' ? opts.registriesReady : undefined,
      ...opts.flow,
    });
    this.#writer = new WindowWriter({ encode: opts.encode, accepts: (id) => opts.accepts(id) });
  }

  #open(c: MigrationSourceConfig): MigrationSource {
    return (this.opts.open ?? openSource)(c);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.opts.queue.listen((seq) => this.#confirmed(seq));
    await mkdir(this.opts.dir, { recursive: true });
    try {
      this.#job = await this.#file.load();
    } catch (err) {
      this.opts.log.error(`cannot read the migration's record, so it is forgotten: ${(err as Error).message}`);
    }
    const job = this.#job;
    if (!job) return;
    this.#secrets(job.source);
    this.#quarantinedSeen = this.opts.writer.stats().quarantined;
    if (active(job)) {
      this.opts.log.info(`resuming the migration (${describe(job)}) at ${nsToIso(job.cursorNs)}`);
      this.#kick(job);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#gen += 1;
    clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    await this.#run;
    if (this.#job && this.#dirty) await this.#save(this.#job, true);
  }

  #secrets(s: MigrationSourceConfig): void {
    const secret = s.kind === 'influxdb1' ? s.password : s.token;
    if (secret) this.opts.addSecret(secret);
  }

  /** `POST /api/migration/probe`: reaches the source and lists what of HA's it holds. */
  async probe(source: MigrationSourceConfig): Promise<MigrationProbe> {
    this.#secrets(source);
    return probeAnswer(source, await requireHa(this.#open(source)), this.opts.encode.layout);
  }

  /** `POST /api/migration`: checks the source and starts; 409 while another one is unfinished. */
  async begin(req: MigrationStartRequest): Promise<MigrationStatus> {
    if (active(this.#job))
      throw new HttpError(409, 'a migration is running: cancel it first, or wait for it to finish');
    this.#secrets(req.source);
    const job = planJob(req, await requireHa(this.#open(req.source)), this.opts.encode.layout);
    this.#job = job;
    this.#quarantinedSeen = this.opts.writer.stats().quarantined;
    await this.#save(job, true);
    this.opts.log.info(`migration started: ${describe(job)}`);
    this.#kick(job);
    return this.status();
  }

  /** `POST /api/migration/resume`: continues a stopped migration from where it stopped. */
  async resume(): Promise<MigrationStatus> {
    const job = this.#job;
    if (!job || job.state === 'done' || job.state === 'cancelled')
      throw new HttpError(409, 'there is no unfinished migration to resume');
    if (job.state === 'failed') {
      job.state = 'running';
      job.lastError = undefined;
      await this.#save(job, true);
      this.opts.log.info(`migration resumed at ${nsToIso(job.cursorNs)}`);
      this.#kick(job);
    }
    return this.status();
  }

  /** `DELETE /api/migration`: stops it for good; what it wrote stays. */
  async cancel(): Promise<{ cancelled: boolean; migration: MigrationStatus }> {
    const job = this.#job;
    const cancelled = job !== undefined && (active(job) || job.state === 'failed');
    if (job && cancelled) {
      this.#gen += 1;
      await this.#run;
      job.state = 'cancelled';
      job.source = withoutSecret(job.source);
      job.completedAt = new Date().toISOString();
      await this.#save(job, true);
      this.opts.log.info(`migration cancelled at ${nsToIso(job.cursorNs)}: ${job.report.written} points written`);
    }
    return { cancelled, migration: this.status() };
  }

  /** The writer confirmed the queue's chunks up to `seq`: those windows are in InfluxDB, in order. */
  #confirmed(seq: number): void {
    const job = this.#job;
    while (job && this.#pending[0] !== undefined && this.#pending[0].seq <= seq) {
      const p = this.#pending.shift() as Pending;
      mergeReport(job.report, p.delta);
      job.cursorNs = String(p.endNs);
      job.spanNs = String(p.spanNs);
      this.#written += p.delta.written;
      this.#dirty = true;
    }
    if (job && this.#dirty) this.#saveSoon(job);
  }

  /** Saves a confirmed position within SAVE_EVERY_MS, without waiting for the next window (one timer at a time). */
  #saveSoon(job: JobRecord): void {
    if (this.#saveTimer) return;
    const wait = Math.max(0, SAVE_EVERY_MS - (Date.now() - this.#savedAt));
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined;
      this.#save(job, false).catch((e: unknown) =>
        this.opts.log.error(`cannot save the migration's record: ${(e as Error).message}`),
      );
    }, wait);
  }

  #kick(job: JobRecord): void {
    const gen = ++this.#gen;
    const alive = (): boolean => gen === this.#gen && !this.#stopped;
    this.#runStart = undefined;
    this.#run = this.#run
      .then(() => (alive() ? this.#runJob(job, alive) : undefined))
      .catch(async (err: unknown) => {
        if (!alive()) return;
        job.state = 'failed';
        job.lastError = `${(err as Error).message}; everything before ${nsToIso(job.cursorNs)} is written, and a resume continues from there`;
        this.opts.log.error(`migration stopped: ${job.lastError}`);
        await this.#save(job, true).catch((e: unknown) =>
          this.opts.log.error(`cannot save the migration's record: ${(e as Error).message}`),
        );
      })
      // Windows still in the queue go on to InfluxDB, but a later run reads them again and counts them then.
      .finally(() => (this.#pending = []));
  }

  async #runJob(job: JobRecord, alive: () => boolean): Promise<void> {
    const log = this.opts.log;
    if (job.layout !== this.opts.encode.layout)
      throw new Error(
        `it was started for the ${job.layout} layout and the ingestor now writes ${this.opts.encode.layout}: start it again`,
      );
    this.#runStart = { atMs: Date.now(), progress: progressOf(job), written: this.#written };
    await readWindows({
      job,
      source: this.#open(job.source),
      flow: this.#flow,
      writer: this.#writer,
      targetPoints: this.opts.targetPoints,
      log,
      alive,
      appended: () => this.#appended,
      queue: (batch, endNs, spanNs, delta) => {
        this.#appended += batch.count;
        this.#pending.push({ seq: this.opts.queue.append(batch), endNs, spanNs, delta });
      },
      windowDone: async () => {
        await this.#save(job, false);
        this.#logProgress(job);
      },
    });
    if (!alive()) return;
    job.state = 'finishing';
    while (alive() && this.#pending.length > 0) {
      const err = this.opts.writer.stats();
      this.#flow.waitingFor = `InfluxDB to confirm the last points${err.failingSince ? `: ${err.lastError}` : ''}`;
      await this.#save(job, false);
      await sleep(100);
    }
    this.#flow.waitingFor = undefined;
    if (!alive()) return;
    job.state = 'done';
    job.completedAt = new Date().toISOString();
    job.source = withoutSecret(job.source);
    await this.#save(job, true);
    const r = job.report;
    log.info(
      `migration done: ${r.read} points read, ${r.written} written, ${r.unmappedTotal} could not be mapped, ${r.excluded} excluded by the include/exclude options, ${job.rejected} refused by InfluxDB; the report is in the panel`,
    );
  }

  async #save(job: JobRecord, now: boolean): Promise<void> {
    if (!now && (!this.#dirty || Date.now() - this.#savedAt < SAVE_EVERY_MS)) return;
    const q = this.opts.writer.stats().quarantined;
    job.rejected += Math.max(0, q - this.#quarantinedSeen);
    this.#quarantinedSeen = q;
    this.#dirty = false;
    this.#savedAt = Date.now();
    await this.#file.save(job);
  }

  #logProgress(job: JobRecord): void {
    if (Date.now() - this.#loggedAt < LOG_EVERY_MS) return;
    this.#loggedAt = Date.now();
    const s = this.status(0);
    this.opts.log.info(
      `migration at ${s.reached} (${Math.round(s.progress * 100)} %): ${job.report.written} points written${s.etaSeconds !== undefined ? `, about ${Math.ceil(s.etaSeconds / 60)} min left` : ''}`,
    );
  }

  status(reportLimit = 200): MigrationStatus {
    return buildStatus(
      this.#job,
      {
        waitingFor: this.#flow.waitingFor,
        run: this.#runStart,
        written: this.#written,
        rejectedUnsaved: Math.max(0, this.opts.writer.stats().quarantined - this.#quarantinedSeen),
        queueBytes: this.opts.queue.stats().bytes,
        budgetBytes: this.opts.budgetBytes,
        pacedTo: this.opts.pacedTo?.(),
      },
      reportLimit,
    );
  }

  /** `GET /api/migration/report`: every entity's row. */
  report(): Pick<MigrationStatus, 'report' | 'unmapped' | 'notes'> {
    const s = this.status(Number.POSITIVE_INFINITY);
    return { report: s.report, unmapped: s.unmapped, notes: s.notes };
  }
}
