import type { Health } from '@homeiq/shared';
import type { InfluxdbSummary } from '@homeiq/shared/contracts';
import type { Task } from './influx/api.js';
import { dirSize } from './management.js';
import type { Provisioned } from './provisioning.js';

export interface SummaryDeps {
  health: Pick<Health, 'report'>;
  /** The provisioned state (throws while InfluxDB is not set up); its tasks are refreshed by TaskWatch. */
  provisioned: () => Provisioned;
  version: () => string;
  /** `<data dir>/influxdb2/engine`. */
  enginePath: string;
  /** How long a disk size is reused: walking the engine directory is not free on a big database. */
  diskCacheMs?: number;
  now?: () => number;
}

/** `GET /api/summary`: health, disk use and the last downsampling run, for the ingestor's HA entities. */
export class Summary {
  #disk: { bytes: number | null; at: number } | undefined;
  readonly #now: () => number;

  constructor(private readonly deps: SummaryDeps) {
    this.#now = deps.now ?? Date.now;
  }

  async get(): Promise<InfluxdbSummary> {
    let tasks: Task[] | undefined;
    try {
      tasks = this.deps.provisioned().tasks;
    } catch {
      tasks = undefined; // not set up yet: the health report says why
    }
    return {
      health: this.deps.health.report(),
      version: this.deps.version(),
      diskBytes: await this.#diskBytes(),
      downsampling: tasks ? downsampling(tasks) : null,
    };
  }

  async #diskBytes(): Promise<number | null> {
    const now = this.#now();
    if (this.#disk && now - this.#disk.at < (this.deps.diskCacheMs ?? 30_000)) return this.#disk.bytes;
    const bytes = await dirSize(this.deps.enginePath).catch(() => null);
    this.#disk = { bytes, at: now };
    return bytes;
  }
}

/** The latest run over all tasks; a task that never ran has a `latestCompleted` (its creation) but no status. */
function downsampling(tasks: readonly Task[]): InfluxdbSummary['downsampling'] {
  let last: Task | undefined;
  const at = (t: Task | undefined): number => Date.parse(t?.latestCompleted ?? '') || 0;
  for (const t of tasks) if (t.lastRunStatus !== undefined && at(t) > at(last)) last = t;
  return {
    tasks: tasks.length,
    failed: tasks.filter((t) => t.lastRunStatus === 'failed').length,
    lastRunAt: last?.latestCompleted ?? null,
    lastRunTask: last?.name ?? null,
    lastRunStatus: last?.lastRunStatus ?? null,
  };
}
