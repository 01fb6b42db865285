import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError, type Health } from '@homeiq/shared';
import type { TaskView } from '@homeiq/shared/contracts';
import {
  bucketRetentionSeconds,
  InfluxApiError,
  type Bucket,
  type InfluxApi,
  type Run,
  type Task,
} from './influx/api.js';
import type { CompatApi } from './influx/compat-api.js';
import { secondsToDays } from './options.js';
import type { Provisioning, RetentionOption } from './provisioning.js';

export interface BucketView {
  name: string;
  id: string;
  role: 'raw' | 'downsampled' | 'other';
  retentionDays: number;
  retentionSeconds: number;
  /** Bytes on disk: TSM files, index and WAL under `engine/{data,wal}/<bucket id>` (null if unreadable). */
  sizeBytes: number | null;
  /** `influxdb.cardinality()` over all time (null if the query failed). */
  seriesCardinality: number | null;
}

export type { TaskView };

export interface RunView extends Run {
  durationMs: number | null;
}

const TASK_CHECK = 'tasks';

/** Reads and changes what the admin sibling manages: buckets, retentions, downsampling tasks. */
export class Management {
  constructor(
    private readonly api: InfluxApi,
    private readonly compat: CompatApi,
    private readonly provisioning: Provisioning,
    private readonly health: Health,
    /** `<data dir>/influxdb2/engine`. */
    private readonly enginePath: string,
  ) {}

  async buckets(): Promise<BucketView[]> {
    const s = await this.provisioning.refresh();
    const all = (await this.api.buckets(s.orgId)).filter((b) => b.type === 'user');
    const downsampled = new Set(s.downsampled.map((b) => b.id));
    return Promise.all(
      all.map(async (b) => ({
        name: b.name,
        id: b.id,
        role: b.id === s.raw.id ? 'raw' : downsampled.has(b.id) ? 'downsampled' : 'other',
        retentionDays: secondsToDays(bucketRetentionSeconds(b)),
        retentionSeconds: bucketRetentionSeconds(b),
        sizeBytes: await this.#size(b.id),
        seriesCardinality: await this.#cardinality(s.orgId, b),
      })),
    );
  }

  /** Sets a retention; `option` names the add-on option it was also saved as (null for a bucket without one). */
  async setRetention(name: string, days: number): Promise<BucketView & { option: RetentionOption | null }> {
    const s = this.provisioning.current();
    const bucket = (await this.api.buckets(s.orgId)).find((b) => b.name === name && b.type === 'user');
    if (!bucket) throw new HttpError(404, `no bucket named ${name}`);
    const { option } = await this.provisioning.setRetention(bucket, days);
    const view = (await this.buckets()).find((b) => b.id === bucket.id);
    if (!view) throw new HttpError(404, `bucket ${name} disappeared`);
    return { ...view, option: option ?? null };
  }

  /**
   * Deletes a bucket HomeIQ no longer uses (one left behind by a change of the `bucket` option), with its data.
   * HomeIQ's own buckets are refused (409): they would only be created again, empty, at the next start.
   */
  async deleteBucket(name: string): Promise<{ deleted: string }> {
    const s = await this.provisioning.refresh();
    const bucket = (await this.api.buckets(s.orgId)).find((b) => b.name === name && b.type === 'user');
    if (!bucket) throw new HttpError(404, `no bucket named ${name}`);
    if (bucket.id === s.raw.id || s.downsampled.some((b) => b.id === bucket.id))
      throw new HttpError(
        409,
        `${name} is one of HomeIQ's buckets; to stop using it, change the bucket option of HomeIQ InfluxDB first`,
      );
    await this.api.deleteBucket(bucket.id);
    // InfluxDB drops the mappings to this bucket; the database named after it (whose retention policies led to
    // its summaries) goes too, rather than leaving a database whose default is suddenly a summary bucket.
    for (const m of await this.compat.dbrps(s.orgId))
      if (!m.virtual && m.database === name) await this.compat.deleteDbrp(m.id, s.orgId);
    return { deleted: name };
  }

  async tasks(): Promise<TaskView[]> {
    const s = await this.provisioning.refresh();
    this.updateHealth(s.tasks);
    return s.tasks.map(taskView);
  }

  /** Runs a managed task now; with `wait`, until it finished (at most `timeoutMs`). */
  async run(id: string, wait: boolean, timeoutMs = 60_000): Promise<RunView> {
    const s = this.provisioning.current();
    if (!s.tasks.some((t) => t.id === id)) throw new HttpError(404, `no HomeIQ task with id ${id}`);
    let run = await this.api.runTask(id);
    const deadline = Date.now() + timeoutMs;
    const pending = (r: Run): boolean => r.status === 'scheduled' || r.status === 'started';
    let transient: unknown;
    while (wait && pending(run) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        run = await this.api.run(id, run.id);
        transient = undefined;
      } catch (err) {
        // A run that has just finished is briefly in neither place InfluxDB 2.9 looks for it: FinishRun
        // drops it from the running runs, and only then is it recorded in the `_tasks` bucket. Meanwhile
        // GET …/runs/<id> answers 404 (about 1 run in 50 in a tight poll), and we once saw a 500: keep polling.
        if (!(err instanceof InfluxApiError) || (err.status !== 404 && err.status < 500)) throw err;
        transient = err;
      }
    }
    if (transient !== undefined && pending(run)) throw transient;
    if (wait) this.updateHealth((await this.provisioning.refresh()).tasks);
    const duration = run.startedAt && run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : null;
    return { ...run, durationMs: duration };
  }

  /** `tasks` check: amber while a downsampling task's last run failed. */
  updateHealth(tasks: Task[]): void {
    const failed = tasks.filter((t) => t.lastRunStatus === 'failed');
    if (failed.length > 0) {
      const t = failed[0] as Task;
      this.health.set(
        TASK_CHECK,
        'amber',
        `task ${t.name} failed: ${t.lastRunError ?? 'no reason given'}`,
        'Open the task runs in the admin panel',
      );
    } else {
      const ran = tasks.filter((t) => t.latestCompleted).length;
      this.health.set(TASK_CHECK, 'green', `${tasks.length} downsampling tasks active, ${ran} have run`);
    }
  }

  async #size(bucketId: string): Promise<number | null> {
    try {
      return (
        (await dirSize(join(this.enginePath, 'data', bucketId))) +
        (await dirSize(join(this.enginePath, 'wal', bucketId)))
      );
    } catch {
      return null;
    }
  }

  async #cardinality(orgId: string, b: Bucket): Promise<number | null> {
    try {
      const rows = await this.api.query(
        orgId,
        `import "influxdata/influxdb"\ninfluxdb.cardinality(bucketID: "${b.id}", start: 1970-01-01T00:00:00Z)`,
      );
      const n = Number(rows[0]?.['_value']);
      return Number.isFinite(n) ? n : 0;
    } catch {
      return null;
    }
  }
}

function taskView(t: Task): TaskView {
  return {
    id: t.id,
    name: t.name,
    every: t.every,
    status: t.status,
    lastRunStatus: t.lastRunStatus ?? null,
    lastRunAt: t.latestCompleted ?? null,
    lastRunError: t.lastRunError ?? null,
  };
}

/** Bytes of the files under `dir`; 0 when it does not exist (a bucket without data yet). */
export async function dirSize(dir: string): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let total = 0;
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

/** Refreshes the `tasks` health check from InfluxDB's last runs, every `everyMs`. */
export class TaskWatch {
  readonly name = 'task watch';
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly management: Management,
    private readonly log: { warn(msg: string): void },
    private readonly everyMs = 60_000,
  ) {}

  async start(): Promise<void> {
    await this.#check();
    this.#timer = setInterval(() => void this.#check(), this.everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    // Errors end here, logged: influxd being down is already reported by the influxd check.
    await this.management
      .tasks()
      .catch((err: unknown) => this.log.warn(`cannot read the task runs: ${(err as Error).message}`));
  }
}
