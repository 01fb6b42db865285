import { join } from 'node:path';
import type { StateDigests } from '../points/restart-digest.js';
import type { StatePipeline } from '../points/state-pipeline.js';
import { readJson, writeAtomic } from './json-file.js';

export interface StateFileOptions {
  dir: string;
  pipeline: StatePipeline;
  digests: StateDigests;
  spool: { sync(): Promise<void> };
}

/** `state.json`: the last event seen (kept by the pipeline), an unfinished gap's position and the restart digests. */
export class StateFile {
  /** Start of a gap not yet fully backfilled (µs), persisted until it is. */
  gapFromUs: number | undefined;
  #saving: Promise<void> | undefined;
  #savedKey = '';

  constructor(private readonly opts: StateFileOptions) {}

  async load(): Promise<void> {
    const state = (await readJson(join(this.opts.dir, 'state.json'))) as { lastSeenUs?: unknown; gapFromUs?: unknown; digests?: unknown } | undefined;
    if (state) {
      if (typeof state.lastSeenUs === 'number') this.opts.pipeline.lastSeenUs = state.lastSeenUs;
      if (typeof state.gapFromUs === 'number') this.gapFromUs = state.gapFromUs;
      this.opts.digests.load(state.digests);
    }
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
      digests: this.opts.digests.toJSON(),
    });
    this.#saving = (async () => {
      await this.opts.spool.sync();
      await writeAtomic(join(this.opts.dir, 'state.json'), body);
      this.#savedKey = key;
    })().finally(() => (this.#saving = undefined));
    await this.#saving;
  }

  #stateKey(): string {
    return `${this.opts.pipeline.lastSeenUs}/${this.gapFromUs}`;
  }
}
