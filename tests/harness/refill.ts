/**
 * Shared rig of the refill unit tests (spool-refill-units, spool-refill-recovery): a scripted HA, a spool that
 * fills up, and a SpoolRefill or a whole Backfill wired to them. Not a test file itself.
 */
import { createLogger, Health, LogSecrets } from '@homeiq/shared';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backfill, type BackfillOptions } from '../../homeiq-ingestor/src/backfill/backfill.js';
import { RefusedRanges } from '../../homeiq-ingestor/src/backfill/refused-ranges.js';
import { SpoolRefill, type SpoolRefillOptions } from '../../homeiq-ingestor/src/backfill/spool-refill.js';
import { StateReplay } from '../../homeiq-ingestor/src/backfill/state-replay.js';
import type { HaSession } from '../../homeiq-ingestor/src/ha/ha-session.js';
import { isoToMicros, microsToIso } from '../../homeiq-ingestor/src/ha/history.js';
import { testPipeline } from './state-pipeline.js';

export const S = 1_000_000;
export const NOW = 1_795_000_000_000_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Rows = Record<string, Array<{ s: string; lu: number }>>;

/** HA's answer to `history/history_during_period` from `rows`: the asked entities' rows strictly inside the bounds. */
export function historyAnswer(rows: Rows, msg: Record<string, unknown>): Record<string, unknown[]> {
  const us = (key: string): number => (typeof msg[key] === 'string' ? (isoToMicros(msg[key]) as number) : Infinity);
  const inside = (lu: number): boolean => lu * 1e6 > us('start_time') && lu * 1e6 < us('end_time');
  const found = (msg['entity_ids'] as string[]).map(
    (id) => [id, (rows[id] ?? []).filter((x) => inside(x.lu))] as const,
  );
  return Object.fromEntries(found.filter(([, r]) => r.length > 0));
}

export interface SessionHooks {
  /** The entities get_states names (default: those of `rows`). */
  getStatesIds?: string[];
  /** Runs while get_states is in flight. */
  beforeGetStates?: () => Promise<void>;
  /** Answers a history request instead of `rows` (may throw, like a failing HA). */
  history?: (msg: Record<string, unknown>) => Promise<unknown>;
}

/** A scripted HA: get_states names the entities; history like HA's (bounds exclusive), from `rows`. */
export function scriptedSession(rows: Rows, hooks: SessionHooks = {}) {
  const asked: Array<Record<string, unknown> & { atMs: number }> = [];
  let closed = false;
  const session: HaSession & { close(): void } = {
    connection: 1,
    get closed() {
      return closed;
    },
    close: () => (closed = true),
    ended: new Promise(() => undefined),
    async command<T>(msg: Record<string, unknown>): Promise<T> {
      asked.push({ ...msg, atMs: Date.now() });
      await sleep(1);
      if (closed) throw new Error('Home Assistant connection closed');
      if (msg['type'] === 'get_states') {
        await hooks.beforeGetStates?.();
        return (hooks.getStatesIds ?? Object.keys(rows)).map((id) => ({
          entity_id: id,
          state: 'x',
          attributes: {},
          last_updated: microsToIso(NOW),
        })) as T;
      }
      if (hooks.history) return (await hooks.history(msg)) as T;
      return historyAnswer(rows, msg) as T;
    },
  };
  return { session, asked, history: () => asked.filter((m) => m['type'] === 'history/history_during_period') };
}

/** A spool that holds `capacity` points, then refuses (and says it is full), like Spool.append; each point adds `pointBytes`. */
export class FakeSpool {
  lines: string[] = [];
  bytes = 0;
  refused = 0;
  full = false;
  capacity = Infinity;
  pointBytes = 0;
  onFullChange: (full: boolean) => void = () => undefined;

  append(line: string): boolean {
    if (this.full || this.lines.length >= this.capacity) {
      this.refused += 1;
      if (!this.full) {
        this.full = true;
        this.onFullChange(true);
      }
      return false;
    }
    this.lines.push(line);
    this.bytes += this.pointBytes;
    return true;
  }

  /** InfluxDB took the backlog. */
  drain(): void {
    this.bytes = 0;
    this.capacity = Infinity;
    if (this.full) {
      this.full = false;
      this.onFullChange(false);
    }
  }

  stats(): { bytes: number; refused: number; full: boolean } {
    return { bytes: this.bytes, refused: this.refused, full: this.full };
  }

  async sync(): Promise<void> {}
}

/** Points in the spool as `entity@µs=state`. */
export function written(spool: FakeSpool): string[] {
  return spool.lines.map(
    (l) =>
      `${/entity_id=([^,\s]+)/.exec(l)?.[1]}@${l.slice(l.lastIndexOf(' ') + 1, -3)}=${/state="([^"]*)"/.exec(l)?.[1]}`,
  );
}

/** Every row of `rows` in [fromUs, toUs) as `entity@µs=state`. */
export function expected(rows: Rows, fromUs: number, toUs: number): string[] {
  return Object.entries(rows).flatMap(([id, list]) =>
    list.filter((r) => r.lu * 1e6 >= fromUs && r.lu * 1e6 < toUs).map((r) => `${id}@${Math.round(r.lu * 1e6)}=${r.s}`),
  );
}

export function pipelineRig() {
  const spool = new FakeSpool();
  const { digests, pipeline } = testPipeline({ sink: spool });
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    name: 'test',
    secrets: new LogSecrets(),
    write: (l) => void logs.push(l),
  });
  return { spool, digests, pipeline, logs, log, health: new Health() };
}

/** 3 entities, one change per second each from T0 for 20 s (60 rows). */
export const T0 = NOW - 3600 * S;
export const HISTORY: Rows = Object.fromEntries(
  ['sensor.a', 'sensor.b', 'sensor.c'].map((id, e) => [
    id,
    Array.from({ length: 20 }, (_, k) => ({ s: `${e}-${k}`, lu: (T0 + k * S + e * 1000) / 1e6 })),
  ]),
);

export type RefillExtra = Partial<
  Omit<SpoolRefillOptions, 'log' | 'pipeline' | 'digests' | 'spool' | 'ranges' | 'replay'>
>;

export function refillRig(extra: RefillExtra = {}) {
  const p = pipelineRig();
  const ranges = new RefusedRanges();
  const refill = new SpoolRefill({
    log: p.log,
    pipeline: p.pipeline,
    digests: p.digests,
    accepts: () => true,
    spool: p.spool,
    maxBytes: 1000,
    ranges,
    replay: new StateReplay({ pipeline: p.pipeline, digests: p.digests, spool: p.spool, batchSize: 2 }),
    health: p.health,
    recorderSettleMs: 0,
    pollMs: 2,
    now: () => NOW,
    save: async () => undefined,
    ...extra,
  });
  p.spool.onFullChange = (full) => refill.onFullChange(full);
  const spoolCheck = () => p.health.report().checks.find((c) => c.name === 'spool');
  return { ...p, ranges, refill, spoolCheck };
}

/** A started refill with the range [from, to) to recover, stopped after `body`. */
export async function withRefill(
  range: [number, number],
  body: (r: ReturnType<typeof refillRig>) => Promise<void>,
  extra: RefillExtra = {},
): Promise<void> {
  const r = refillRig(extra);
  r.refill.start();
  r.ranges.add(...range);
  try {
    await body(r);
  } finally {
    await r.refill.stop();
  }
}

/** A started Backfill with a refill over a FakeSpool, in `dir` (else a new temporary one, pushed to `dirs` for cleanup). */
export async function backfillRig(
  dirs: string[],
  dir?: string,
  extra: Partial<Pick<BackfillOptions, 'historyImportDays' | 'recorderSettleMs' | 'saveIntervalMs'>> = {},
) {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'homeiq-refill-')));
  if (!dir) dirs.push(d);
  const p = pipelineRig();
  const backfill = new Backfill({
    dir: d,
    pipeline: p.pipeline,
    digests: p.digests,
    accepts: () => true,
    spool: p.spool,
    log: p.log,
    historyImportDays: 0,
    batchSize: 2,
    now: () => NOW,
    saveIntervalMs: 60_000,
    recorderSettleMs: 0,
    refill: { maxBytes: 1000, health: p.health, pollMs: 2 },
    ...extra,
  });
  p.spool.onFullChange = (full) => backfill.onSpoolFullChange(full);
  await backfill.start();
  return { ...p, dir: d, backfill };
}
