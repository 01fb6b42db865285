import type { Service } from '@homeiq/shared';

export interface LargeFrameReclaimOptions {
  /** V8's full collection: `globalThis.gc`, present when Node runs with --expose-gc (HOMEIQ_NODE_FLAGS). */
  gc: (() => void) | undefined;
  /** A frame of at least this many bytes asks for a collection (default 4 MiB). */
  thresholdBytes?: number;
  /** How long after the frame (default 1000 ms): its handling, and the commit of its point, are done by then. */
  delayMs?: number;
}

/**
 * Gives the memory of a very large frame from Home Assistant back once it is handled (a state of many megabytes,
 * a big snapshot or history answer). Reading one leaves strings of its size on V8's heap (the frame's text, the
 * parsed values) that are garbage as soon as the point is encoded, but V8 collects its old generation only when
 * that grows further: an ingestor back at a few events a second kept them for minutes (a 20 MB state: 41 MiB of
 * dead strings for over a minute, resident memory 87 → 158 MiB; 119 MiB after one collection). So a moment after
 * such a frame it asks V8 for one full collection (tens of milliseconds on the main thread, one for a run of large
 * frames). Without --expose-gc it does nothing.
 */
export class LargeFrameReclaim implements Service {
  readonly name = 'memory after large frames';
  #timer: NodeJS.Timeout | undefined;
  #collections = 0;

  constructor(private readonly opts: LargeFrameReclaimOptions) {}

  /** Collections asked for since start. */
  get collections(): number {
    return this.#collections;
  }

  /** A frame of `bytes` was received (called for every frame; cheap). */
  frame(bytes: number): void {
    const { gc } = this.opts;
    if (gc === undefined || bytes < (this.opts.thresholdBytes ?? 4 * 1024 * 1024) || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#collections += 1;
      gc();
    }, this.opts.delayMs ?? 1000);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
