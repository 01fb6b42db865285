import type { Logger } from '@homeiq/shared';
import { join } from 'node:path';
import type { HaSession } from '../ha/ha-session.js';
import { microsToIso } from '../ha/history.js';
import { IMPORT_MAX_DAYS, IMPORT_MAX_ENTITIES, type BackfillStatus } from './backfill-status.js';
import { planWindows } from './chunks.js';
import { readJson, writeAtomic } from './json-file.js';
import type { RefillFlow } from './spool-refill.js';
import type { StateReplay } from './state-replay.js';

export interface HistoryImportOptions {
  dir: string;
  log: Logger;
  accepts(entityId: string): boolean;
  /** Option `history_import_days` (0 = off). */
  historyImportDays: number;
  windowUs: number;
  replay: StateReplay;
  /** The backfill's status: `import` is ours, `phase` says `import` while an import runs. */
  status: BackfillStatus;
  /** µs since the epoch. */
  now(): number;
  stopped(): boolean;
  /** Flow control: windows start only when the spool has room, and a window it refused points during is recovered later. */
  flow?: RefillFlow | undefined;
}

interface ImportRecord {
  days: number;
  fromUs: number;
  toUs: number;
  reachedUs: number;
  done: boolean;
  points: number;
  completedAt?: string | undefined;
  /** Set for an import asked for through the API: it replaces the first-install import. */
  requested?: boolean;
  entities?: string[] | undefined;
  cancelled?: boolean;
}

const DAY_US = 24 * 3_600_000_000;

/**
 * The history import: the first-install one of the last `history_import_days` days and those asked for through
 * the API, one at a time, window by window. `import.json` records the range and how far it got after every
 * window, so an import resumes on the next connection (or start) where it stopped.
 */
export class HistoryImport {
  #import: ImportRecord | undefined;
  /** The session of the current connection and the entities its snapshot named (for an import asked for later). */
  #session: HaSession | undefined;
  #sessionIds: string[] = [];
  /** Bumped to stop the running import (a new request, a cancel). */
  #importGen = 0;
  #importRun: Promise<void> | undefined;
  #runStart: { atMs: number; progress: number } | undefined;

  constructor(private readonly opts: HistoryImportOptions) {}

  async load(): Promise<void> {
    const rec = (await readJson(join(this.opts.dir, 'import.json'))) as ImportRecord | undefined;
    if (rec && typeof rec.fromUs === 'number' && typeof rec.toUs === 'number' && typeof rec.reachedUs === 'number')
      this.#import = rec;
    this.#reflectImport();
  }

  status(): BackfillStatus['import'] {
    const s = this.opts.status.import;
    return { ...s, entities: s.entities ? [...s.entities] : undefined, etaSeconds: this.#eta() };
  }

  /** For the connection task, once its snapshot is written: runs or resumes the import over `ids`. */
  run(session: HaSession, ids: string[], alive: () => boolean): Promise<void> {
    this.#session = session;
    this.#sessionIds = ids;
    return this.#startImport(session, this.#sessionIds, alive);
  }

  /**
   * `POST /api/import`: (re)starts an import of the last `days` days, of `entities` or of every entity HA has (the
   * include/exclude rules apply either way). One import at a time: a running one is stopped at its next batch and
   * replaced. Resumable like the first-install import (`import.json`); without a connection it waits for the next.
   */
  async request(req: { days: number; entities?: readonly string[] | undefined }): Promise<BackfillStatus['import']> {
    if (!(Number.isInteger(req.days) && req.days >= 1 && req.days <= IMPORT_MAX_DAYS))
      throw new RangeError(`days must be an integer from 1 to ${IMPORT_MAX_DAYS}`);
    if (req.entities && (req.entities.length === 0 || req.entities.length > IMPORT_MAX_ENTITIES))
      throw new RangeError(`entities: 1 to ${IMPORT_MAX_ENTITIES}, or none for all`);
    await this.#haltImport();
    const now = this.opts.now();
    const fromUs = now - req.days * DAY_US;
    const entities = req.entities ? [...new Set(req.entities)].sort() : undefined;
    this.#import = {
      days: req.days,
      fromUs,
      toUs: now,
      reachedUs: fromUs,
      done: false,
      points: 0,
      requested: true,
      entities,
    };
    Object.assign(this.opts.status.import, {
      state: 'pending',
      lastError: undefined,
      completedAt: undefined,
      startedAt: undefined,
    });
    this.#runStart = undefined;
    await this.#persist(this.#import);
    this.#reflectImport();
    this.opts.log.info(
      `history import of the last ${req.days} days requested (${entities ? `${entities.length} entities` : 'all entities'})`,
    );
    this.#kickImport();
    return this.status();
  }

  /** `DELETE /api/import`: stops the running or pending import; what it wrote stays. `cancelled` is false when there was none. */
  async cancel(): Promise<{ cancelled: boolean; import: BackfillStatus['import'] }> {
    await this.#haltImport();
    const rec = this.#import;
    const cancelled = rec !== undefined && !rec.done && !rec.cancelled;
    if (rec && cancelled) {
      rec.cancelled = true;
      await this.#persist(rec);
      this.opts.log.info(`history import cancelled at ${microsToIso(rec.reachedUs)} (${rec.points} points written)`);
    }
    this.#reflectImport();
    return { cancelled, import: this.status() };
  }

  #persist(rec: ImportRecord): Promise<void> {
    return writeAtomic(join(this.opts.dir, 'import.json'), JSON.stringify(rec));
  }

  async #haltImport(): Promise<void> {
    this.#importGen += 1;
    await this.#importRun?.catch(() => undefined);
  }

  #kickImport(): void {
    const session = this.#session;
    if (!session || session.closed || this.opts.stopped()) return;
    this.#startImport(session, this.#sessionIds, () => !session.closed && !this.opts.stopped()).catch(
      (err: unknown) => {
        if (!session.closed)
          this.opts.log.warn(`history import stopped: ${(err as Error).message}; it resumes on the next connection`);
      },
    );
  }

  /** One runner at a time: runs are chained; a run started under an older generation does nothing. */
  #startImport(session: HaSession, ids: string[], alive: () => boolean): Promise<void> {
    const gen = this.#importGen;
    const run = (this.#importRun ?? Promise.resolve())
      .catch(() => undefined)
      .then(() =>
        gen === this.#importGen ? this.#runImport(session, ids, () => alive() && gen === this.#importGen) : undefined,
      );
    this.#importRun = run;
    return run;
  }

  #eta(): number | undefined {
    const s = this.opts.status.import;
    const r = this.#runStart;
    if (s.state !== 'running' || !r) return undefined;
    const done = s.progress - r.progress;
    const elapsed = (Date.now() - r.atMs) / 1000;
    if (done <= 0 || elapsed <= 0) return undefined;
    return Math.max(0, Math.round((elapsed / done) * (1 - s.progress)));
  }

  /**
   * Runs the current record to its end, then the older range a raised `history_import_days` adds (each record is
   * persisted before it runs, so both resume after a drop or restart).
   */
  async #runImport(session: HaSession, allIds: string[], alive: () => boolean): Promise<void> {
    for (let rec = await this.#nextRecord(); rec && !rec.done && !rec.cancelled; rec = await this.#nextRecord()) {
      await this.#importRecord(rec, session, allIds, alive);
      if (!alive() || !rec.done) return;
    }
  }

  /**
   * The record to work on. An import asked for through the API replaces the first-install one (the option does not
   * extend it). When the option was raised, the older range [now − days, start of the old record) is only started
   * once the old record is done: replacing an unfinished record would drop its unimported part for good.
   */
  async #nextRecord(): Promise<ImportRecord | undefined> {
    const days = this.opts.historyImportDays;
    const rec = this.#import;
    if (!(days > 0) || (rec && (rec.requested || rec.days >= days || !(rec.done || rec.cancelled)))) return rec;
    const now = this.opts.now();
    const fromUs = now - days * DAY_US;
    let next: ImportRecord = {
      days,
      fromUs,
      toUs: rec ? Math.min(rec.fromUs, rec.reachedUs) : now,
      reachedUs: fromUs,
      done: false,
      points: 0,
    };
    if (next.toUs <= next.fromUs) next = { ...next, toUs: next.fromUs, done: true };
    this.#import = next;
    await this.#persist(next);
    this.#reflectImport();
    return next;
  }

  async #importRecord(rec: ImportRecord, session: HaSession, allIds: string[], alive: () => boolean): Promise<void> {
    const now = this.opts.now();
    const status = this.opts.status;
    const ids = rec.entities ? rec.entities.filter((id) => this.opts.accepts(id)) : allIds;
    // The refill asks HA's current entities anyway; only the others need handing over with a refused window.
    const haIds = new Set(allIds);
    const phase = status.phase;
    status.phase = 'import';
    status.import.state = 'running';
    status.import.startedAt = new Date().toISOString();
    this.#runStart = { atMs: Date.now(), progress: status.import.progress };
    this.opts.log.info(
      `importing Home Assistant's history from ${microsToIso(rec.reachedUs)} to ${microsToIso(rec.toUs)} (${rec.days} days, ${ids.length} entities)`,
    );
    const span = rec.toUs - rec.fromUs;
    try {
      for (const w of planWindows(rec.reachedUs, rec.toUs, this.opts.windowUs, now)) {
        const r = rec;
        const onBatch = (done: number, total: number): void => {
          const at = w.startUs + ((w.endUs ?? r.toUs) - w.startUs) * (done / total);
          if (span > 0) status.import.progress = Math.min(1, Math.max(0, (at - r.fromUs) / span));
        };
        const flow = this.opts.flow;
        await flow?.waitForRoom(alive);
        if (!alive()) return;
        const { points, refused } = await this.opts.replay.window(session, w, ids, alive, {
          onBatch,
          pace: flow?.pace(alive),
        });
        if (!alive()) return;
        // Durable before import.json says the window is done: a crash in between would otherwise lose the range.
        if (refused)
          await flow?.handOver(
            w.startUs,
            w.endUs ?? rec.toUs,
            ids.filter((id) => !haIds.has(id)),
          );
        rec.points += points;
        rec.reachedUs = w.endUs ?? rec.toUs;
        await this.#persist(rec);
        this.#reflectImport();
      }
      rec.done = true;
      rec.completedAt = new Date().toISOString();
      await this.#persist(rec);
      this.#reflectImport();
    } catch (err) {
      if (alive()) {
        status.import.state = 'failed';
        status.import.lastError = (err as Error).message;
      } else status.import.state = 'pending';
      throw err;
    } finally {
      if (status.import.state === 'running' && !rec.done) {
        status.import.state = 'pending';
        this.#reflectImport();
      }
      if (status.phase === 'import') status.phase = phase === 'import' ? 'done' : phase;
    }
    this.opts.log.info(`history import done: ${rec.points} points from the last ${rec.days} days`);
  }

  #reflectImport(): void {
    const rec = this.#import;
    const s = this.opts.status.import;
    if (!rec) return;
    s.days = rec.requested ? rec.days : Math.max(rec.days, this.opts.historyImportDays);
    s.origin = rec.requested ? 'request' : 'option';
    s.entities = rec.entities;
    s.from = microsToIso(rec.fromUs);
    s.to = microsToIso(rec.toUs);
    s.reached = microsToIso(rec.reachedUs);
    s.progress =
      rec.done || rec.toUs <= rec.fromUs
        ? 1
        : Math.min(1, Math.max(0, (rec.reachedUs - rec.fromUs) / (rec.toUs - rec.fromUs)));
    s.points = rec.points;
    s.completedAt = rec.completedAt;
    if (rec.done) s.state = !rec.requested && rec.days < this.opts.historyImportDays ? 'pending' : 'done';
    else if (rec.cancelled) s.state = 'cancelled';
    else if (!rec.requested && this.opts.historyImportDays <= 0) s.state = 'off';
    else s.state = s.state === 'running' || s.state === 'failed' ? s.state : 'pending';
  }
}
