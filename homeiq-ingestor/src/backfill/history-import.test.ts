import { createLogger, LogSecrets } from '@homeiq/shared';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HaSession } from '../ha/ha-session.js';
import { isoToMicros, microsToIso } from '../ha/history.js';
import { Backfill } from './backfill.js';
import { testPipeline } from '../../../tests/harness/state-pipeline.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const H = 3_600_000_000;
const DAY = 24 * H;
const NOW = 1_795_000_000_000_000;
/** One change every 6 hours over the last 20 days, each 1 µs past the hour (state = its index). */
const ROWS = Array.from({ length: 80 }, (_, i) => ({
  s: String(i),
  a: {},
  lu: (NOW - 20 * DAY + i * 6 * H + 1) / 1e6,
}));
const us = (lu: number): number => Math.round(lu * 1e6);
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A connection that answers get_states and history from ROWS; with `failAfter`, it is lost after that many commands. */
function session(failAfter?: number): HaSession {
  let asked = 0;
  let closed = false;
  return {
    connection: 1,
    get closed() {
      return closed;
    },
    ended: new Promise(() => undefined),
    async command<T>(msg: Record<string, unknown>): Promise<T> {
      asked += 1;
      if (failAfter !== undefined && asked > failAfter) {
        closed = true;
        throw new Error('Home Assistant connection closed');
      }
      if (msg['type'] === 'get_states')
        return [
          { entity_id: 'sensor.a', state: '79', attributes: {}, last_updated: microsToIso(us(ROWS.at(-1)!.lu)) },
        ] as T;
      const start = isoToMicros(msg['start_time'] as string)!;
      const end = msg['end_time'] === undefined ? Infinity : isoToMicros(msg['end_time'] as string)!;
      return { 'sensor.a': ROWS.filter((r) => us(r.lu) > start && us(r.lu) < end) } as T;
    },
  };
}

/** The add-on's backfill with `history_import_days` = days, started at `now` on `dir` (a restart reuses it). */
async function rig(days: number, dir: string, now: number): Promise<{ backfill: Backfill; lines: string[] }> {
  const lines: string[] = [];
  const { digests, pipeline } = testPipeline({ sink: { append: (l) => lines.push(l) > 0 } });
  const backfill = new Backfill({
    dir,
    pipeline,
    digests,
    accepts: () => true,
    spool: { sync: async () => undefined },
    log,
    historyImportDays: days,
    windowUs: H,
    now: () => now,
    saveIntervalMs: 60_000,
    recorderSettleMs: 0,
  });
  await backfill.start();
  return { backfill, lines };
}

async function settle(b: Backfill, phases: string[]): Promise<void> {
  for (let i = 0; i < 4000 && !phases.includes(b.status().phase); i += 1) await new Promise((r) => setTimeout(r, 5));
}

/** Runs one connection of an add-on life; `failAfter` cuts it. */
async function connection(
  days: number,
  dir: string,
  now: number,
  failAfter?: number,
): Promise<{ lines: string[]; backfill: Backfill }> {
  const r = await rig(days, dir, now);
  r.backfill.onConnected(session(failAfter));
  await settle(r.backfill, failAfter === undefined ? ['done', 'failed'] : ['failed']);
  await r.backfill.stop();
  return r;
}

const written = (lines: string[]): string[] =>
  lines.map((l) => /state="(\d+)"/.exec(l)?.[1]).filter((s): s is string => s !== undefined);
const expected = (fromUs: number, toUs: number): string[] =>
  ROWS.filter((r) => us(r.lu) >= fromUs && us(r.lu) < toUs).map((r) => r.s);

describe('first-install import: history_import_days raised while the import is unfinished', () => {
  it("imports both the old record's unfinished part and the new older range, then reports done", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'homeiq-import-raise-'));
    dirs.push(dir);
    const first = await connection(7, dir, NOW, 1 + 100); // get_states + 100 of the 168 one-hour windows
    const rec1 = JSON.parse(await readFile(join(dir, 'import.json'), 'utf8')) as {
      reachedUs: number;
      toUs: number;
      done: boolean;
    };
    expect(rec1).toMatchObject({ done: false, reachedUs: NOW - 7 * DAY + 100 * H });
    const second = await connection(14, dir, NOW + H); // restarted with the option raised to 14
    const got = [...written(first.lines), ...written(second.lines)];
    const want = expected(NOW + H - 14 * DAY, NOW);
    expect(
      want.filter((s) => !got.includes(s)),
      'states never imported',
    ).toEqual([]);
    expect(new Set(got).size, 'no state written twice').toBe(got.length);
    expect(JSON.parse(await readFile(join(dir, 'import.json'), 'utf8'))).toMatchObject({ done: true, days: 14 });
    expect(second.backfill.status().import).toMatchObject({ state: 'done', days: 14, progress: 1 });
  });

  it('resumes each part where it stopped across further drops and restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'homeiq-import-raise-'));
    dirs.push(dir);
    // Every later connection first backfills its gap (about ten history commands) before the import resumes.
    const record = async (): Promise<unknown> => JSON.parse(await readFile(join(dir, 'import.json'), 'utf8'));
    const lives = [await connection(7, dir, NOW, 1 + 100)];
    lives.push(await connection(14, dir, NOW + H, 1 + 10 + 30)); // inside the old record's unfinished part (68 windows)
    expect(await record()).toMatchObject({ days: 7, done: false });
    lives.push(await connection(14, dir, NOW + 2 * H, 1 + 10 + 38 + 50)); // the rest of it, then into the older range
    expect(await record()).toMatchObject({ days: 14, done: false, toUs: NOW - 7 * DAY });
    lives.push(await connection(14, dir, NOW + 3 * H));
    const got = lives.flatMap((l) => written(l.lines));
    const want = expected(NOW + H - 14 * DAY, NOW);
    expect(
      want.filter((s) => !got.includes(s)),
      'states never imported',
    ).toEqual([]);
    expect(new Set(got).size, 'no state written twice').toBe(got.length);
    expect(lives.at(-1)!.backfill.status().import).toMatchObject({ state: 'done', days: 14, progress: 1 });
  });
});
