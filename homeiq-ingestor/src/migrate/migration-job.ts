import { migrationSourceSchema, parseJson, writeFileAtomic, type MigrationSourceConfig } from '@homeiq/shared';
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import type { ReportRecord } from './migration-report.js';

/**
 * `<data dir>/migration/job.json` (mode 0600: it holds the source's password or token while the migration is
 * unfinished, so a restart can resume it; the secret is removed once it is done or cancelled). Written atomically
 * after the migration's spool fsynced everything before `cursorNs`, together with the report of exactly that part.
 */

export type JobState = 'running' | 'finishing' | 'done' | 'failed' | 'cancelled';

export interface JobRecord {
  version: 1;
  source: MigrationSourceConfig;
  layout: 'homeiq' | 'ha_compatible';
  /** ns as digits: the range [fromNs, toNs), everything before cursorNs written; spanNs the window size reached. */
  fromNs: string;
  toNs: string;
  cursorNs: string;
  spanNs: string;
  entities: string[] | undefined;
  maxPointsPerSecond: number;
  state: JobState;
  startedAt: string;
  completedAt: string | undefined;
  lastError: string | undefined;
  /** Points of this migration InfluxDB refused (quarantined), over every run. */
  rejected: number;
  report: ReportRecord;
}

const ns = z.string().regex(/^-?\d{1,19}$/);
const count = z.number().int().min(0);
const noteCounts = z.record(z.string(), z.object({ count, example: z.string().optional() }));
const jobSchema = z.object({
  version: z.literal(1),
  source: migrationSourceSchema,
  layout: z.enum(['homeiq', 'ha_compatible']),
  fromNs: ns,
  toNs: ns,
  cursorNs: ns,
  spanNs: ns,
  entities: z.array(z.string()).optional(),
  maxPointsPerSecond: count,
  state: z.enum(['running', 'finishing', 'done', 'failed', 'cancelled']),
  startedAt: z.string(),
  completedAt: z.string().optional(),
  lastError: z.string().optional(),
  rejected: count,
  report: z.object({
    entities: z.record(
      z.string(),
      z.object({ read: count, written: count, unmapped: count, first: ns.optional(), last: ns.optional() }),
    ),
    unmapped: noteCounts,
    notes: noteCounts,
    read: count,
    written: count,
    unmappedTotal: count,
    excluded: count,
  }),
});

export class JobFile {
  /** Saves run one after the other: two at once would share the temporary file. */
  #saving: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  /** The saved job; undefined when there is none. A file that does not read as a job is an error (with why). */
  async load(): Promise<JobRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = parseJson(text);
    } catch {
      throw new Error(`${this.path} is not JSON`);
    }
    const r = jobSchema.safeParse(parsed);
    if (!r.success)
      throw new Error(`${this.path} is not a migration record (${r.error.issues[0]?.message ?? 'invalid'})`);
    const j = r.data;
    return { ...j, entities: j.entities, completedAt: j.completedAt, lastError: j.lastError } as JobRecord;
  }

  /** Writes the job as it is when this save's turn comes. */
  save(job: JobRecord): Promise<void> {
    const run = this.#saving
      .catch(() => undefined)
      .then(() => writeFileAtomic(this.path, JSON.stringify(job), { syncDir: true }));
    this.#saving = run;
    return run;
  }
}
