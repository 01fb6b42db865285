/**
 * Unit tests: points the spool refused while full (spool_max_mb) become an open gap, persisted in state.json, and
 * are backfilled from HA's recorder once the spool has room again (issue 4). Scripted HA session; no network.
 */
import { createLogger, LogSecrets } from '@homeiq/shared';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Backfill } from '../../homeiq-ingestor/src/backfill/backfill.js';
import type { HaSession } from '../../homeiq-ingestor/src/ha/ha-socket.js';
import { isoToMicros, microsToIso } from '../../homeiq-ingestor/src/ha/history.js';
import type { HaEvent } from '../../homeiq-ingestor/src/ha/messages.js';
import { EventEncoder } from '../../homeiq-ingestor/src/points/event-encoder.js';
import { EntityFilter } from '../../homeiq-ingestor/src/points/filter.js';
import { StateDigests } from '../../homeiq-ingestor/src/points/restart-digest.js';
import { StatePipeline } from '../../homeiq-ingestor/src/points/state-pipeline.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const S = 1_000_000;
const NOW = 1_795_000_000_000_000;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** HA's recorder for one entity: a change every second from NOW-10 s to NOW-1 s, values 0…9. */
const recorded = Array.from({ length: 10 }, (_, i) => ({ s: String(i), lu: NOW - (10 - i) * S }));

function session() {
  const asked: Array<Record<string, unknown>> = [];
  const s: HaSession = {
    connection: 1,
    closed: false,
    ended: new Promise(() => undefined),
    async command<T>(msg: Record<string, unknown>): Promise<T> {
      asked.push(msg);
      if (msg['type'] === 'get_states') return [{ entity_id: 'sensor.t', state: '0', attributes: {}, last_updated: microsToIso(recorded[0]!.lu) }] as T;
      const start = isoToMicros(msg['start_time'] as string) as number;
      const rows = recorded.filter((r) => r.lu > start).map((r) => ({ s: r.s, a: {}, lu: r.lu / 1e6 }));
      return (rows.length ? { 'sensor.t': rows } : {}) as T;
    },
  } as HaSession;
  return { session: s, asked };
}

function live(i: number): HaEvent {
  const st = (v: string, t: number) => ({ entity_id: 'sensor.t', state: v, attributes: {}, last_updated: microsToIso(t), last_changed: microsToIso(t) });
  const t = recorded[i]!.lu;
  return {
    event_type: 'state_changed', time_fired: microsToIso(t), origin: 'LOCAL', context: { id: 'x' },
    data: { entity_id: 'sensor.t', old_state: st(String(i - 1), t - S), new_state: st(String(i), t) },
  } as unknown as HaEvent;
}

async function rig(dir?: string) {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'homeiq-spoolfull-')));
  if (!dir) dirs.push(d);
  const lines: string[] = [];
  const sink = { full: false, refused: 0, append: (l: string) => (sink.full ? (sink.refused += 1, false) : (lines.push(l), true)) };
  const encoder = new EventEncoder({ maxStringLength: 1000, excludeAttributes: new Set(), layout: 'homeiq' }, new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] }), () => undefined);
  const digests = new StateDigests();
  const pipeline = new StatePipeline({ encoder, sink, digests, skipRestartDuplicates: true });
  const backfill = new Backfill({
    dir: d, pipeline, digests, accepts: () => true, spool: { sync: async () => undefined }, log,
    historyImportDays: 0, batchSize: 10, now: () => NOW, saveIntervalMs: 60_000, recorderSettleMs: 0,
  });
  await backfill.start();
  return { dir: d, lines, sink, pipeline, backfill };
}

const valuesIn = (lines: string[]) => new Set(lines.map((l) => /state="(\d+)"/.exec(l)?.[1]).filter((v) => v !== undefined));
const stateJson = async (dir: string) => JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { gapFromUs?: number; lastSeenUs?: number };
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i += 1) await new Promise((r) => setTimeout(r, 5));
}

describe('spool full: refused points become an open gap', () => {
  it('remembers the earliest refused point although the last event seen moves past it, and persists it', async () => {
    const r = await rig();
    r.pipeline.onEvent(live(1));
    r.sink.full = true;
    r.backfill.onSpoolFullChange(true);
    for (const i of [2, 3, 4]) r.pipeline.onEvent(live(i));
    r.sink.full = false;
    r.pipeline.onEvent(live(5));
    expect(r.sink.refused).toBe(3);
    expect(r.pipeline.lastSeenUs).toBe(recorded[5]!.lu);
    expect(r.pipeline.refusedFromUs).toBe(recorded[2]!.lu);
    await r.backfill.save();
    expect(await stateJson(r.dir)).toMatchObject({ gapFromUs: recorded[2]!.lu, lastSeenUs: recorded[5]!.lu });

    // A crash now: the next start's reconnect gap begins at the first refused point, not at the last event seen.
    const again = await rig(r.dir);
    const { session: s, asked } = session();
    again.backfill.onConnected(s);
    await until(() => again.backfill.status().phase === 'done');
    const first = asked.find((m) => m['type'] === 'history/history_during_period') as Record<string, unknown>;
    expect(isoToMicros(first['start_time'] as string)).toBe(recorded[2]!.lu - 2 * S - 1);
    for (const v of ['2', '3', '4']) expect(valuesIn(again.lines).has(v)).toBe(true);
  });

  it('backfills the refused points through the gap path once the spool has room again, without a reconnect', async () => {
    const r = await rig();
    const { session: s, asked } = session();
    r.backfill.onConnected(s);
    await until(() => r.backfill.status().phase === 'done');
    r.lines.length = 0;
    const before = asked.length;

    r.sink.full = true;
    r.backfill.onSpoolFullChange(true);
    for (const i of [6, 7, 8]) r.pipeline.onEvent(live(i));
    r.sink.full = false;
    r.pipeline.onEvent(live(9));
    expect(valuesIn(r.lines)).toEqual(new Set(['9']));
    await new Promise((res) => setTimeout(res, 50));
    expect(asked.length).toBe(before); // nothing asked while the spool is full

    r.backfill.onSpoolFullChange(false);
    await until(() => ['6', '7', '8'].every((v) => valuesIn(r.lines).has(v)) && r.pipeline.refusedFromUs === undefined && r.backfill.status().phase !== 'gap');
    for (const v of ['6', '7', '8']) expect(valuesIn(r.lines).has(v)).toBe(true); // (4 and 5 too: the gap's 2 s overlap)
    const hist = asked.slice(before).filter((m) => m['type'] === 'history/history_during_period');
    expect(isoToMicros(hist[0]!['start_time'] as string)).toBe(recorded[6]!.lu - 2 * S - 1);
    await until(() => r.backfill.status().gap.completedAt !== undefined);
    await new Promise((res) => setTimeout(res, 50));
    await r.backfill.save();
    expect((await stateJson(r.dir)).gapFromUs).toBeUndefined(); // closed
    await r.backfill.stop();
  });
});
