import { join } from 'node:path';
import type { StateDigests } from '../points/restart-digest.js';
import type { StatePipeline } from '../points/state-pipeline.js';
import { readJson, writeAtomic } from './json-file.js';
import type { RefusedRanges } from './refused-ranges.js';

export interface StateFileOptions {
  dir: string;
  pipeline: StatePipeline;
  digests: StateDigests;
  spool: { sync(): Promise<void> };
  /** The spans of HA time the spool refused states in, not yet recovered (SpoolRefill). */
  ranges?: RefusedRanges | undefined;
  /** µs since the epoch. */
  now?: (() => number) | undefined;
}

/**
 * `state.json`: the last event seen (kept by the pipeline), an unfinished gap's position, a fresh install's first
 * connection time, the restart digests and the refused ranges. The ranges and the last event seen are saved
 * together: a range the file does not have yet lies after the last event seen it has, so the next connection's gap
 * backfill covers it.
 */
export class StateFile {
  /** Start of a gap not yet fully backfilled (µs), persisted until it is. */
  gapFromUs: number | undefined;
  /**
   * A fresh install, until the first event is seen: where the first connection's coverage began (µs). Without it, a
   * first connection lost before any event and before its snapshot leaves nothing to backfill the outage from.
   */
  originUs: number | undefined;
  #saving: Promise<void> | undefined;
  #savedKey = '';

  constructor(private readonly opts: StateFileOptions) {}

  async load(): Promise<void> {
    const state = (await readJson(join(this.opts.dir, 'state.json'))) as
      | { lastSeenUs?: unknown; gapFromUs?: unknown; originUs?: unknown; digests?: unknown; refused?: unknown }
      | undefined;
    if (state) {
      if (typeof state.lastSeenUs === 'number') this.opts.pipeline.lastSeenUs = state.lastSeenUs;
      if (typeof state.gapFromUs === 'number') this.gapFromUs = state.gapFromUs;
      if (typeof state.originUs === 'number') this.originUs = state.originUs;
      this.opts.digests.load(state.digests);
      this.opts.ranges?.load(
        state.refused,
        (this.opts.pipeline.lastSeenUs ?? this.opts.now?.() ?? Date.now() * 1000) + 1,
      );
    }
  }

  /** HA's own clock, should it be behind ours: HA recorded no change after the newest state it showed us (µs). */
  originNoLaterThan(us: number | undefined): void {
    if (this.originUs !== undefined && us !== undefined) this.originUs = Math.min(this.originUs, us);
  }

  /** What is on disk now matches: `save()` writes again only once the last event seen or the gap moves (or a digest). */
  markSaved(): void {
    this.#savedKey = this.#stateKey();
  }

  /** Persists the last event seen, the unfinished gap and the digests, once the spool holds what they describe. */
  async save(): Promise<void> {
    while (this.#saving) await this.#saving;
    const key = this.#stateKey();
    if (key === this.#savedKey && !this.opts.digests.dirty) return;
    const body = JSON.stringify({
      version: 1,
      lastSeenUs: this.opts.pipeline.lastSeenUs,
      gapFromUs: this.gapFromUs,
      originUs: this.originUs,
      digests: this.opts.digests.toJSON(),
      refused: this.opts.ranges?.toJSON(),
    });
    this.#saving = (async () => {
      await this.opts.spool.sync();
      await writeAtomic(join(this.opts.dir, 'state.json'), body);
      this.#savedKey = key;
    })().finally(() => (this.#saving = undefined));
    await this.#saving;
  }

  #stateKey(): string {
    return `${this.opts.pipeline.lastSeenUs}/${this.gapFromUs}/${this.originUs}/${this.opts.ranges?.version}`;
  }
}
