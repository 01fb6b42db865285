/** Unit tests: history chunking, the compressed history decoding, and the backfill cursor/import against a scripted session. */
import { createLogger, LogSecrets } from '@homeiq/shared';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Backfill } from './backfill.js';
import { batches, planWindows } from './chunks.js';
import type { HaSession } from '../ha/ha-session.js';
import { historyCommand, historyRowToState, isoToMicros, microsToIso, secondsToMicros } from '../ha/history.js';
import { testPipeline } from '../../../tests/harness/state-pipeline.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const H = 3_600_000_000;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('chunking', () => {
  it('covers a closed range with half-open windows, no gap, no overlap', () => {
    expect(planWindows(0, 5 * H, 2 * H, 99 * H)).toEqual([
      { startUs: 0, endUs: 2 * H },
      { startUs: 2 * H, endUs: 4 * H },
      { startUs: 4 * H, endUs: 5 * H },
    ]);
    expect(planWindows(10, 10, H, 99)).toEqual([]);
  });
  it("ends an open range with a window without end (up to HA's now)", () => {
    expect(planWindows(0, undefined, 2 * H, 3 * H)).toEqual([
      { startUs: 0, endUs: 2 * H },
      { startUs: 2 * H, endUs: undefined },
    ]);
    expect(planWindows(5, undefined, H, 0)).toEqual([{ startUs: 5, endUs: undefined }]);
  });
  it('batches entities', () => {
    expect(batches(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(() => batches(['a'], 0)).toThrow();
  });
});

describe('history decoding', () => {
  it("recovers HA's microsecond from float seconds, both ways", () => {
    const iso = '2026-09-01T10:01:00.123457+00:00';
    const us = isoToMicros(iso) as number;
    expect(microsToIso(us)).toBe(iso);
    expect(secondsToMicros(us / 1e6)).toBe(us);
    for (let i = 0; i < 2000; i += 1) {
      const t = 1_795_000_000_000_000 + i * 7919;
      expect(secondsToMicros(t / 1_000_000)).toBe(t);
    }
  });
  it('turns a compressed row into a state; malformed rows into nothing', () => {
    expect(
      historyRowToState('sensor.x', {
        s: '21.5',
        a: { unit_of_measurement: '°C' },
        lu: 1_795_514_400.123456,
        lc: 1_795_514_000.5,
      }),
    ).toEqual({
      entity_id: 'sensor.x',
      state: '21.5',
      attributes: { unit_of_measurement: '°C' },
      last_updated: '2026-11-24T10:00:00.123456+00:00',
      last_changed: '2026-11-24T09:53:20.500000+00:00',
    });
    expect(historyRowToState('sensor.x', { s: 'on', lu: 1_795_514_400 })?.last_changed).toBe(
      '2026-11-24T10:00:00.000000+00:00',
    );
    expect(historyRowToState('sensor.x', { s: 1, lu: 1 })).toBeUndefined();
    expect(historyRowToState('sensor.x', null)).toBeUndefined();
  });
  it('asks for every change with attributes and no synthetic start row', () => {
    expect(historyCommand(['a.b'], 1_000_000, undefined)).toEqual({
      type: 'history/history_during_period',
      start_time: '1970-01-01T00:00:01.000000+00:00',
      entity_ids: ['a.b'],
      include_start_time_state: false,
      significant_changes_only: false,
      minimal_response: false,
      no_attributes: false,
    });
  });
});

/** A scripted HA: get_states and a recorder of rows per entity, answering history like HA (exclusive bounds). */
function scriptedSession(
  rows: Record<string, Array<{ s: string; lu: number; a?: Record<string, unknown> }>>,
  opts: { failAfter?: number } = {},
) {
  const asked: Array<Record<string, unknown>> = [];
  let closed = false;
  const session: HaSession = {
    connection: 1,
    get closed() {
      return closed;
    },
    ended: new Promise(() => undefined),
    async command<T>(msg: Record<string, unknown>): Promise<T> {
      asked.push(msg);
      if (opts.failAfter !== undefined && asked.length > opts.failAfter) {
        closed = true;
        throw new Error('Home Assistant connection closed');
      }
      if (msg['type'] === 'get_states') {
        return Object.entries(rows).map(([id, r]) => ({
          entity_id: id,
          state: r.at(-1)?.s,
          attributes: {},
          last_updated: microsToIso(Math.round((r.at(-1)?.lu ?? 0) * 1e6)),
        })) as T;
      }
      const start = isoToMicros(msg['start_time'] as string) as number;
      const end = msg['end_time'] === undefined ? Infinity : (isoToMicros(msg['end_time'] as string) as number);
      const out: Record<string, unknown[]> = {};
      for (const id of msg['entity_ids'] as string[]) {
        const r = (rows[id] ?? []).filter((x) => x.lu * 1e6 > start && x.lu * 1e6 < end);
        if (r.length) out[id] = r;
      }
      return out as T;
    },
  };
  return { session, asked };
}

async function rig(days: number, now: number, dir?: string, extra: { recorderSettleMs?: number } = {}) {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'homeiq-backfill-')));
  if (!dir) dirs.push(d);
  const lines: string[] = [];
  const { digests, pipeline } = testPipeline({ sink: { append: (l) => lines.push(l) > 0 } });
  const backfill = new Backfill({
    dir: d,
    pipeline,
    digests,
    accepts: () => true,
    spool: { sync: async () => undefined },
    log,
    historyImportDays: days,
    windowUs: H,
    batchSize: 2,
    now: () => now,
    saveIntervalMs: 60_000,
    recorderSettleMs: 0,
    ...extra,
  });
  await backfill.start();
  return { dir: d, lines, backfill, pipeline };
}

async function settle(b: Backfill, phase: string[]): Promise<void> {
  for (let i = 0; i < 400 && !phase.includes(b.status().phase); i += 1) await new Promise((r) => setTimeout(r, 5));
}

describe('first-install import', () => {
  const day = 24 * H;
  const now = 1_795_000_000_000_000;
  const t = (us: number) => us / 1e6;
  const history = {
    'sensor.a': [
      { s: '1', lu: t(now - 2 * day + 5) },
      { s: '2', lu: t(now - day) },
      { s: '3', lu: t(now - H / 2) },
    ],
    'sensor.b': [{ s: 'on', lu: t(now - 30 * H) }],
    'sensor.c': [{ s: 'x', lu: t(now - 3 * day) }], // older than the import range
  };
  it('imports exactly the range, reports progress, and persists the cursor', async () => {
    const r = await rig(2, now);
    const { session, asked } = scriptedSession(history);
    // get_states is empty in this script: tell the import which entities exist through a snapshot-like seed.
    session.command = (
      (orig) =>
      async <T>(msg: Record<string, unknown>): Promise<T> =>
        msg['type'] === 'get_states'
          ? ([
              { entity_id: 'sensor.a', state: '3', attributes: {}, last_updated: microsToIso(now - H / 2) },
              { entity_id: 'sensor.b', state: 'on', attributes: {}, last_updated: microsToIso(now - 30 * H) },
              { entity_id: 'sensor.c', state: 'x', attributes: {}, last_updated: microsToIso(now - 3 * day) },
            ] as T)
          : orig<T>(msg)
    )(session.command.bind(session));
    r.backfill.onConnected(session);
    await settle(r.backfill, ['done', 'failed']);
    const s = r.backfill.status();
    expect(s.phase).toBe('done');
    expect(s.import).toMatchObject({ state: 'done', days: 2, progress: 1, points: 2 }); // a@-2d+5µs and a@-1d; b@-30h (+ a@-30min from the snapshot, not counted)
    expect(r.lines.filter((l) => l.includes('entity_id=sensor.a')).length).toBe(3);
    expect(r.lines.some((l) => l.includes('state="x"'))).toBe(true); // from the snapshot only
    const histRequests = asked.filter((m) => m['type'] === 'history/history_during_period');
    expect(histRequests.length).toBe(48 * 2); // 48 one-hour windows × 2 batches (batch size 2, three entities)
    expect(JSON.parse(await readFile(join(r.dir, 'import.json'), 'utf8'))).toMatchObject({ done: true, days: 2 });
  });

  it('resumes after an interruption from the persisted cursor without asking again for finished windows', async () => {
    const r = await rig(2, now);
    const first = scriptedSession(history, { failAfter: 1 + 2 * 10 }); // get_states + 10 windows
    r.backfill.onConnected(first.session);
    await settle(r.backfill, ['failed']);
    expect(r.backfill.status().import.state).toBe('pending'); // interrupted by the lost connection: resumes on the next
    const reached = r.backfill.status().import.reached as string;
    expect(isoToMicros(reached)).toBe(now - 2 * day + 10 * H);
    await r.backfill.stop();
    const again = await rig(2, now + 5 * H, r.dir); // a restart of the add-on, later
    expect(again.backfill.status().import.reached).toBe(reached);
    const second = scriptedSession(history);
    again.backfill.onConnected(second.session);
    await settle(again.backfill, ['done', 'failed']);
    const starts = second.asked
      .filter((m) => m['type'] === 'history/history_during_period')
      .map((m) => isoToMicros(m['start_time'] as string) as number);
    expect(Math.min(...starts)).toBe(now - 2 * day + 10 * H - 1);
    expect(again.backfill.status().import).toMatchObject({ state: 'done', progress: 1 });
  });
});

describe('gap cursor', () => {
  it('backfills from the last event seen, and keeps an unfinished gap for the next connection', async () => {
    const now = 1_795_000_000_000_000;
    const r = await rig(0, now);
    r.pipeline.lastSeenUs = now - 3 * H;
    const rows = {
      'sensor.a': [
        { s: '1', lu: (now - 2 * H) / 1e6 },
        { s: '2', lu: (now - H) / 1e6 },
      ],
    };
    const broken = scriptedSession(rows, { failAfter: 2 });
    r.backfill.onConnected(broken.session);
    await settle(r.backfill, ['failed']);
    r.pipeline.lastSeenUs = now; // live events after the reconnect must not move the gap's start
    const ok = scriptedSession(rows);
    r.backfill.onConnected(ok.session);
    await settle(r.backfill, ['done', 'failed']);
    const first = ok.asked.find((m) => m['type'] === 'history/history_during_period') as Record<string, unknown>;
    // The first window (from the last event seen, minus the 2 s overlap) was done before the drop: resume after it.
    expect(isoToMicros(first['start_time'] as string)).toBe(now - 3 * H - 2_000_000 + H - 2_000_000 - 1); // and the overlap again
    expect(r.lines.filter((l) => l.includes('entity_id=sensor.a')).length).toBe(2);
    expect(r.backfill.status().gap.completedAt).toBeDefined();
  });
});

describe("gap tail not yet committed by HA's recorder", () => {
  // HA's history_during_period reads the recorder's database only, and the recorder commits every commit_interval
  // (1-5 s): a change made just before our subscription is neither a live event nor (yet) in the history, and if it
  // is superseded before get_states it is not in the snapshot either. Seen once in the real-HA e2e (scenario c).
  it('asks again for the tail once the recorder had time to commit, and keeps the gap open until then', async () => {
    const now = 1_795_000_000_000_000;
    const r = await rig(0, now, undefined, { recorderSettleMs: 50 });
    r.pipeline.lastSeenUs = now - 10_000_000;
    const rows = {
      'input_text.note': [
        { s: 'a', lu: (now - 8_000_000) / 1e6 },
        { s: 'b', lu: (now - 300_000) / 1e6 }, // just before the subscription: not committed at the first query
        { s: 'c', lu: (now + 200_000) / 1e6 }, // after it (a live event; also what get_states shows)
      ],
    };
    let historyCalls = 0;
    const { session, asked } = scriptedSession(rows);
    session.command = (
      (orig) =>
      async <T>(msg: Record<string, unknown>): Promise<T> => {
        if (msg['type'] !== 'history/history_during_period') return orig<T>(msg);
        historyCalls += 1;
        const out = (await orig<Record<string, Array<{ lu: number }>>>(msg)) as Record<string, Array<{ lu: number }>>;
        // The recorder's last commit was 1 s before the connection: the first query sees nothing newer.
        if (historyCalls === 1)
          for (const id of Object.keys(out)) out[id] = (out[id] ?? []).filter((x) => x.lu * 1e6 <= now - 1_000_000);
        return out as T;
      }
    )(session.command.bind(session));
    r.backfill.onConnected(session);
    await settle(r.backfill, ['done', 'failed']);
    for (let i = 0; i < 200 && !r.lines.some((l) => l.includes('state="b"')); i += 1)
      await new Promise((res) => setTimeout(res, 5));
    expect(r.backfill.status().phase).toBe('done');
    expect(r.lines.filter((l) => l.includes('state="a"')).length).toBe(1);
    expect(r.lines.filter((l) => l.includes('state="b"')).length, 'the change committed after the first query').toBe(1);
    expect(r.lines.filter((l) => l.includes('state="c"')).length).toBe(1); // from the snapshot
    const hist = asked.filter((m) => m['type'] === 'history/history_during_period');
    expect(hist.length).toBe(2);
  });

  it('persists the tail as an open gap while waiting, so a crash then backfills it on the next start', async () => {
    const now = 1_795_000_000_000_000;
    const r = await rig(0, now, undefined, { recorderSettleMs: 60_000 });
    r.pipeline.lastSeenUs = now - 10_000_000;
    const { session } = scriptedSession({ 'input_text.note': [{ s: 'a', lu: (now - 8_000_000) / 1e6 }] });
    r.backfill.onConnected(session);
    for (let i = 0; i < 400 && r.backfill.status().gap.completedAt === undefined; i += 1)
      await new Promise((res) => setTimeout(res, 5));
    r.pipeline.lastSeenUs = now + 5_000_000; // live events after the connection
    await r.backfill.save();
    const saved = JSON.parse(await readFile(join(r.dir, 'state.json'), 'utf8')) as { gapFromUs?: number };
    expect(saved.gapFromUs, 'the tail the recorder may not have committed yet').toBeDefined();
    expect(saved.gapFromUs as number).toBeLessThanOrEqual(now);
    await r.backfill.stop();
  });
});
