/**
 * Unit tests of the recovery of states the spool refused while full (the bookkeeping is in refused-ranges.test.ts):
 * the refill's flow control against a scripted HA and a spool that fills up (SpoolRefill), and the wiring in the
 * backfill (persistence in state.json, gap windows the spool refused points during, the import waiting for room).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isoToMicros, microsToIso } from '../ha/history.js';
import {
  backfillRig as rig,
  expected,
  HISTORY,
  NOW,
  refillRig,
  S,
  scriptedSession,
  sleep,
  T0,
  withRefill,
  written,
} from '../../../tests/harness/refill.js';
import { until, type UntilOptions } from '../../../dev/until.js';

/** The refill moves in small steps: poll often, and fail fast. */
const POLL: UntilOptions = { ms: 3000, everyMs: 2 };

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('spool refill', () => {
  it('records the refused period in HA time (last event seen, minus the overlap, to the last seen when there is room)', () => {
    const r = refillRig();
    r.pipeline.lastSeenUs = T0 + 5 * S;
    r.refill.onFullChange(true);
    expect(r.ranges.openFromUs).toBe(T0 + 3 * S);
    expect(r.spoolCheck()?.status).toBe('red');
    expect(r.refill.status()).toMatchObject({
      state: 'pending',
      pending: [{ from: microsToIso(T0 + 3 * S), to: undefined }],
    });
    r.pipeline.lastSeenUs = T0 + 9 * S; // refused live states moved it on
    r.refill.onFullChange(false);
    expect(r.ranges.list()).toEqual([{ fromUs: T0 + 3 * S, toUs: T0 + 9 * S + 1 }]);
    expect(r.spoolCheck()).toMatchObject({
      status: 'amber',
      reason: expect.stringMatching(
        /^recovering states refused while the spool was full \(from HA's recorder\)/,
      ) as unknown,
    });
    r.pipeline.lastSeenUs = T0 + 10 * S;
    r.refill.onFullChange(true); // full again within the overlap: one range
    r.pipeline.lastSeenUs = T0 + 12 * S;
    r.refill.onFullChange(false);
    expect(r.ranges.list()).toEqual([{ fromUs: T0 + 3 * S, toUs: T0 + 12 * S + 1 }]);
    expect(r.refill.status().pendingSeconds).toBeCloseTo(9, 5);
  });

  it('waits for room (below the low-water mark) and a connection, then writes every recorded state of the range', () =>
    withRefill([T0 + 5 * S, T0 + 15 * S], async (r) => {
      const { session, history } = scriptedSession(HISTORY);
      r.spool.bytes = 600; // above half of maxBytes
      r.refill.attach(session);
      await sleep(30);
      expect(history()).toEqual([]);
      expect(r.refill.status().state).toBe('pending');
      r.spool.bytes = 400;
      await until('the refill done', () => r.refill.status().state === 'idle', POLL);
      expect(written(r.spool).sort()).toEqual(expected(HISTORY, T0 + 5 * S, T0 + 15 * S).sort());
      expect(r.refill.status()).toMatchObject({ state: 'idle', pending: [], recovered: 30, pauses: 0 });
      expect(r.spoolCheck()).toMatchObject({ status: 'green' });
      expect(r.logs.some((l) => /INFO .*recovering states refused while the spool was full .*3 entities/.test(l))).toBe(
        true,
      );
      expect(
        r.logs.some((l) =>
          /INFO .*recovered states refused while the spool was full: 30 states written from HA's recorder \(1 window, 0 pauses/.test(
            l,
          ),
        ),
      ).toBe(true);
    }));

  it('stops a window at the first refused point, keeps the range from that window on, and resumes there once there is room', () =>
    withRefill([T0, T0 + 20 * S], async (r) => {
      r.pipeline.lastSeenUs = NOW;
      r.spool.capacity = 7; // live events fill the spool while the refill writes
      const { session, history } = scriptedSession(HISTORY);
      r.refill.attach(session);
      await until('the pause', () => r.refill.status().pauses === 1, POLL);
      expect(r.spool.refused).toBe(1); // stopped at once: no point after the first refused one is tried
      expect(r.spool.lines.length).toBe(7);
      expect(r.ranges.first()?.fromUs).toBe(T0); // the window was not done: kept whole
      expect(r.refill.status().state).toBe('pending');
      expect(r.spoolCheck()?.status).toBe('red');
      expect(r.logs.some((l) => /paused at .*the spool refused points again/.test(l))).toBe(true);
      const asked = history().length;
      await sleep(30);
      expect(history().length, 'no window while the spool is full').toBe(asked);

      r.spool.drain(); // room again: the period refused meanwhile (around the last event seen) joins the ranges
      await until('the refill done', () => r.refill.status().state === 'idle', POLL);
      const got = new Set(written(r.spool));
      for (const e of expected(HISTORY, T0, T0 + 20 * S)) expect(got.has(e), e).toBe(true);
      expect(r.ranges.empty).toBe(true);
      // Resumed with a smaller window (half of the one stopped), then growing again.
      const starts = history()
        .slice(asked)
        .map((m) => isoToMicros(m['start_time'] as string) as number);
      expect(Math.min(...starts)).toBe(T0 - 1);
      const ends = history()
        .slice(asked)
        .map((m) => isoToMicros(m['end_time'] as string) as number);
      expect(ends).toContain(T0 + 10 * S);
      expect(r.spoolCheck()?.status).toBe('green');
    }));

  it('paces the rows of a window above the high-water mark instead of letting the spool refuse them', () =>
    withRefill([T0, T0 + 20 * S], async (r) => {
      r.spool.pointBytes = 100; // 8 points reach the high-water mark (0.8 × 1000)
      const { session } = scriptedSession(HISTORY);
      r.refill.attach(session);
      await until('the high-water mark', () => r.spool.bytes >= 800, POLL);
      await sleep(30);
      expect(r.spool.lines.length).toBe(8); // waits with the reply in hand
      r.spool.bytes = 0; // InfluxDB took them
      await until('the high-water mark again', () => r.spool.bytes >= 800, POLL);
      r.spool.pointBytes = 0;
      r.spool.bytes = 0;
      await until('the refill done', () => r.refill.status().state === 'idle', POLL);
      expect(written(r.spool).sort()).toEqual(expected(HISTORY, T0, T0 + 20 * S).sort());
      expect(r.spool.refused).toBe(0);
      expect(r.refill.status()).toMatchObject({ recovered: 60, pauses: 0 });
    }));

  it('does nothing more once its connection is closed, and resumes on the next one', () =>
    withRefill(
      [T0, T0 + 20 * S],
      async (r) => {
        const first = scriptedSession(HISTORY);
        r.spool.pointBytes = 100;
        r.refill.attach(first.session);
        await until('the high-water mark', () => r.spool.bytes >= 800, POLL);
        first.session.close();
        r.spool.pointBytes = 0;
        r.spool.bytes = 0;
        await sleep(30);
        expect(r.refill.status().state).toBe('pending');
        const second = scriptedSession(HISTORY);
        r.refill.attach(second.session);
        await until('the refill done', () => r.refill.status().state === 'idle', POLL);
        expect(new Set(written(r.spool))).toEqual(new Set(expected(HISTORY, T0, T0 + 20 * S)));
      },
      { windowUs: 5 * S },
    ));
});

describe('refill in the backfill', () => {
  const backfillRig = (dir?: string, extra: { historyImportDays?: number } = {}) => rig(dirs, dir, extra);

  it('persists the refused ranges in state.json; a range open at the stop is closed at the last event seen', async () => {
    const a = await backfillRig();
    a.pipeline.lastSeenUs = T0 + 5 * S;
    a.backfill.onSpoolFullChange(true);
    a.pipeline.lastSeenUs = T0 + 8 * S;
    await a.backfill.stop();
    const saved = JSON.parse(await readFile(join(a.dir, 'state.json'), 'utf8')) as {
      refused?: unknown;
      lastSeenUs?: number;
    };
    expect(saved).toMatchObject({ lastSeenUs: T0 + 8 * S, refused: { ranges: [], openFromUs: T0 + 3 * S } });
    const b = await backfillRig(a.dir);
    try {
      expect(b.backfill.status().refill).toMatchObject({
        state: 'pending',
        pending: [{ from: microsToIso(T0 + 3 * S), to: microsToIso(T0 + 8 * S + 1) }],
      });
      expect(b.health.report().checks.find((c) => c.name === 'spool')?.status).toBe('amber');
      const { session } = scriptedSession(HISTORY);
      b.backfill.onConnected(session);
      await until('the refill done', () => b.backfill.status().refill.state === 'idle', POLL);
      for (const e of expected(HISTORY, T0 + 3 * S, T0 + 8 * S + 1)) expect(written(b.spool)).toContain(e);
    } finally {
      await b.backfill.stop();
    }
    const after = JSON.parse(await readFile(join(a.dir, 'state.json'), 'utf8')) as { refused?: unknown };
    expect(after.refused).toEqual({ ranges: [] });
  });

  it('hands a gap window the spool refused points during to the refill, which writes it once there is room', async () => {
    const r = await backfillRig();
    try {
      r.pipeline.lastSeenUs = T0 + 2 * S; // the gap: from here to now
      r.spool.capacity = 10;
      const { session } = scriptedSession(HISTORY);
      r.backfill.onConnected(session);
      await until('the gap done', () => r.backfill.status().gap.completedAt !== undefined, POLL);
      expect(r.spool.refused).toBeGreaterThan(0);
      expect(r.backfill.status().refill.state).toBe('pending');
      expect(r.backfill.status().refill.pending[0]?.from).toBe(microsToIso(T0)); // the gap's first window (2 s overlap)
      r.spool.drain();
      await until(
        'the refill done',
        () => r.backfill.status().refill.state === 'idle' && r.backfill.status().phase === 'done',
        POLL,
      );
      const got = new Set(written(r.spool));
      for (const e of expected(HISTORY, T0 + 2 * S, NOW)) expect(got.has(e), e).toBe(true);
      expect(r.backfill.status().refill.recovered).toBeGreaterThan(0);
    } finally {
      await r.backfill.stop();
    }
  });

  it('starts an import window only when the spool has room', async () => {
    const r = await backfillRig(undefined, { historyImportDays: 1 });
    try {
      r.spool.bytes = 900;
      const { session, history } = scriptedSession(HISTORY);
      r.backfill.onConnected(session);
      await until('the import running', () => r.backfill.status().import.state === 'running', POLL);
      await sleep(30);
      expect(history()).toEqual([]);
      r.spool.bytes = 0;
      await until('the import done', () => r.backfill.status().import.state === 'done', POLL);
      expect(
        written(r.spool)
          .filter((l) => !l.endsWith('=x'))
          .sort(),
      ).toEqual(expected(HISTORY, NOW - 24 * 3600 * S, NOW).sort());
    } finally {
      await r.backfill.stop();
    }
  });
});
