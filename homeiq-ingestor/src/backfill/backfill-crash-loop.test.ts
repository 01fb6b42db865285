/**
 * The backfill under a crash loop: the ingestor is killed every few seconds, each time while the gap backfill of
 * its connection runs. The real Backfill, StatePipeline and state files on disk (a restart is a new Backfill on
 * the same data dir, a kill abandons the old one without its stop) against a scripted HA that answers history
 * like HA, slowly, for 5,000 entities (the entities written before count: a hostile or large home). Checks:
 * - history calls per connection are bounded (MAX_HISTORY_CALLS_PER_WINDOW per window, whatever the entities);
 * - each restart's gap starts at the last durable position (the last window done, or the tail of the last gap
 *   done), never back at the first crash: the re-read range does not grow with the number of crashes;
 * - every change HA recorded meanwhile is written, also one its recorder committed only after the window holding
 *   it was read (the position saved per window stops short of the last minutes before the connection).
 */
import { createLogger, LogSecrets } from '@homeiq/shared';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../../../dev/until.js';
import { testPipeline } from '../../../tests/harness/state-pipeline.js';
import { Backfill } from './backfill.js';
import { MAX_HISTORY_CALLS_PER_WINDOW } from './state-replay.js';
import type { HaSession } from '../ha/ha-session.js';
import { isoToMicros, microsToIso } from '../ha/history.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const S = 1_000_000;
const MIN = 60 * S;
const ENTITIES = 5000;
const ids = Array.from({ length: ENTITIES }, (_, i) => `sensor.e${i}`);
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** HA's recorder: rows per entity (µs), and a session that answers get_states and history after `delayMs`. */
class Recorder {
  readonly rows = new Map<string, number[]>();
  record(id: string, us: number): void {
    const r = this.rows.get(id) ?? [];
    r.push(us);
    this.rows.set(id, r);
  }
  /** `answered`: history calls answered; later ones wait until the connection closes (a kill in the middle). */
  session(
    n: number,
    delayMs: number,
    answered = Infinity,
  ): { session: HaSession; close(): void; history: Array<{ start: number }> } {
    let closed = false;
    const history: Array<{ start: number }> = [];
    const session: HaSession = {
      connection: n,
      get closed() {
        return closed;
      },
      ended: new Promise(() => undefined),
      command: async <T>(msg: Record<string, unknown>): Promise<T> => {
        await new Promise((r) => setTimeout(r, delayMs));
        if (closed) throw new Error('Home Assistant connection closed');
        if (msg['type'] === 'get_states')
          return [...this.rows].slice(0, 50).map(([id, r]) => ({
            entity_id: id,
            state: String(r.length),
            attributes: {},
            last_updated: microsToIso(r.at(-1) as number),
          })) as T;
        if (msg['type'] !== 'history/history_during_period') return null as T;
        const start = isoToMicros(msg['start_time'] as string) as number;
        const end = msg['end_time'] === undefined ? Infinity : (isoToMicros(msg['end_time'] as string) as number);
        history.push({ start });
        while (history.length > answered && !closed) await new Promise((r) => setTimeout(r, 5));
        if (closed) throw new Error('Home Assistant connection closed');
        const out: Record<string, unknown[]> = {};
        for (const id of msg['entity_ids'] as string[]) {
          const r = (this.rows.get(id) ?? [])
            .map((us, i) => ({ us, i }))
            .filter((x) => x.us > start && x.us < end)
            .map((x) => ({ s: String(x.i + 1), lu: x.us / 1e6 }));
          if (r.length) out[id] = r;
        }
        return out as T;
      },
    };
    const close = (): void => {
      closed = true;
    };
    return { session, history, close };
  }
}

/**
 * One life of the ingestor on `dir`: the real Backfill and StatePipeline writing into `written` (`entity@ns`),
 * connected to `ha` as connection `n`; no periodic save (a crash comes before it: kills every 8–12 s vs 10 s).
 */
async function startRun(
  dir: string,
  ha: Recorder,
  n: number,
  written: Set<string>,
  now: () => number,
  extra: { recorderSettleMs?: number; answered?: number } = {},
) {
  const sink = {
    append: (l: string) => {
      const m = / (\d+)$/.exec(l);
      written.add(`${/entity_id=([^, ]+)/.exec(l)?.[1]}@${m?.[1]}`);
      return true;
    },
  };
  const { digests, pipeline } = testPipeline({ sink });
  const backfill = new Backfill({
    dir,
    pipeline,
    digests,
    accepts: () => true,
    spool: { sync: async () => undefined },
    log,
    historyImportDays: 0,
    now,
    saveIntervalMs: 3_600_000,
    recorderSettleMs: extra.recorderSettleMs ?? 60_000, // killed before the tail pass, every time
  });
  await backfill.start();
  const conn = ha.session(n, 2, extra.answered);
  backfill.onConnected(conn.session);
  return { backfill, pipeline, conn };
}

describe('backfill in a crash loop', () => {
  it('bounds history calls per connection and never re-reads from the first crash', async () => {
    dir = await mkdtemp(join(tmpdir(), 'homeiq-crash-loop-'));
    const ha = new Recorder();
    let now = 1_795_000_000 * S; // HA's clock and ours, virtual
    // Every entity changed once before the first run: all of them are in the restart digests after run 1.
    for (const id of ids) ha.record(id, now - 10 * MIN);
    const written = new Set<string>();
    const runs: Array<{ connectedUs: number; calls: number; firstStart: number | undefined }> = [];

    const start = (n: number) => startRun(dir as string, ha, n, written, () => now);

    // Run 1: a fresh install; its snapshot and live events write every entity.
    let r = await start(1);
    for (const id of ids) r.pipeline.onEvent(liveEvent(id, now - 10 * MIN));
    await until('run 1 done', () => r.backfill.status().phase === 'done', 10_000);
    await r.backfill.save(); // run 1 lived long enough for its periodic save
    r.conn.close();
    let killedAt = now;

    for (let n = 2; n <= 7; n += 1) {
      // While the ingestor is down, HA records changes; then it starts again, connects, and is killed while
      // its gap backfill runs or right after it (before the tail pass).
      now += 10 * MIN;
      for (let i = 0; i < 20; i += 1) ha.record(ids[(n * 37 + i * 101) % ENTITIES] as string, now - 5 * MIN + i * S);
      r = await start(n);
      const connectedUs = now;
      // Killed once the gap is done and saved (its snapshot has run) or after 45 history calls, whichever comes
      // first: the time a crash loop leaves a connection. 5000 entities 50 at a time would need 100 calls.
      const run = r;
      await until(
        `run ${n} killed`,
        () => run.backfill.status().snapshot.at !== undefined || run.conn.history.length >= 45,
        20_000,
      );
      r.conn.close(); // SIGKILL: no stop, no final save
      runs.push({ connectedUs, calls: r.conn.history.length, firstStart: r.conn.history[0]?.start });
      killedAt = now;
    }
    expect(killedAt).toBeGreaterThan(0);

    for (const [i, run] of runs.entries()) {
      // One open window (the gap is under an hour) of at most MAX_HISTORY_CALLS_PER_WINDOW calls: 5000 entities
      // asked 50 at a time would be 100 calls.
      expect(run.calls, `run ${i + 2}`).toBeLessThanOrEqual(MAX_HISTORY_CALLS_PER_WINDOW);
      // It starts where the previous connection's durable position was: its gap's tail (5 min before it
      // connected, less the 2 s overlap), not the first crash 10 minutes × i earlier.
      const previous = i === 0 ? undefined : runs[i - 1];
      if (previous)
        expect(run.firstStart, `run ${i + 2}`).toBeGreaterThanOrEqual(previous.connectedUs - 5 * MIN - 2 * S - 1);
    }
    // Nothing HA recorded is missing.
    for (const [id, rows] of ha.rows)
      for (const us of rows) expect(written.has(`${id}@${us}000`), `${id}@${us}`).toBe(true);
  }, 60_000);

  it("never saves a position inside the recorder's last minutes: a change HA commits late is re-read after a crash", async () => {
    const dir2 = await mkdtemp(join(tmpdir(), 'homeiq-crash-tail-'));
    try {
      const ha = new Recorder();
      const few = ids.slice(0, 10);
      let now = 1_795_000_000 * S;
      for (const id of few) ha.record(id, now - 10 * MIN);
      const written = new Set<string>();
      const start = (n: number, extra = {}) => startRun(dir2, ha, n, written, () => now, extra);

      // Run 1 (fresh install) sees every entity live: the last event seen is L = now - 10 min.
      let r = await start(1);
      for (const id of few) r.pipeline.onEvent(liveEvent(id, now - 10 * MIN));
      await until('run 1 done', () => r.backfill.status().phase === 'done', 10_000);
      await r.backfill.save();
      r.conn.close();

      // Run 2 connects at L + 62 min. Its gap [L - 2 s, now) is one whole window of an hour, ending 2 min 2 s
      // before it connected, then an open one. A change 3 minutes before the connection is in that first window,
      // but HA's recorder commits it only after the window was read (it commits every few seconds, and a
      // connection's first minutes are why the gap's tail is read again later). Run 2 is killed while it asks
      // for the open window, after it saved the first one.
      now += 52 * MIN;
      const late = now - 3 * MIN;
      r = await start(2, { answered: 1 });
      const run2 = r;
      await until('run 2 read its first window and saved', () => run2.conn.history.length >= 2, 10_000);
      ha.record(few[3] as string, late);
      r.conn.close(); // killed before the tail pass

      // Run 3, a minute later, lives to the end of its gap and tail. The entity changed again meanwhile, so
      // only the history has the late change (the snapshot shows the newer state).
      now += MIN;
      ha.record(few[3] as string, now - 10 * S);
      r = await start(3, { recorderSettleMs: 0 });
      const run3 = r;
      await until('run 3 done', () => run3.backfill.status().phase === 'done', 10_000);
      r.conn.close();
      expect(written.has(`${few[3]}@${late}000`), 'the change committed late').toBe(true);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  }, 60_000);
});

function liveEvent(id: string, us: number) {
  const t = microsToIso(us);
  return {
    event_type: 'state_changed',
    time_fired: t,
    data: {
      entity_id: id,
      old_state: null,
      new_state: { entity_id: id, state: '1', attributes: {}, last_updated: t, last_changed: t },
    },
  };
}
