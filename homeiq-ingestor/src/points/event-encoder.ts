import type { HaEvent } from '../ha/messages.js';
import { encodeHaCompatible } from './ha-compatible.js';
import type { EntityFilter } from './filter.js';
import { HaTimestamps } from './ha-time.js';
import { StateEncoder, type StateEncoderCacheStats } from './state-encoder.js';
import { encodeOtherEvent, isHaState, type EncodeOptions, type Problem } from './state-to-points.js';

type Outcome = { line?: string; problems: Problem[]; filtered?: boolean };

export interface EncoderStats {
  encoded: number;
  filtered: number;
  dropped: number;
  problems: Record<string, number>;
}

/**
 * Turns HA events into lines: state_changed through the chosen layout and the entity filter, other events
 * into `ha_events`. Never throws on bad input: problems are counted, and reported once per kind.
 */
export class EventEncoder {
  /**
   * This encoder's timestamp parser; the pipeline feeding it parses a live event's time through it first, so
   * the encoder finds that timestamp already parsed (see HaTimestamps).
   */
  readonly timestamps = new HaTimestamps();
  readonly #stats: EncoderStats = { encoded: 0, filtered: 0, dropped: 0, problems: {} };
  readonly #reported = new Set<Problem>();
  readonly #states: StateEncoder;
  readonly #toNs = (iso: string): string | undefined => this.timestamps.ns(iso);

  constructor(
    private readonly opts: EncodeOptions,
    private readonly filter: EntityFilter,
    private readonly onFirstProblem: (problem: Problem, sample: string) => void,
  ) {
    this.#states = new StateEncoder(opts, this.timestamps);
  }

  stats(): EncoderStats {
    return { ...this.#stats, problems: { ...this.#stats.problems } };
  }

  /** Hit/miss/eviction counts of the HomeIQ layout's caches (for tests and benches). */
  cacheStats(): StateEncoderCacheStats {
    return this.#states.cacheStats();
  }

  /** The line for one event, or undefined when nothing is written for it. */
  encode(event: HaEvent): string | undefined {
    let result: Outcome;
    try {
      result = this.#encode(event);
    } catch {
      // Defensive: encoders are written not to throw; a throw here means a bug, and must not stop ingestion.
      result = { problems: ['bad_event'] };
    }
    for (const p of result.problems) {
      this.#stats.problems[p] = (this.#stats.problems[p] ?? 0) + 1;
      if (!this.#reported.has(p)) {
        this.#reported.add(p);
        this.onFirstProblem(
          p,
          String((event.data as { entity_id?: unknown } | undefined)?.entity_id ?? event.event_type).slice(0, 120),
        );
      }
    }
    if (result.filtered) {
      this.#stats.filtered += 1;
      return undefined;
    }
    if (result.line === undefined) {
      this.#stats.dropped += 1;
      return undefined;
    }
    this.#stats.encoded += 1;
    return result.line;
  }

  #encode(event: HaEvent): Outcome {
    if (event === null || typeof event !== 'object' || typeof event.event_type !== 'string')
      return { problems: ['bad_event'] };
    if (event.event_type !== 'state_changed') return encodeOtherEvent(event, this.opts, this.#toNs);
    const data = event.data;
    if (data === null || typeof data !== 'object') return { problems: ['bad_event'] };
    const newState = data['new_state'];
    if (newState === null) return { problems: ['entity_removed'] };
    if (!isHaState(newState)) return { problems: ['bad_event'] };
    if (!this.filter.accepts(newState.entity_id)) return { problems: [], filtered: true };
    return this.opts.layout === 'ha_compatible'
      ? encodeHaCompatible(newState, event.time_fired, this.opts, [], this.#toNs)
      : this.#states.encode(newState);
  }

  /** A state from get_states or history (no event around it); same rules as state_changed. */
  encodeState(state: unknown): string | undefined {
    return this.encode({
      event_type: 'state_changed',
      data: { new_state: state },
      time_fired: isHaState(state) ? state.last_updated : '',
    });
  }
}
