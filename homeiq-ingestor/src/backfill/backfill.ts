import type { Logger, Service } from '@homeiq/shared';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { RegistryEnricher } from '../enrich/registry.js';
import type { HaSession } from '../ha/ha-socket.js';
import { historyCommand, historyRowToState, isoToMicros, microsToIso } from '../ha/history.js';
import type { Digest, StateDigests } from '../points/restart-digest.js';
import type { StatePipeline } from '../points/state-pipeline.js';
import { isHaState } from '../points/state-to-points.js';
import { batches, planWindows, type Window } from './chunks.js';

/**
 * What happens on every (re)connection to Home Assistant, as one task beside the socket reader (which never
 * waits on it; it only feeds the spool through the StatePipeline):
 * 1. the registries are read (enrichment), live events held meanwhile;
 * 2. the gap backfill: every recorded change from the last event seen before the connection was lost to now,
 *    through `history/history_during_period`, chunked by time window and entity batch (entities: those of a
 *    `get_states` fetched first, plus those we wrote before);
 * 3. the `get_states` snapshot: one point per state at its own `last_updated` (idempotent), after the gap so
 *    a restart artefact among the states is compared with the change before it;
 * 4. the gap's tail once more, `recorderSettleMs` later: `history_during_period` reads only what HA's recorder
 *    has committed (every `commit_interval`, 1-5 s), so a change made just before our subscription may be in
 *    neither the first reply nor the live events, nor the snapshot when it was superseded meanwhile. Until this
 *    pass is done the tail stays the persisted gap (a crash or a drop meanwhile backfills it next time);
 * 5. the first-install history import of the last `history_import_days` days, resumable.
 * Order against live events does not matter: every point carries HA's own timestamp.
 *
 * Persisted in `<data dir>/backfill/`, always after the spool's fsync of everything they account for:
 * `state.json` (last event seen, an unfinished gap's position, the restart digests) every `saveIntervalMs`
 * and at stop; `import.json` (the import's range and how far it got) after every window.
 */

export interface BackfillOptions {
  dir: string;
  pipeline: StatePipeline;
  digests: StateDigests;
  enricher?: RegistryEnricher | undefined;
  /** The include/exclude rules: entities they reject are not asked for. */
  accepts(entityId: string): boolean;
  spool: { sync(): Promise<void> };
  log: Logger;
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

export type ImportState = 'off' | 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/** Bounds of an import asked for through the API (`POST /api/import`). */
export const IMPORT_MAX_DAYS = 3650;
export const IMPORT_MAX_ENTITIES = 1000;

/** Read by the HTTP side for `/api/status` (the panel's progress). Times are ISO 8601 UTC. */
export interface BackfillStatus {
  /** What the task for the current connection is doing. */
  phase: 'idle' | 'registries' | 'snapshot' | 'gap' | 'import' | 'done' | 'failed';
  /** HA connection number the phase belongs to. */
  connection: number;
  snapshot: { at: string | undefined; states: number; written: number };
  gap: {
    from: string | undefined;
    windowsDone: number;
    windowsTotal: number;
    points: number;
    completedAt: string | undefined;
    lastError: string | undefined;
  };
  import: {
    state: ImportState;
    days: number;
    from: string | undefined;
    to: string | undefined;
    /** How far (in HA time) the import got; it resumes from here. */
    reached: string | undefined;
    /** 0…1 */
    progress: number;
    points: number;
    completedAt: string | undefined;
    lastError: string | undefined;
    /** `option` (first-install, history_import_days) or `request` (POST /api/import). */
    origin: 'option' | 'request' | undefined;
    /** The entities asked for; undefined = every entity HA has (the include/exclude rules apply). */
    entities: string[] | undefined;
    /** When the current run started (ISO), and its estimated seconds left from the pace so far. */
    startedAt: string | undefined;
    etaSeconds: number | undefined;
  };
  skipped: { restartDuplicates: number; alreadyWritten: number };
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

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
const YIELD_EVERY = 500;
/** The tail asked for again: changes the recorder may not have committed when the gap was read (bounded for a busy HA). */
const TAIL_US = 5 * 60_000_000;

/** The state before `t` (or at it): the newer of the previous history row and what we last wrote. */
function latestUpTo(t: number, ...candidates: Array<Digest | undefined>): Digest | undefined {
  let best: Digest | undefined;
  for (const c of candidates) if (c && c.t <= t && (!best || c.t > best.t)) best = c;
  return best;
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export class Backfill implements Service {
  readonly name = 'history backfill';
  #runId = 0;
  #run: Promise<void> | undefined;
  #stopped = false;
  /** Start of a gap not yet fully backfilled (µs), persisted until it is. */
  #gapFromUs: number | undefined;
  #import: ImportRecord | undefined;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;
  #savedKey = '';
  readonly #status: BackfillStatus;

  constructor(private readonly opts: BackfillOptions) {
    this.#status = {
      phase: 'idle',
      connection: 0,
      snapshot: { at: undefined, states: 0, written: 0 },
      gap: { from: undefined, windowsDone: 0, windowsTotal: 0, points: 0, completedAt: undefined, lastError: undefined },
      import: {
        state: opts.historyImportDays > 0 ? 'pending' : 'off', days: opts.historyImportDays, from: undefined, to: undefined,
        reached: undefined, progress: 0, points: 0, completedAt: undefined, lastError: undefined,
        origin: opts.historyImportDays > 0 ? 'option' : undefined, entities: undefined, startedAt: undefined, etaSeconds: undefined,
      },
      skipped: { restartDuplicates: 0, alreadyWritten: 0 },
    };
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
      import: { ...s.import, entities: s.import.entities ? [...s.import.entities] : undefined, etaSeconds: this.#eta() },
      skipped: { restartDuplicates: p.restartDuplicatesSkipped, alreadyWritten: p.alreadyWritten },
    };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await mkdir(this.opts.dir, { recursive: true });
    const state = (await readJson(join(this.opts.dir, 'state.json'))) as { lastSeenUs?: unknown; gapFromUs?: unknown; digests?: unknown } | undefined;
    if (state) {
      if (typeof state.lastSeenUs === 'number') this.opts.pipeline.lastSeenUs = state.lastSeenUs;
      if (typeof state.gapFromUs === 'number') this.#gapFromUs = state.gapFromUs;
      this.opts.digests.load(state.digests);
    }
    const rec = (await readJson(join(this.opts.dir, 'import.json'))) as ImportRecord | undefined;
    if (rec && typeof rec.fromUs === 'number' && typeof rec.toUs === 'number' && typeof rec.reachedUs === 'number') this.#import = rec;
    this.#reflectImport();
    this.#savedKey = this.#stateKey();
    const every = this.opts.saveIntervalMs ?? 10_000;
    this.#timer = setInterval(() => void this.save().catch((err: unknown) => this.opts.log.warn(`could not save the backfill state: ${(err as Error).message}`)), every);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#runId += 1;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.opts.enricher?.stop();
    this.opts.pipeline.release();
    await this.save();
  }

  /** For HaSocket.onConnected. Synchronous: captures where the gap starts, then runs the task in the background. */
  onConnected(session: HaSession): void {
    if (this.#stopped) return;
    const runId = ++this.#runId;
    const connectedUs = this.#now;
    const seen = this.opts.pipeline.lastSeenUs;
    const from = this.#gapFromUs === undefined ? seen : seen === undefined ? this.#gapFromUs : Math.min(seen, this.#gapFromUs);
    this.#gapFromUs = from;
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
        if (!session.closed) this.opts.log.warn(`backfill after connecting stopped: ${(err as Error).message}; it runs again on the next connection`);
      });
    this.#run = run;
  }

  /** Persists the last event seen, the unfinished gap and the digests, once the spool holds what they describe. */
  async save(): Promise<void> {
    while (this.#saving) await this.#saving;
    const key = this.#stateKey();
    if (key === this.#savedKey && !this.opts.digests.dirty) return;
    const body = JSON.stringify({
      version: 1,
      lastSeenUs: this.opts.pipeline.lastSeenUs,
      gapFromUs: this.#gapFromUs,
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
    return `${this.opts.pipeline.lastSeenUs}/${this.#gapFromUs}`;
  }

  async #task(session: HaSession, runId: number, connectedUs: number): Promise<void> {
    const alive = (): boolean => runId === this.#runId && !session.closed && !this.#stopped;
    const log = this.opts.log;
    this.#prev.clear();
    if (this.opts.enricher) {
      this.#status.phase = 'registries';
      try {
        await this.opts.enricher.refresh(session);
      } catch (err) {
        if (alive()) log.warn(`could not read HA's registries (${(err as Error).message}); points are written without area/floor/device/label tags until the next refresh`);
      } finally {
        if (runId === this.#runId) this.opts.pipeline.release();
      }
    }
    if (!alive()) return;

    // The snapshot is fetched first (it names the entities to backfill) but written after the gap: the gap
    // replays the changes in order, so a restart artefact among the current states is recognised against them.
    this.#status.phase = 'snapshot';
    const reply = await session.command<unknown[]>({ type: 'get_states' });
    if (!alive()) return;
    const states = (Array.isArray(reply) ? reply : []).filter(isHaState);
    const ids = new Set(states.map((s) => s.entity_id).filter((id) => this.opts.accepts(id)));

    const gapFrom = this.#gapFromUs;
    // Entities we wrote before (the digests) too: one removed during the gap still has recorded changes.
    const gapIds = new Set(ids);
    if (gapFrom !== undefined) for (const id of this.opts.digests.ids()) if (this.opts.accepts(id)) gapIds.add(id);
    if (gapFrom !== undefined) {
      this.#status.phase = 'gap';
      const windows = planWindows(gapFrom - (this.opts.overlapUs ?? 2_000_000), undefined, this.opts.windowUs ?? HOUR_US, this.#now);
      const g = this.#status.gap;
      Object.assign(g, { from: microsToIso(gapFrom), windowsDone: 0, windowsTotal: windows.length, points: 0, lastError: undefined });
      try {
        for (const w of windows) {
          g.points += await this.#window(session, w, [...gapIds].sort(), alive);
          if (!alive()) return;
          g.windowsDone += 1;
          if (w.endUs !== undefined) this.#gapFromUs = w.endUs;
        }
      } catch (err) {
        if (alive()) g.lastError = (err as Error).message;
        throw err;
      }
      // Not closed yet: the tail the recorder may not have committed is asked for again below.
      this.#gapFromUs = Math.max(gapFrom, connectedUs - TAIL_US);
      g.completedAt = new Date().toISOString();
      log.info(`backfilled the gap since ${microsToIso(gapFrom)} from Home Assistant's recorder: ${g.points} points`);
      void this.save().catch(() => undefined);
    }

    this.#status.phase = 'snapshot';
    let written = 0;
    let newest: number | undefined;
    for (const [i, s] of states.entries()) {
      const t = isoToMicros(s.last_updated);
      if (t !== undefined && (newest === undefined || t > newest)) newest = t;
      // Compared like a history row: with what was in effect at its time (a live write may already be newer).
      const prev = t === undefined ? undefined : latestUpTo(t, this.#prev.get(s.entity_id), this.opts.digests.at(s.entity_id, t));
      if (this.opts.pipeline.writeState(s, prev).written) written += 1;
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop();
      if (!alive()) return;
    }
    this.#status.snapshot = { at: new Date().toISOString(), states: states.length, written };
    // First connection ever: from now on, a lost connection is backfilled from the newest state HA showed us.
    if (this.opts.pipeline.lastSeenUs === undefined && newest !== undefined) this.opts.pipeline.lastSeenUs = newest;
    log.debug(`snapshot: ${written} of ${states.length} states written`);

    const tailFrom = this.#gapFromUs;
    if (gapFrom !== undefined && tailFrom !== undefined) {
      this.#status.phase = 'gap';
      await this.#pause(this.opts.recorderSettleMs ?? 12_000, alive);
      if (!alive()) return;
      let points = 0;
      for (const w of planWindows(tailFrom - (this.opts.overlapUs ?? 2_000_000), undefined, this.opts.windowUs ?? HOUR_US, this.#now)) {
        points += await this.#window(session, w, [...gapIds].sort(), alive);
        if (!alive()) return;
      }
      this.#gapFromUs = undefined;
      this.#status.gap.points += points;
      log.debug(`gap tail since ${microsToIso(tailFrom)} asked again once HA's recorder had committed it: ${points} points`);
      void this.save().catch(() => undefined);
    }

    this.#session = session;
    this.#sessionIds = [...ids].sort();
    await this.#startImport(session, this.#sessionIds, alive);
    if (alive()) this.#status.phase = 'done';
  }

  /**
   * `POST /api/import`: (re)starts an import of the last `days` days, of `entities` or of every entity HA has (the
   * include/exclude rules apply either way). One import at a time: a running one is stopped at its next batch and
   * replaced. Resumable like the first-install import (`import.json`); without a connection it waits for the next.
   */
  async requestImport(req: { days: number; entities?: readonly string[] | undefined }): Promise<BackfillStatus['import']> {
    if (!(Number.isInteger(req.days) && req.days >= 1 && req.days <= IMPORT_MAX_DAYS)) throw new RangeError(`days must be an integer from 1 to ${IMPORT_MAX_DAYS}`);
    if (req.entities && (req.entities.length === 0 || req.entities.length > IMPORT_MAX_ENTITIES)) throw new RangeError(`entities: 1 to ${IMPORT_MAX_ENTITIES}, or none for all`);
    await this.#haltImport();
    const now = this.#now;
    const fromUs = now - req.days * DAY_US;
    const entities = req.entities ? [...new Set(req.entities)].sort() : undefined;
    this.#import = { days: req.days, fromUs, toUs: now, reachedUs: fromUs, done: false, points: 0, requested: true, entities };
    Object.assign(this.#status.import, { state: 'pending', lastError: undefined, completedAt: undefined, startedAt: undefined });
    this.#runStart = undefined;
    await writeAtomic(join(this.opts.dir, 'import.json'), JSON.stringify(this.#import));
    this.#reflectImport();
    this.opts.log.info(`history import of the last ${req.days} days requested (${entities ? `${entities.length} entities` : 'all entities'})`);
    this.#kickImport();
    return this.status().import;
  }

  /** `DELETE /api/import`: stops the running or pending import; what it wrote stays. `cancelled` is false when there was none. */
  async cancelImport(): Promise<{ cancelled: boolean; import: BackfillStatus['import'] }> {
    await this.#haltImport();
    const rec = this.#import;
    const cancelled = rec !== undefined && !rec.done && !rec.cancelled;
    if (rec && cancelled) {
      rec.cancelled = true;
      await writeAtomic(join(this.opts.dir, 'import.json'), JSON.stringify(rec));
      this.opts.log.info(`history import cancelled at ${microsToIso(rec.reachedUs)} (${rec.points} points written)`);
    }
    this.#reflectImport();
    return { cancelled, import: this.status().import };
  }

  /** The session of the current connection and the entities its snapshot named (for an import asked for later). */
  #session: HaSession | undefined;
  #sessionIds: string[] = [];
  /** Bumped to stop the running import (a new request, a cancel). */
  #importGen = 0;
  #importRun: Promise<void> | undefined;
  #runStart: { atMs: number; progress: number } | undefined;

  async #haltImport(): Promise<void> {
    this.#importGen += 1;
    await this.#importRun?.catch(() => undefined);
  }

  #kickImport(): void {
    const session = this.#session;
    if (!session || session.closed || this.#stopped) return;
    this.#startImport(session, this.#sessionIds, () => !session.closed && !this.#stopped).catch((err: unknown) => {
      if (!session.closed) this.opts.log.warn(`history import stopped: ${(err as Error).message}; it resumes on the next connection`);
    });
  }

  /** One runner at a time: runs are chained; a run started under an older generation does nothing. */
  #startImport(session: HaSession, ids: string[], alive: () => boolean): Promise<void> {
    const gen = this.#importGen;
    const run = (this.#importRun ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => (gen === this.#importGen ? this.#runImport(session, ids, () => alive() && gen === this.#importGen) : undefined));
    this.#importRun = run;
    return run;
  }

  #eta(): number | undefined {
    const s = this.#status.import;
    const r = this.#runStart;
    if (s.state !== 'running' || !r) return undefined;
    const done = s.progress - r.progress;
    const elapsed = (Date.now() - r.atMs) / 1000;
    if (done <= 0 || elapsed <= 0) return undefined;
    return Math.max(0, Math.round((elapsed / done) * (1 - s.progress)));
  }

  async #runImport(session: HaSession, allIds: string[], alive: () => boolean): Promise<void> {
    const days = this.opts.historyImportDays;
    const now = this.#now;
    let rec = this.#import;
    // An import asked for through the API replaces the first-install one (the option does not extend it).
    if (days > 0 && (!rec || (!rec.requested && rec.days < days))) {
      // First import, or the option was raised: import what lies before what we already have.
      const fromUs = now - days * DAY_US;
      rec = { days, fromUs, toUs: rec ? Math.min(rec.fromUs, rec.reachedUs) : now, reachedUs: fromUs, done: false, points: 0 };
      if (rec.toUs <= rec.fromUs) rec = { ...rec, toUs: rec.fromUs, done: true };
      this.#import = rec;
      await writeAtomic(join(this.opts.dir, 'import.json'), JSON.stringify(rec));
      this.#reflectImport();
    }
    if (!rec || rec.done || rec.cancelled) return;
    const ids = rec.entities ? rec.entities.filter((id) => this.opts.accepts(id)) : allIds;
    const phase = this.#status.phase;
    this.#status.phase = 'import';
    this.#status.import.state = 'running';
    this.#status.import.startedAt = new Date().toISOString();
    this.#runStart = { atMs: Date.now(), progress: this.#status.import.progress };
    this.opts.log.info(`importing Home Assistant's history from ${microsToIso(rec.reachedUs)} to ${microsToIso(rec.toUs)} (${rec.days} days, ${ids.length} entities)`);
    const span = rec.toUs - rec.fromUs;
    try {
      for (const w of planWindows(rec.reachedUs, rec.toUs, this.opts.windowUs ?? HOUR_US, now)) {
        const r = rec;
        const onBatch = (done: number, total: number): void => {
          const at = w.startUs + ((w.endUs ?? r.toUs) - w.startUs) * (done / total);
          if (span > 0) this.#status.import.progress = Math.min(1, Math.max(0, (at - r.fromUs) / span));
        };
        const points = await this.#window(session, w, ids, alive, onBatch);
        if (!alive()) return;
        rec.points += points;
        rec.reachedUs = w.endUs ?? rec.toUs;
        await writeAtomic(join(this.opts.dir, 'import.json'), JSON.stringify(rec));
        this.#reflectImport();
      }
      rec.done = true;
      rec.completedAt = new Date().toISOString();
      await writeAtomic(join(this.opts.dir, 'import.json'), JSON.stringify(rec));
      this.#reflectImport();
    } catch (err) {
      if (alive()) {
        this.#status.import.state = 'failed';
        this.#status.import.lastError = (err as Error).message;
      } else this.#status.import.state = 'pending';
      throw err;
    } finally {
      if (this.#status.import.state === 'running' && !rec.done) {
        this.#status.import.state = 'pending';
        this.#reflectImport();
      }
      if (this.#status.phase === 'import') this.#status.phase = phase === 'import' ? 'done' : phase;
    }
    this.opts.log.info(`history import done: ${rec.points} points from the last ${rec.days} days`);
  }

  #reflectImport(): void {
    const rec = this.#import;
    const s = this.#status.import;
    if (!rec) return;
    s.days = rec.requested ? rec.days : Math.max(rec.days, this.opts.historyImportDays);
    s.origin = rec.requested ? 'request' : 'option';
    s.entities = rec.entities;
    s.from = microsToIso(rec.fromUs);
    s.to = microsToIso(rec.toUs);
    s.reached = microsToIso(rec.reachedUs);
    s.progress = rec.done || rec.toUs <= rec.fromUs ? 1 : Math.min(1, Math.max(0, (rec.reachedUs - rec.fromUs) / (rec.toUs - rec.fromUs)));
    s.points = rec.points;
    s.completedAt = rec.completedAt;
    if (rec.done) s.state = !rec.requested && rec.days < this.opts.historyImportDays ? 'pending' : 'done';
    else if (rec.cancelled) s.state = 'cancelled';
    else if (!rec.requested && this.opts.historyImportDays <= 0) s.state = 'off';
    else s.state = s.state === 'running' || s.state === 'failed' ? s.state : 'pending';
  }

  /**
   * One time window for every entity, batch by batch; each row goes through the pipeline compared with the
   * state before it in HA's history (so a restart artefact inside the range is recognised too). Returns the
   * points written, once they are durable in the spool.
   */
  async #window(session: HaSession, w: Window, ids: string[], alive: () => boolean, onBatch?: (done: number, total: number) => void): Promise<number> {
    let written = 0;
    const all = batches(ids, this.opts.batchSize ?? 50);
    for (const [bi, batch] of all.entries()) {
      // HA's bounds are exclusive: ask from 1 µs before the window so a state exactly at its start is included.
      const reply = await session.command<Record<string, unknown>>(historyCommand(batch, w.startUs - 1, w.endUs));
      if (!alive()) return written;
      let n = 0;
      for (const [entityId, rows] of Object.entries(reply ?? {})) {
        if (!Array.isArray(rows)) continue;
        for (const row of rows) {
          const state = historyRowToState(entityId, row);
          if (!state) continue;
          const t = isoToMicros(state.last_updated) ?? 0;
          const out = this.opts.pipeline.writeState(state, latestUpTo(t, this.#prev.get(entityId), this.opts.digests.at(entityId, t)));
          if (out.written) written += 1;
          if (out.digest) this.#prev.set(entityId, out.digest);
          if (++n % YIELD_EVERY === 0) await yieldToLoop();
        }
      }
      await this.opts.spool.sync();
      onBatch?.(bi + 1, all.length);
    }
    return written;
  }

  /** Waits `ms`, or less when the run is no longer alive (a new connection, a drop, stop). */
  async #pause(ms: number, alive: () => boolean): Promise<void> {
    const end = Date.now() + ms;
    while (alive() && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(200, end - Date.now())));
  }

  /** The last history row seen per entity in the current run (bounded by the number of entities). */
  #prev = new Map<string, Digest>();
}
