export type HealthStatus = 'green' | 'amber' | 'red';

export interface HealthCheck {
  name: string;
  status: HealthStatus;
  /** What is going on, in words a user understands. */
  reason: string;
  /** What to do about it, when there is something to do. */
  hint?: string;
  /** When the check last changed status (ISO 8601). */
  since: string;
}

export interface HealthReport {
  status: HealthStatus;
  checks: HealthCheck[];
}

const RANK: Record<HealthStatus, number> = { green: 0, amber: 1, red: 2 };

/** Named checks that modules update as things happen; `/health` and the panel read the snapshot. */
export class Health {
  readonly #checks = new Map<string, HealthCheck>();
  constructor(private readonly now: () => Date = () => new Date()) {}

  set(name: string, status: HealthStatus, reason: string, hint?: string): void {
    const prev = this.#checks.get(name);
    const since = prev && prev.status === status ? prev.since : this.now().toISOString();
    this.#checks.set(name, { name, status, reason, since, ...(hint ? { hint } : {}) });
  }

  remove(name: string): void {
    this.#checks.delete(name);
  }

  report(): HealthReport {
    const checks = [...this.#checks.values()];
    const worst = checks.reduce<HealthStatus>((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), 'green');
    return { status: worst, checks };
  }
}
