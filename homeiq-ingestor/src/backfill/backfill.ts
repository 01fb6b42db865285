import type { Health, Logger, Service } from '@homeiq/shared';
import { mkdir } from 'node:fs/promises';
import type { RegistryEnricher } from '../enrich/registry.js';
import type { HaSession } from '../ha/ha-session.js';
import type { StateDigests } from '../points/restart-digest.js';
import type { StatePipeline } from '../points/state-pipeline.js';
import { isHaState } from '../points/state-to-points.js';
import { initialStatus, type BackfillStatus } from './backfill-status.js';
import { GapBackfill } from './gap-backfill.js';
import { HistoryImport } from './history-import.js';
import { RefusedRanges } from './refused-ranges.js';
import { SpoolRefill, type SpoolGauge } from './spool-refill.js';
import { StateFile } from './state-file.js';
import { newestUpdate, StateReplay } from './state-replay.js';

/**
 * What happens on every (re)connection to Home Assistant, as one task beside the socket reader (which never
 * waits on it; it only feeds the spool through the StatePipeline):
 * 1. the registries are read (enrichment), live events held meanwhile;
 * 2. the gap backfill: every recorded change from the last event seen before the connection was lost (on a fresh
 *    install that saw none yet: from its first connection) to now,
 *    through `history/history_during_period`, chunked by time window and entity batch (entities: those of a
 *    `get_states` fetched first, plus those we wrote before);
 * 3. the `get_states` snapshot: one point per state at its own `last_updated` (idempotent), after the gap so
 *    a restart artefact among the states is compared with the change before it;
 * 4. the gap's tail once more, `recorderSettleMs` later: `history_during_period` reads only what HA's recorder
 *    has committed (every `commit_interval`, 1-5 s), so a change made just before our subscription may be in
 *    neither the first reply nor the live events, nor the snapshot when it was superseded meanwhile. Until this
 *    pass is done the tail stays the persisted gap (a crash or a drop meanwhile backfills it next time);
 * 5. the first-install history import of the last `history_import_days` days, resumable.
 * Order against live events does not matter: every point carries HA's own timestamp. Beside these, SpoolRefill
 * recovers the states the spool refused while it was full (and the gap windows it refused points during).
 *
 * Persisted in `<data dir>/backfill/`, always after the spool's fsync of everything they account for:
 * `state.json` (last event seen or a fresh install's first connection, an unfinished gap's position, the restart digests, the refused ranges) every `saveIntervalMs`,
 * as soon as a gap window is in the spool (so a crash loop re-reads only from the last window done, not from its first
 * crash; never past the tail, see GapBackfill), at stop and before the import moves past a window the spool refused points during; `import.json` (the import's range
 * and how far it got) after every window.
 */

export interface BackfillOptions {
  dir: string;
  pipeline: StatePipeline;
  digests: StateDigests;
  enricher?: RegistryEnricher | undefined;
  /** The include/exclude rules: entities they reject are not asked for. */
  accepts(entityId: string): boolean;
  spool: { sync(): Promise<void>; stats?: SpoolGauge['stats'] };
  log: Logger;
  /**
   * Recovery of the states the spool refused while full (SpoolRefill; needs `spool.stats`): `maxBytes` is
   * `spool_max_mb` in bytes; health check `spool` is set there. Absent: refused states are not recovered.
   */
  refill?: { maxBytes: number; health?: Pick<Health, 'set'> | undefined; pollMs?: number | undefined } | undefined;
  /** Option `history_import_days` (0 = off). */
  historyImportDays: number;
  windowUs?: number;
  batchSize?: number;
  /** The gap starts this long before the last event seen (re-writing a point is harmless). */
  overlapUs?: number;
  /**
   * How long after the gap to ask again for its tail: longer than HA's recorder takes to commit (commit_interval,
   * default 5 s, plus its queue). Default 12 s.
   */
  recorderSettleMs?: number;
  saveIntervalMs?: number;
  /** µs since the epoch. */
  now?: () => number;
}

const HOUR_US = 3_600_000_000;

export class Backfill implements Service {
  readonly name = 'history backfill';
  #runId = 0;
  #run: Promise<void> | undefined;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #state: StateFile;
  readonly #status: BackfillStatus;
  readonly #replay: StateReplay;
  readonly #imports: HistoryImport;
  readonly #refill: SpoolRefill | undefined;
  readonly #gap: GapBackfill;

  constructor(private readonly opts: BackfillOptions) {
    const ranges = new RefusedRanges();
    this.#state = new StateFile({ ...opts, ranges });
    this.#status = initialStatus(opts.historyImportDays);
    this.#replay = new StateReplay(opts);
    const stats = opts.spool.stats?.bind(opts.spool);
    const refill = opts.refill &&
      stats && {
        ...opts,
        ...opts.refill,
        spool: { stats },
        ranges,
        replay: new StateReplay(opts),
        now: () => this.#now,
        save: () => this.save(),
      };
    this.#refill = refill ? new SpoolRefill(refill) : undefined;
    this.#gap = new GapBackfill({
      log: opts.log,
      state: this.#state,
      status: this.#status,
      replay: this.#replay,
      refill: this.#refill,
      windowUs: opts.windowUs ?? HOUR_US,
      overlapUs: opts.overlapUs ?? 2_000_000,
      recorderSettleMs: opts.recorderSettleMs ?? 12_000,
      now: () => this.#now,
      lastSeenUs: () => opts.pipeline.lastSeenUs,
      save: () => this.save(),
    });
    this.#imports = new HistoryImport({
      dir: opts.dir,
      log: opts.log,
      accepts: (id) => opts.accepts(id),
      historyImportDays: opts.historyImportDays,
      windowUs: opts.windowUs ?? HOUR_US,
      replay: this.#replay,
      status: this.#status,
      now: () => this.#now,
      stopped: () => this.#stopped,
      flow: this.#refill,
    });
  }

  get #now(): number {
    return this.opts.now?.() ?? Date.now() * 1000;
  }

  status(): BackfillStatus {
    const s = this.#status;
    const p = this.opts.pipeline.stats();
    return {
      ...s,
      snapshot: { ...s.snapshot },
      gap: { ...s.gap },
      import: this.#imports.status(),
      skipped: { restartDuplicates: p.restartDuplicatesSkipped, alreadyWritten: p.alreadyWritten },
      refill: this.#refill?.status() ?? { ...s.refill },
    };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await mkdir(this.opts.dir, { recursive: true });
    await this.#state.load();
    await this.#imports.load();
    this.#state.markSaved();
    this.#refill?.start();
    const every = this.opts.saveIntervalMs ?? 10_000;
    this.#timer = setInterval(
      () =>
        void this.save().catch((err: unknown) =>
          this.opts.log.warn(`could not save the backfill state: ${(err as Error).message}`),
        ),
      every,
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#runId += 1;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.opts.enricher?.stop();
    this.opts.pipeline.release();
    await this.#refill?.stop();
    await this.save();
  }

  /** Spool `onFullChange`: opens and closes the refused ranges the refill recovers (and health `spool`). */
  onSpoolFullChange(full: boolean): void {
    this.#refill?.onFullChange(full);
  }

  /** For HaSocket.onConnected. Synchronous: captures where the gap starts, then runs the task in the background. */
  onConnected(session: HaSession): void {
    if (this.#stopped) return;
    const runId = ++this.#runId;
    const connectedUs = this.#now;
    const seen = this.opts.pipeline.lastSeenUs ?? this.#state.originUs;
    const unfinished = this.#state.gapFromUs;
    // An unfinished gap's position is where reading stopped: everything before it is in the spool, whether or
    // not a live event came after it (in a crash loop none may have been saved since the first crash).
    this.#state.gapFromUs = unfinished ?? seen;
    if (this.opts.pipeline.lastSeenUs !== undefined) this.#state.originUs = undefined;
    else if (this.#state.gapFromUs === undefined) {
      // Fresh install: nothing seen yet, so should this connection be lost early, the next one backfills from here.
      this.#state.originUs = connectedUs;
      void this.save().catch(() => undefined);
    }
    if (this.opts.enricher) this.opts.pipeline.hold();
    this.#status.connection = session.connection;
    this.#status.phase = this.opts.enricher ? 'registries' : 'snapshot';
    const previous = this.#run ?? Promise.resolve();
    const run = previous
      .then(() => this.#task(session, runId, connectedUs))
      .catch((err: unknown) => {
        if (runId !== this.#runId) return;
        this.opts.pipeline.release();
        this.#status.phase = 'failed';
        if (!session.closed)
          this.opts.log.warn(
            `backfill after connecting stopped: ${(err as Error).message}; it runs again on the next connection`,
          );
      });
    this.#run = run;
  }

  /** Persists the last event seen, the unfinished gap and the digests, once the spool holds what they describe. */
  save(): Promise<void> {
    return this.#state.save();
  }

  async #task(session: HaSession, runId: number, connectedUs: number): Promise<void> {
    const alive = (): boolean => runId === this.#runId && !session.closed && !this.#stopped;
    const log = this.opts.log;
    this.#replay.clear();
    if (this.opts.enricher) {
      this.#status.phase = 'registries';
      try {
        await this.opts.enricher.refresh(session);
      } catch (err) {
        if (alive())
          log.warn(
            `could not read HA's registries (${(err as Error).message}); points are written without area/floor/device/label tags until the next refresh`,
          );
      } finally {
        if (runId === this.#runId) this.opts.pipeline.release();
      }
    }
    if (!alive()) return;
    this.#refill?.attach(session);

    // The snapshot is fetched first (it names the entities to backfill) but written after the gap: the gap
    // replays the changes in order, so a restart artefact among the current states is recognised against them.
    this.#status.phase = 'snapshot';
    const reply = await session.command<unknown[]>({ type: 'get_states' });
    if (!alive()) return;
    const states = (Array.isArray(reply) ? reply : []).filter(isHaState);
    const ids = new Set(states.map((s) => s.entity_id).filter((id) => this.opts.accepts(id)));
    if (this.opts.pipeline.lastSeenUs === undefined) this.#state.originNoLaterThan(newestUpdate(states));

    const gapFrom = this.#state.gapFromUs;
    // Entities we wrote before (the digests) too: one removed during the gap still has recorded changes.
    const gapIds = new Set(ids);
    if (gapFrom !== undefined) for (const id of this.opts.digests.ids()) if (this.opts.accepts(id)) gapIds.add(id);
    const gapList = [...gapIds].sort();
    if (gapFrom !== undefined) {
      this.#status.phase = 'gap';
      if (!(await this.#gap.read(session, gapFrom, gapList, connectedUs, alive))) return;
    }

    this.#status.phase = 'snapshot';
    const snapshot = await this.#replay.snapshot(states, alive);
    if (!snapshot) return;
    const { written, newest } = snapshot;
    this.#status.snapshot = { at: new Date().toISOString(), states: states.length, written };
    // First connection ever: from now on, a lost connection is backfilled from the newest state HA showed us.
    if (this.opts.pipeline.lastSeenUs === undefined && newest !== undefined) this.opts.pipeline.lastSeenUs = newest;
    log.debug(`snapshot: ${written} of ${states.length} states written`);

    const tailFrom = this.#state.gapFromUs;
    if (gapFrom !== undefined && tailFrom !== undefined) {
      this.#status.phase = 'gap';
      if (!(await this.#gap.tail(session, tailFrom, gapList, connectedUs, alive))) return;
    }

    await this.#imports.run(session, [...ids].sort(), alive);
    if (alive()) this.#status.phase = 'done';
  }

  /** `POST /api/import`: see HistoryImport.request. */
  requestImport(req: { days: number; entities?: readonly string[] | undefined }): Promise<BackfillStatus['import']> {
    return this.#imports.request(req);
  }

  /** `DELETE /api/import`: see HistoryImport.cancel. */
  cancelImport(): Promise<{ cancelled: boolean; import: BackfillStatus['import'] }> {
    return this.#imports.cancel();
  }
}
