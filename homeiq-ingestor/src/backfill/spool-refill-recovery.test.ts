/**
 * Unit tests of what the refill must not lose (the flow control is in spool-refill.test.ts): the "state
 * before" across ranges, the recorder settle of a range closed during a run, failing windows, and the import
 * windows it takes over (durable before the import moves on, with entities HA no longer has).
 */
import { Backoff } from '@homeiq/shared';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isoToMicros, microsToIso } from '../ha/history.js';
import {
  backfillRig,
  HISTORY,
  historyAnswer,
  NOW,
  refillRig,
  S,
  scriptedSession,
  sleep,
  T0,
  withRefill,
  written,
  type Rows,
} from '../../../tests/harness/refill.js';
import { until, type UntilOptions } from '../../../dev/until.js';

/** The refill moves in small steps: poll often, and fail fast. */
const POLL: UntilOptions = { ms: 3000, everyMs: 2 };

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Seconds of HA time each history request asked for, consecutive repeats (the batches of one window) collapsed. */
function windowSeconds(history: Array<Record<string, unknown>>): number[] {
  const sizes = history.map(
    (m) =>
      ((isoToMicros(m['end_time'] as string) as number) - (isoToMicros(m['start_time'] as string) as number) - 1) / S,
  );
  return sizes.filter((s, i) => i === 0 || sizes[i - 1] !== s);
}

describe('spool refill: nothing lost', () => {
  it('does not compare the first row of a range with the last row of the range before (the hole between was written live)', async () => {
    const X = 'sensor.temp';
    const at = (k: number): string => microsToIso(T0 + k * S);
    const rows: Rows = {
      [X]: [1, 7, 12, 20, 25].map((k, i) => ({ s: i % 2 === 0 ? '21.5' : '21.6', lu: (T0 + k * S) / 1e6 })),
    };
    const r = refillRig();
    // Written live between and after the two refused periods: 21.6 at 7 s, 20 s, then 21.5 at 25 s.
    let before = { entity_id: X, state: '21.5', attributes: {}, last_updated: at(-60), last_changed: at(-60) };
    for (const [s, k] of [
      ['21.6', 7],
      ['21.6', 20],
      ['21.5', 25],
    ] as const) {
      const next = { entity_id: X, state: s, attributes: {}, last_updated: at(k), last_changed: at(k) };
      r.pipeline.onEvent({
        event_type: 'state_changed',
        time_fired: next.last_updated,
        data: { entity_id: X, old_state: before, new_state: next },
      });
      before = next;
    }
    r.ranges.add(T0, T0 + 5 * S); // 21.5 at 1 s refused
    r.ranges.add(T0 + 10 * S, T0 + 15 * S); // 21.5 at 12 s refused: a real change from 21.6 at 7 s
    r.refill.start();
    try {
      r.refill.attach(scriptedSession(rows).session);
      await until('the refill done', () => r.refill.status().state === 'idle', POLL);
      expect(written(r.spool)).toContain(`${X}@${T0 + 12 * S}=21.5`);
      expect(r.pipeline.stats().restartDuplicatesSkipped).toBe(0);
    } finally {
      await r.refill.stop();
    }
  });

  it("replays a range that closed during a run only after HA's recorder settle time", async () => {
    const r = refillRig({ recorderSettleMs: 10_000 });
    r.refill.start();
    r.ranges.add(T0, T0 + 5 * S); // an old range (a gap window), due now
    const last = NOW - S;
    const { session, history } = scriptedSession(HISTORY, {
      beforeGetStates: async () => {
        // While the run's get_states is in flight, live events fill the spool and InfluxDB drains it again.
        r.pipeline.lastSeenUs = last;
        r.spool.capacity = 0;
        r.spool.append('live point');
        await sleep(10);
        r.spool.drain();
      },
    });
    try {
      r.refill.attach(session);
      await until('the old range done', () => r.ranges.first()?.fromUs !== T0, POLL);
      await sleep(50);
      const newest = Math.max(...history().map((m) => isoToMicros(m['end_time'] as string) as number));
      expect(newest, 'nothing asked for beyond the old range').toBeLessThanOrEqual(T0 + 5 * S);
      expect(r.ranges.list()).toEqual([{ fromUs: last - 2 * S, toUs: last + 1 }]);
      expect(r.refill.status().state).toBe('pending');
    } finally {
      await r.refill.stop();
    }
  });

  it('backs off after a failed window, halves it, logs each error once and counts the failures', () =>
    withRefill(
      [T0, T0 + 20 * S],
      async (r) => {
        let calls = 0;
        const { session, history } = scriptedSession(HISTORY, {
          history: async (msg) => {
            calls += 1;
            if (calls <= 3) throw new Error('Home Assistant did not answer in time');
            return historyAnswer(HISTORY, msg);
          },
        });
        r.refill.attach(session);
        await until('the refill done', () => r.refill.status().state === 'idle', POLL);
        const h = history();
        expect(windowSeconds(h).slice(0, 4)).toEqual([20, 10, 5, 2.5]);
        for (let i = 1; i < 4; i += 1)
          expect((h[i]?.atMs ?? 0) - (h[i - 1]?.atMs ?? 0), `pause before attempt ${i + 1}`).toBeGreaterThanOrEqual(45);
        const warns = r.logs.filter((l) => / WARN /.test(l));
        expect(warns).toHaveLength(1);
        expect(warns[0]).toMatch(/did not answer in time; retried after a pause/);
        expect(warns[0]).not.toMatch(/next connection/);
        expect(r.refill.status()).toMatchObject({ failures: 3, lastError: 'Home Assistant did not answer in time' });
        expect(r.spool.lines.length).toBe(60);
      },
      { backoff: new Backoff({ initialMs: 100, maxMs: 100, random: () => 0 }) },
    ));
});

describe('spool refill: import windows', () => {
  it("has state.json hold an import window's refused range (fsynced) before import.json moves past it", async () => {
    const r = await backfillRig(dirs, undefined, { historyImportDays: 1, recorderSettleMs: 60_000 });
    try {
      r.spool.capacity = 3 + 10; // the snapshot, 10 rows of the import's last window, then live events fill the spool
      r.backfill.onConnected(scriptedSession(HISTORY).session);
      await until('the spool full', () => r.spool.full, POLL);
      r.spool.drain();
      await until('the import done', () => r.backfill.status().import.state === 'done', POLL);
      const onDisk = JSON.parse(await readFile(join(r.dir, 'state.json'), 'utf8').catch(() => '{}')) as {
        refused?: { ranges?: Array<[number, number]> };
      };
      expect(
        onDisk.refused?.ranges?.some(([from, to]) => from <= T0 && to >= NOW),
        JSON.stringify(onDisk.refused),
      ).toBe(true);
    } finally {
      await r.backfill.stop();
    }
  });

  it('recovers an import window of an entity HA no longer has', async () => {
    const rows: Rows = { ...HISTORY, 'sensor.gone': [{ s: 'last', lu: (T0 + 7 * S) / 1e6 }] };
    const r = await backfillRig(dirs);
    try {
      r.backfill.onConnected(scriptedSession(rows, { getStatesIds: ['sensor.a', 'sensor.b', 'sensor.c'] }).session);
      await until('the connection task done', () => r.backfill.status().phase === 'done', POLL);
      r.spool.capacity = r.spool.lines.length; // live events filled the spool just now
      await r.backfill.requestImport({ days: 1, entities: ['sensor.gone'] });
      await until('the row refused', () => r.spool.full, POLL);
      r.spool.drain();
      await until(
        'the import and the refill done',
        () => r.backfill.status().import.state === 'done' && r.backfill.status().refill.state === 'idle',
        POLL,
      );
      expect(written(r.spool)).toContain(`sensor.gone@${T0 + 7 * S}=last`);
    } finally {
      await r.backfill.stop();
    }
  });
});
