import type { HealthReport, HealthStatus } from '@homeiq/shared';
import type { BucketRow, Overview, Problem, TaskRow } from '../api-types.js';
import type { InfluxReader } from '../influx/flux.js';
import { pointsLastHour } from '../influx/queries.js';
import type { IngestorStatus, ManagerClient } from '../siblings/clients.js';
import { Cached, type Outcome } from '../util/cache.js';
import { haCheck, influxCheck, ingestionCheck, quarantineCheck, storageCheck, tasksCheck } from './checks.js';
import type { RateSampler } from './rate-sampler.js';

const RANK: Record<HealthStatus, number> = { green: 0, amber: 1, red: 2 };

export interface OverviewDeps {
  ingestorStatus: () => Promise<IngestorStatus>;
  manager: ManagerClient;
  influx: InfluxReader;
  sampler: RateSampler;
  now?: () => number;
}

/**
 * Builds the overview from the siblings. Each source is cached for a short time (seconds), so opening the
 * panel on several devices, or the bench, does not multiply the load on the siblings, and one slow source
 * delays only itself: every failure becomes a red or amber line that says which sibling and why.
 */
export class OverviewService {
  readonly status: Cached<IngestorStatus>;
  readonly health: Cached<HealthReport>;
  readonly buckets: Cached<BucketRow[]>;
  readonly tasks: Cached<TaskRow[]>;
  readonly points: Cached<number>;
  readonly version: Cached<string>;
  readonly #now: () => number;

  constructor(private readonly deps: OverviewDeps) {
    this.#now = deps.now ?? Date.now;
    this.status = new Cached(deps.ingestorStatus, 1000);
    this.health = new Cached(() => deps.manager.health(), 2000);
    this.buckets = new Cached(() => deps.manager.buckets(), 15_000);
    this.tasks = new Cached(() => deps.manager.tasks(), 10_000);
    this.points = new Cached(() => pointsLastHour(deps.influx, this.#now()), 5000);
    this.version = new Cached(async () => (await deps.influx.grant()).influxdbVersion, 60_000);
  }

  async build(): Promise<Overview> {
    const [status, health, buckets, tasks, points, version] = await Promise.all([
      this.status.get(),
      this.health.get(),
      this.buckets.get(),
      this.tasks.get(),
      this.points.get(),
      this.version.get(),
    ]);
    const problems: Problem[] = [];
    const note = (o: Outcome<unknown>, sibling: Problem['sibling'], what: string): void => {
      if (!o.ok) problems.push({ sibling, what, why: o.error.message });
    };
    note(status, 'homeiq-ingestor', 'status');
    note(health, 'homeiq-influxdb', 'health');
    note(buckets, 'homeiq-influxdb', 'buckets');
    note(tasks, 'homeiq-influxdb', 'tasks');
    note(points, 'homeiq-influxdb', 'stored points');
    const rates = this.deps.sampler.view();
    const checks = [
      haCheck(status),
      ingestionCheck(status, points, rates, this.#now()),
      quarantineCheck(status),
      influxCheck(health, version),
      storageCheck(buckets),
      tasksCheck(tasks, this.#now()),
    ];
    const worst = checks.reduce<HealthStatus>((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), 'green');
    return {
      generatedAt: new Date(this.#now()).toISOString(),
      status: worst,
      checks,
      rate: { everyS: rates.everyS, samples: rates.samples },
      problems,
    };
  }
}
