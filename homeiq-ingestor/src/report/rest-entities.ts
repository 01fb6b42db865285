import type { Logger, SupervisorClient } from '@homeiq/shared';
import { ENTITIES, type EntityDef, type EntityState } from './entities.js';

/**
 * Not the MQTT entities' ids: HA would give MQTT ones `_2` while these are still in its state machine.
 * (entities.ts reportedEntityIds() lists both forms.)
 */
export const restEntityId = (e: EntityDef): string => `${e.component}.homeiq_rest_${e.key}`;

export interface RestEntitiesOptions {
  supervisor: Pick<SupervisorClient, 'coreRequest'>;
  log: Logger;
  siblingFigures: boolean;
}

/**
 * Without an MQTT broker: the same figures as plain states set through HA's REST API (`POST /api/states/<id>`).
 * What that cannot do, and DOCS.md says: no unique id (no device, not editable in the UI, not in the entity
 * registry); gone after an HA restart until the next update (sent at once when the ingestor reconnects); set to
 * `unavailable` on a clean stop, but left as they were when the add-on dies.
 */
export class RestEntities {
  readonly name = 'home assistant entities (rest)';
  /** The update in flight: one at a time; an update due meanwhile is skipped (the next one carries it). */
  #inflight: Promise<void> | undefined;
  #lastError: string | undefined;
  #latest: EntityState | undefined;
  /** Set by stop(): an update due or an HA reconnection meanwhile must not overwrite the `unavailable` states. */
  #stopped = false;

  constructor(private readonly opts: RestEntitiesOptions) {}

  async start(): Promise<void> {}

  publish(state: EntityState): void {
    this.#latest = state;
    this.#start(state, false);
  }

  /** HA (re)connected: it may have restarted and lost the states. */
  republish(): void {
    if (this.#latest) this.#start(this.#latest, false);
  }

  /** Marks every entity unavailable, after the update in flight; bounded by 5 s (HA may be unreachable). */
  async stop(): Promise<void> {
    this.#stopped = true;
    const latest = this.#latest;
    if (!latest) return;
    const done = (this.#inflight ?? Promise.resolve()).then(() => this.#send(latest, true));
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  #start(state: EntityState, unavailable: boolean): void {
    if (this.#inflight || this.#stopped) return;
    this.#inflight = this.#send(state, unavailable).finally(() => {
      this.#inflight = undefined;
    });
  }

  async #send(state: EntityState, unavailable: boolean): Promise<void> {
    try {
      for (const e of ENTITIES) {
        if (e.sibling && !this.opts.siblingFigures) continue;
        const res = await this.opts.supervisor.coreRequest('POST', `/states/${restEntityId(e)}`, {
          state: unavailable ? 'unavailable' : stateText(e, state.values[e.key] ?? null),
          attributes: attributes(e, state),
        });
        if (res.status !== 200 && res.status !== 201)
          throw new Error(`Home Assistant answered ${res.status}: ${res.body.slice(0, 200)}`);
      }
      if (this.#lastError !== undefined) this.opts.log.info('HomeIQ entities set in Home Assistant again');
      this.#lastError = undefined;
    } catch (err) {
      const why = (err as Error).message;
      if (why !== this.#lastError)
        this.opts.log.warn(`cannot set HomeIQ's entities in Home Assistant: ${why}; trying again with the next update`);
      this.#lastError = why;
    }
  }
}

function stateText(e: EntityDef, v: string | number | null): string {
  if (v === null) return 'unknown';
  if (e.component === 'binary_sensor') return v === 'ON' ? 'on' : 'off';
  return String(v);
}

function attributes(e: EntityDef, state: EntityState): Record<string, unknown> {
  return {
    ...(e.attributes ? state.attributes[e.key] : {}),
    friendly_name: `HomeIQ ${e.name}`,
    ...(e.deviceClass ? { device_class: e.deviceClass } : {}),
    ...(e.unit ? { unit_of_measurement: e.unit } : {}),
    ...(e.stateClass ? { state_class: e.stateClass } : {}),
    ...(e.icon ? { icon: e.icon } : {}),
    ...(e.options ? { options: e.options } : {}),
  };
}
