import type { Service } from '@homeiq/shared';

export interface LargeFrameReclaimOptions {
  /** One V8 collection that returns what it can (main.ts: globalThis.gc with --expose-gc); undefined: none. */
  gc: (() => void) | undefined;
  /** A frame of at least this many bytes asks for a collection (default 4 MiB). */
  thresholdBytes?: number;
  /** How long after the last large frame (default 10 s; see below). */
  delayMs?: number;
}

/**
 * Gives the memory of a very large frame from Home Assistant back once nothing uses it (a state of many
 * megabytes, a big snapshot or history answer). Handling one leaves strings of its size on V8's heap that are
 * garbage a few seconds later, but V8 collects its old generation only when that grows further: an ingestor back
 * at a few events a second kept them for minutes (npm run bench -- footprint, a 20 MB state: resident memory
 * 93 → 186 MiB a minute later). So some time after a run of large frames it asks V8 for one collection, ten
 * seconds after the last one: at one second 20 MB of a 20 MB state was still in use and 40 MB more were
 * allocated at seven (measured with --trace-gc), all garbage by ten. One timer at a time, moved on by each large
 * frame (a steady stream of them keeps the heap growing, which V8's own collections then handle); dropped at stop.
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
    if (gc === undefined || bytes < (this.opts.thresholdBytes ?? 4 * 1024 * 1024)) return;
    if (this.#timer) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#collections += 1;
      gc();
    }, this.opts.delayMs ?? 10_000);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
