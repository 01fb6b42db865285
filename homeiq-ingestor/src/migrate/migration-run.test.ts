import { createLogger, LogSecrets, type MigrationSourceConfig } from '@homeiq/shared';
import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { nsToIso } from './ha-schema.js';
import { MigrationFlow } from './migration-flow.js';
import type { JobRecord } from './migration-job.js';
import { emptyReport } from './migration-report.js';
import { readWindows } from './migration-run.js';
import {
  SourceError,
  type MigrationSource,
  type SourcePoint,
  type SourceSeries,
  type SourceSurvey,
} from './source-types.js';
import { WindowWriter } from './window-writer.js';
import { NS_PER_S } from './windows.js';

/**
 * The window loop of a migration run against a source that is a list of points in memory (the old InfluxDB is
 * another process; the real ones are in tests/integration/ingestor/migration-bad-input.test.ts): which windows it
 * asks for and when, and that every point is queued exactly once whatever it does with the windows read ahead.
 */

// A Tuesday: the week's shard group (Mondays) holds every window below.
const FROM = BigInt(Date.parse('2026-03-03T00:00:00Z')) * 1_000_000n;
const S = NS_PER_S;

const SERIES: SourceSeries = {
  measurement: '°C',
  tags: { domain: 'sensor', entity_id: 't' },
  fields: ['time', 'value'],
  ints: new Set(),
  entityId: 'sensor.t',
};

interface Read {
  start: bigint;
  end: bigint;
}

/** A source holding one series' points at `times`; `tooBigOver`: a longer window's answer is too large. */
class ListSource implements MigrationSource {
  readonly config = { kind: 'influxdb1', url: 'http://127.0.0.1:9', database: 'ha' } as MigrationSourceConfig;
  readonly windowPoints = 10;
  readonly reads: Read[] = [];

  constructor(
    private readonly times: bigint[],
    private readonly tooBigOver = 0n,
  ) {}

  async survey(): Promise<SourceSurvey> {
    return {
      serverVersion: '1.8.10',
      series: [{ measurement: '°C', entityId: 'sensor.t' }],
      truncated: false,
      foreign: [],
      mixedTypes: [],
      fieldTypes: new Map(),
      shards: { boundaries: [], durationNs: 7n * 86_400n * S },
      firstNs: this.times[0],
      lastNs: this.times.at(-1),
    };
  }

  async read(start: bigint, end: bigint): Promise<SourcePoint[]> {
    this.reads.push({ start, end });
    await setImmediate();
    if (this.tooBigOver > 0n && end - start > this.tooBigOver) throw new SourceError('too_big', 'answer too large');
    return this.times
      .filter((t) => t >= start && t < end)
      .map((t) => ({ series: SERIES, values: [nsToIso(t), 1.5], timeNs: String(t) }));
  }
}

interface Queued {
  endNs: bigint;
  times: bigint[];
  /** The reads asked for, when this window was queued, that start at or after its end. */
  readsAhead: Read[];
}

async function run(source: ListSource, to: bigint, spanNs: bigint, readAhead = 2): Promise<Queued[]> {
  const queued: Queued[] = [];
  let appended = 0;
  const job: JobRecord = {
    version: 1,
    source: source.config,
    layout: 'ha_compatible',
    fromNs: String(FROM),
    toNs: String(to),
    cursorNs: String(FROM),
    spanNs: String(spanNs),
    entities: undefined,
    maxPointsPerSecond: 0,
    state: 'running',
    startedAt: new Date().toISOString(),
    completedAt: undefined,
    lastError: undefined,
    rejected: 0,
    report: emptyReport(),
  };
  const idle = { stats: () => ({ bytes: 0 }) };
  await readWindows({
    job,
    source,
    flow: new MigrationFlow({
      spool: idle,
      budgetBytes: 1 << 20,
      liveSpool: idle,
      liveBacklogBytes: 1 << 20,
      writerError: () => undefined,
    }),
    writer: new WindowWriter({
      encode: { maxStringLength: 1000, excludeAttributes: new Set(), layout: 'ha_compatible' },
      accepts: () => true,
    }),
    targetPoints: undefined,
    readAhead,
    log: createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() }),
    alive: () => true,
    appended: () => appended,
    queue: (batch, endNs) => {
      const lines = batch.lines();
      appended += lines.length;
      const times = lines.map((l) => BigInt(l.slice(l.lastIndexOf(' ') + 1)));
      queued.push({ endNs, times, readsAhead: source.reads.filter((r) => r.start >= endNs) });
    },
    windowDone: async () => undefined,
  });
  return queued;
}

/** Every point queued once, in windows that follow each other from FROM to `to`. */
function expectEachOnce(queued: Queued[], times: bigint[], to: bigint): void {
  expect(queued.flatMap((q) => q.times).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(times);
  expect(queued.at(-1)?.endNs).toBe(to);
  let start = FROM;
  for (const q of queued) {
    for (const t of q.times) expect(t >= start && t < q.endNs).toBe(true);
    start = q.endNs;
  }
}

const every = (n: number, stepNs: bigint, from = FROM): bigint[] =>
  Array.from({ length: n }, (_, i) => from + BigInt(i) * stepNs);

describe('the windows a migration run reads', () => {
  it.each([1, 2, 3])(
    'asks for the %i window(s) after the one it encodes, each starting where the one before ends',
    async (readAhead) => {
      const times = every(100, S);
      const to = FROM + 100n * S;
      const source = new ListSource(times);
      const queued = await run(source, to, 10n * S, readAhead);

      expectEachOnce(queued, times, to);
      // Nothing asked twice, nothing skipped: the reads tile [FROM, to).
      expect(source.reads[0]?.start).toBe(FROM);
      for (let i = 1; i < source.reads.length; i += 1) expect(source.reads[i]?.start).toBe(source.reads[i - 1]?.end);
      expect(source.reads.at(-1)?.end).toBe(to);
      expect(source.reads).toHaveLength(queued.length);
      // While a window is encoded, the next ones are already asked for (fewer only at the end of the range).
      expect(queued.length).toBeGreaterThan(4);
      queued.forEach((q, i) => {
        expect(q.readsAhead).toHaveLength(Math.min(readAhead, queued.length - 1 - i));
        if (q.readsAhead[0]) expect(q.readsAhead[0].start).toBe(q.endNs);
      });
    },
  );

  it('drops the windows read ahead when an answer was too large, and asks again from the same place', async () => {
    const times = every(60, S);
    const to = FROM + 60n * S;
    const source = new ListSource(times, 5n * S);
    const queued = await run(source, to, 20n * S);

    expectEachOnce(queued, times, to);
    // The first two were asked for with the span it had; the first was too large; the next read starts at FROM
    // again, with a quarter of the span, and is followed by windows of that size, not by the dropped one.
    expect(source.reads.slice(0, 4)).toEqual([
      { start: FROM, end: FROM + 20n * S },
      { start: FROM + 20n * S, end: FROM + 40n * S },
      { start: FROM, end: FROM + 5n * S },
      { start: FROM + 5n * S, end: FROM + 10n * S },
    ]);
    expect(queued[0]?.endNs).toBe(FROM + 5n * S);
    expect(queued[0]?.readsAhead.some((r) => r.end - r.start > 5n * S && r.start > FROM + 20n * S)).toBe(false);
  });

  it('drops the windows read ahead when it cuts a window that held far too many points', async () => {
    // 40 points in the first ten seconds (a window aims at 10), then one a second.
    const burst = every(40, S / 4n);
    const times = [...burst, ...every(50, S, FROM + 10n * S)];
    const to = FROM + 60n * S;
    const source = new ListSource(times);
    const queued = await run(source, to, 10n * S);

    expectEachOnce(queued, times, to);
    // The first window is cut before its 11th point; the next read starts there, not at the window read ahead.
    const cut = burst[10] as bigint;
    expect(queued[0]?.times).toEqual(burst.slice(0, 10));
    expect(queued[0]?.endNs).toBe(cut);
    expect(source.reads.slice(0, 3).map((r) => r.start)).toEqual([FROM, FROM + 10n * S, cut]);
    expect(queued[1]?.readsAhead.map((r) => r.start)).toContain(queued[1]?.endNs);
  });
});
