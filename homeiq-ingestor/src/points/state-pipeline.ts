import type { HaEvent } from '../ha/messages.js';
import type { ReportedState } from '../ha/state-reports.js';
import type { EventEncoder } from './event-encoder.js';
import { StateDigests, stateHash, type Digest, type Verdict } from './restart-digest.js';
import { isHaState } from './state-to-points.js';

export interface PipelineSink {
  /** Queues one point durably; false when it was refused (spool full). */
  append(line: string): boolean;
}

export interface StatePipelineOptions {
  encoder: EventEncoder;
  sink: PipelineSink;
  digests: StateDigests;
  /** Option `skip_restart_duplicates`. */
  skipRestartDuplicates: boolean;
  /** Live events held while the registries are read on a new connection, at most this many (then released). */
  maxHeld?: number;
}

export interface PipelineStats {
  /** Restart artefacts not written (re-added entities equal to what we last wrote). */
  restartDuplicatesSkipped: number;
  /** States that were exactly a point already written (same content and timestamp): snapshot/backfill overlap. */
  alreadyWritten: number;
  /** Unchanged reports written at their last_reported (option state_reports_interval_s). */
  reportsWritten: number;
}

export interface WriteOutcome {
  verdict: Verdict;
  /** The state's digest, for a caller tracking a history sequence. */
  digest: Digest | undefined;
  /** True when a line went to the spool. */
  written: boolean;
}

/**
 * Every state on its way to the spool passes here, whatever its source (live event, get_states snapshot,
 * history backfill or import): the restart-artefact check, encoding, the spool, and the per-entity digest of
 * what was written. Also tracks the last event seen (`lastSeenUs`, the backfill's starting point).
 * Synchronous: nothing here waits, so the socket reader can call it.
 */
export class StatePipeline {
  lastSeenUs: number | undefined;
  readonly #stats: PipelineStats = { restartDuplicatesSkipped: 0, alreadyWritten: 0, reportsWritten: 0 };
  #held: HaEvent[] | undefined;

  constructor(private readonly opts: StatePipelineOptions) {}

  stats(): PipelineStats {
    return { ...this.#stats };
  }

  /**
   * Holds live events (in memory, in order) until `release()`: used while the registries are read on a new
   * connection, so the first points carry the same tags as the snapshot written right after.
   */
  hold(): void {
    this.#held ??= [];
  }

  release(): void {
    const held = this.#held;
    this.#held = undefined;
    for (const e of held ?? []) this.#live(e);
  }

  /** A live event from the socket. */
  onEvent(event: HaEvent): void {
    if (this.#held) {
      this.#held.push(event);
      if (this.#held.length >= (this.opts.maxHeld ?? 100_000)) this.release();
      return;
    }
    this.#live(event);
  }

  #live(event: HaEvent): void {
    if (event?.event_type === 'state_changed' && event.data && typeof event.data === 'object') {
      const newState = event.data['new_state'];
      if (isHaState(newState)) {
        this.#liveState(newState, event.data['old_state'] === null, event);
        return;
      }
    }
    const t = typeof event?.time_fired === 'string' ? this.opts.encoder.timestamps.micros(event.time_fired) : undefined;
    const line = this.opts.encoder.encode(event);
    if (line !== undefined && this.opts.sink.append(line) && t !== undefined) this.#seen(t);
  }

  /**
   * A state from get_states or history. `prev` is what it is compared with: for a snapshot the digest of what
   * we last wrote; for a history sequence the state before it (see Backfill).
   */
  writeState(state: unknown, prev: Digest | undefined, trackSeen = false): WriteOutcome {
    if (!isHaState(state)) {
      this.opts.encoder.encodeState(state); // counted as a problem there
      return { verdict: 'write', digest: undefined, written: false };
    }
    return this.#state(state, prev, true, () => this.opts.encoder.encodeState(state), trackSeen);
  }

  /**
   * A state HA reported unchanged: the same line as its state, at `last_reported` (the time of the report, where
   * a change's point is at `last_updated`). Neither the restart digests nor the last event seen move: a report is
   * not a change, and HA's history (the backfill's source) has none.
   */
  writeReport(state: ReportedState): boolean {
    const line = this.opts.encoder.encodeState({ ...state, last_updated: state.last_reported });
    if (line === undefined || !this.opts.sink.append(line)) return false;
    this.#stats.reportsWritten += 1;
    return true;
  }

  #state(
    s: { entity_id: string; state: string; attributes: Record<string, unknown>; last_updated: string },
    prev: Digest | undefined,
    maybeReadded: boolean,
    encode: () => string | undefined,
    trackSeen = true,
  ): WriteOutcome {
    const t = this.opts.encoder.timestamps.micros(s.last_updated);
    if (t === undefined) {
      encode(); // the encoder counts the bad timestamp
      return { verdict: 'write', digest: undefined, written: false };
    }
    const hash = stateHash(s.state, s.attributes);
    const digest = { hash, t };
    const verdict = StateDigests.decide(prev, hash, t, this.opts.skipRestartDuplicates, maybeReadded);
    if (trackSeen) this.#seen(t);
    if (verdict === 'restart_artefact') {
      this.#stats.restartDuplicatesSkipped += 1;
      return { verdict, digest, written: false };
    }
    if (verdict === 'already_written') {
      this.#stats.alreadyWritten += 1;
      return { verdict, digest, written: false };
    }
    const line = encode();
    if (line === undefined || !this.opts.sink.append(line)) return { verdict, digest, written: false };
    this.opts.digests.written(s.entity_id, hash, t);
    return { verdict, digest, written: true };
  }

  /**
   * `#state` for a live event compared with what we last wrote, with the same verdicts, but hashing only when
   * the verdict depends on the digest (a re-added entity, or the very timestamp we hold); otherwise the digest
   * is recorded lazily (StateDigests.writtenLazy).
   */
  #liveState(
    s: { entity_id: string; state: string; attributes: Record<string, unknown>; last_updated: string },
    maybeReadded: boolean,
    event: HaEvent,
  ): void {
    // Through the encoder's parser, which then finds this timestamp already parsed when it writes the line.
    const t = this.opts.encoder.timestamps.micros(s.last_updated);
    if (t === undefined) {
      this.opts.encoder.encode(event); // the encoder counts the bad timestamp
      return;
    }
    const { digests } = this.opts;
    const { verdict, hash } = digests.decideFor(
      s.entity_id,
      s.state,
      s.attributes,
      t,
      this.opts.skipRestartDuplicates,
      maybeReadded,
    );
    this.#seen(t);
    if (verdict === 'restart_artefact') {
      this.#stats.restartDuplicatesSkipped += 1;
      return;
    }
    if (verdict === 'already_written') {
      this.#stats.alreadyWritten += 1;
      return;
    }
    const line = this.opts.encoder.encode(event);
    if (line === undefined || !this.opts.sink.append(line)) return;
    if (hash === undefined) digests.writtenLazy(s.entity_id, s.state, s.attributes, t);
    else digests.written(s.entity_id, hash, t);
  }

  #seen(t: number): void {
    if (this.lastSeenUs === undefined || t > this.lastSeenUs) this.lastSeenUs = t;
  }
}
