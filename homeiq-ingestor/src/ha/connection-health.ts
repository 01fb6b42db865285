import type { Health } from '@homeiq/shared';

const CHECK = 'home-assistant';

/** The `home-assistant` health check: amber while the connection is down, red once it stays down past the grace. */
export class ConnectionHealth {
  #redTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly health: Health,
    private readonly graceMs: number,
  ) {}

  /** `lastError` is read when the grace runs out, so red names the latest failure. */
  down(reason: string, lastError: () => string | undefined): void {
    if (this.#redTimer) return;
    this.health.set(CHECK, 'amber', reason, 'Home Assistant may be restarting; this clears by itself');
    this.#redTimer = setTimeout(() => {
      this.health.set(
        CHECK,
        'red',
        `Home Assistant unreachable for over ${Math.round(this.graceMs / 1000)} s: ${lastError() ?? reason}`,
        'Check that Home Assistant is running and that this add-on has Home Assistant API access',
      );
    }, this.graceMs);
  }

  up(haVersion: string | undefined): void {
    if (this.#redTimer) clearTimeout(this.#redTimer);
    this.#redTimer = undefined;
    this.health.set(CHECK, 'green', `connected to Home Assistant ${haVersion ?? ''}`.trim());
  }

  stop(): void {
    if (this.#redTimer) clearTimeout(this.#redTimer);
  }
}
