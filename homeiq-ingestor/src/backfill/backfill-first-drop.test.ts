/**
 * A fresh install (no state.json, no import) whose very first connection to HA is lost before any live event and
 * before its snapshot was written: there is no "last event seen" yet, but the changes HA records during the outage
 * must still come back through the next connection's gap backfill. HA simulator ↔ the real HaSocket and Backfill.
 */
import { Backoff, createLogger, Health, LogSecrets } from '@homeiq/shared';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Backfill } from './backfill.js';
import { HaSocket } from '../ha/ha-socket.js';
import { isoToNs } from '../points/line-protocol.js';
import { createEmptyHome, startHaSimulator } from '../../../dev/ha-sim/index.js';
import { until } from '../../../dev/until.js';
import { testPipeline } from '../../../tests/harness/state-pipeline.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('fresh install, first connection lost before its snapshot', () => {
  it('backfills the outage on the next connection, and persists where that gap starts', async () => {
    const ha = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
    cleanups.push(() => ha.stop());
    const door = (): string => ha.states().find((s) => s.entity_id === 'lock.door')!.last_updated;
    ha.setState('lock.door', 'locked');
    const before = door();
    const dir = await mkdtemp(join(tmpdir(), 'homeiq-first-drop-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    const lines: string[] = [];
    const { digests, pipeline } = testPipeline({ sink: { append: (l) => lines.push(l) > 0 } });
    const backfill = new Backfill({
      dir,
      pipeline,
      digests,
      accepts: () => true,
      spool: { sync: async () => undefined },
      log,
      historyImportDays: 0,
      recorderSettleMs: 0,
      saveIntervalMs: 60_000,
    });
    await backfill.start();
    cleanups.push(() => backfill.stop());

    const socket = new HaSocket({
      url: ha.wsUrl,
      token: ha.token,
      eventTypes: [],
      log,
      health: new Health(),
      onEvent: (e) => pipeline.onEvent(e),
      onConnected: (session) => {
        // HA goes away before it answers anything on the first connection: no event, no get_states.
        if (session.connection === 1) ha.dropConnections();
        backfill.onConnected(session);
      },
      // 400 ms before reconnecting: the outage during which the door changes.
      backoff: new Backoff({ initialMs: 400, maxMs: 400, random: () => 1 }),
    });
    await socket.start();
    cleanups.push(() => socket.stop());

    await until('the first connection to be lost', () => socket.stats().connects === 1 && !socket.stats().connected);
    ha.setState('lock.door', 'unlocked');
    const unlocked = door();
    ha.setState('lock.door', 'locked');
    const after = door();
    // Persisted like the last event seen (state.json, before the outage ends): a restart meanwhile backfills it too.
    const saved = (): { originUs?: number } | undefined => {
      try {
        return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { originUs?: number };
      } catch {
        return undefined;
      }
    };
    await until("the first connection's gap start on disk", () => typeof saved()?.originUs === 'number', 2000);

    await until(
      "the second connection's backfill",
      () => socket.stats().connects === 2 && backfill.status().phase === 'done',
    );
    const points = lines.map((l) => `${/state="(\w+)"/.exec(l)?.[1]}@${l.trim().split(' ').at(-1)}`);
    expect(points).toContain(`unlocked@${isoToNs(unlocked)}`);
    // Every state HA recorded, each at its own timestamp (the overlap re-writes a point at the same one: harmless).
    expect(new Set(points)).toEqual(
      new Set([`locked@${isoToNs(before)}`, `unlocked@${isoToNs(unlocked)}`, `locked@${isoToNs(after)}`]),
    );
  });
});
