/** Self-telemetry: points in measurement homeiq_ingestor, appended to the real spool at the interval. */
import { createLogger, LogSecrets } from '@homeiq/shared';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../spool/spool.js';
import { SelfTelemetry, type TelemetrySources } from './self-telemetry.js';
import { until } from '../../../dev/until.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-telemetry-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sources(state: {
  total: number;
  bytes: number;
  written: number;
  reconnects: number;
  connected: boolean;
}): TelemetrySources {
  return {
    counter: { counts: () => ({ total: state.total }) },
    ha: { stats: () => ({ reconnects: state.reconnects, connected: state.connected }) },
    spool: { stats: () => ({ bytes: state.bytes, refused: 2 }) },
    writer: { stats: () => ({ written: state.written, quarantined: 1 }) },
  };
}

describe('self-telemetry', () => {
  it('encodes every counter with a fixed type, and lag as the time the spool has not been empty', () => {
    let now = 1_700_000_000_000;
    const state = { total: 10, bytes: 0, written: 7, reconnects: 3, connected: true };
    const t = new SelfTelemetry({ sources: sources(state), append: () => true, intervalMs: 1000, log, now: () => now });
    expect(t.line()).toBe(
      'homeiq_ingestor received=10i,written=7i,quarantined=1i,spool_bytes=0i,refused=2i,lag_ms=0i,reconnects=3i,ha_connected=true 1700000000000000000',
    );
    state.bytes = 4096;
    now += 1500;
    t.probe(); // not empty: the reference stays where the spool was last empty
    now += 1000;
    state.connected = false;
    expect(t.line()).toMatch(
      /,spool_bytes=4096i,refused=2i,lag_ms=2500i,reconnects=3i,ha_connected=false 1700000002500000000$/,
    );
    state.bytes = 0;
    now += 10;
    expect(t.line()).toContain('lag_ms=0i');
  });

  it('appends a point to the spool at the interval (the normal durable path) and stops appending when stopped', async () => {
    const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 1 << 20, log });
    await spool.start();
    const state = { total: 5, bytes: 0, written: 0, reconnects: 0, connected: true };
    const t = new SelfTelemetry({
      sources: sources(state),
      append: (l) => spool.append(l),
      intervalMs: 20,
      probeMs: 5,
      log,
    });
    await t.start();
    await until('three telemetry points committed', () => spool.stats().committed >= 3, 10_000);
    await t.stop();
    await spool.sync();
    const n = spool.stats().committed;
    expect(n).toBeGreaterThanOrEqual(3);
    const records = (await spool.read(spool.ackCursor, 1000, 1 << 20)).batch.lines();
    expect(records).toHaveLength(n);
    for (const r of records) expect(r).toMatch(/^homeiq_ingestor received=5i,written=0i,.*,ha_connected=true \d{19}$/);
    await new Promise((r) => setTimeout(r, 60));
    await spool.sync();
    expect(spool.stats().committed).toBe(n);
    await spool.stop();
  });

  it('does nothing when the interval is 0 (off)', async () => {
    let appended = 0;
    const t = new SelfTelemetry({
      sources: sources({ total: 0, bytes: 0, written: 0, reconnects: 0, connected: true }),
      append: () => {
        appended += 1;
        return true;
      },
      intervalMs: 0,
      log,
    });
    await t.start();
    await new Promise((r) => setTimeout(r, 50));
    await t.stop();
    expect(appended).toBe(0);
  });
});
