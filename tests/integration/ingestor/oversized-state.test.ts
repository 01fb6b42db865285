/**
 * A 20 MB state (20,000 attributes of 1,000 characters) through the built bundle (HA simulator → Supervisor
 * emulator → bundle on Node 24 → real influxd): it is written as one point within the point budget, with its
 * state, value and `dropped_attributes`, counted as an input problem; the spool does not call itself full (it
 * once refused such a state as "spool full" while empty); handling it costs a bounded amount of memory, and the
 * heap gives it back within a minute.
 */
import { httpRequestRaw } from '@homeiq/shared';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, launchRegistered, REPO_ROOT, tailOf, type AddonProcess } from '../../../dev/addon-process.js';
import { until, type UntilOptions } from '../../../dev/until.js';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { startSupervisorEmulator } from '../../../dev/supervisor/index.js';
import { flux } from '../../../dev/influx-query.js';

const IP = '127.0.0.61';
const ADMIN_IP = '127.0.0.63';
const ATTRIBUTES = 20_000;

let ha: HaSimulator;
let influx: RealInfluxd;
let setup: InfluxSetup;
let supervisor: Awaited<ReturnType<typeof startSupervisorEmulator>>;
let proc: AddonProcess | undefined;

const INGESTOR: UntilOptions = { ms: 60_000, everyMs: 100, context: () => tailOf(proc, 40) };

async function metrics(): Promise<string> {
  const res = await httpRequestRaw(`http://${IP}:8325/metrics`, { localAddress: ADMIN_IP, timeoutMs: 10_000 });
  return res.body.toString('utf8');
}

const MiB = 1024 * 1024;

/** The ingestor's V8 heap in use and its buffers, bytes (its /metrics). */
async function memory(): Promise<{ heap: number; external: number }> {
  const m = await metrics();
  const read = (name: string): number => Number(new RegExp(`^homeiq_${name} (\\d+)$`, 'm').exec(m)?.[1] ?? Number.NaN);
  return { heap: read('process_heap_used_bytes'), external: read('process_external_memory_bytes') };
}

/** Resident memory of the ingestor process, MiB (the kernel's own count). */
async function rssMiB(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

beforeAll(async () => {
  await buildBundles('ingestor');
  influx = await startInfluxd();
  setup = await influx.setup();
  ha = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
  // The real Supervisor awaits each send to the add-on; the emulator bounds what it queues (16 MiB by default),
  // which one 20 MB frame would pass: give it room for one.
  supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token }, maxWsBufferedBytes: 64 << 20 });
  supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: ADMIN_IP });
  const addon = supervisor.registerAddon({
    configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'),
    ip: IP,
    options: {
      target: 'external',
      external: { url: influx.url, org: setup.org, bucket: setup.bucket, token: setup.token },
      flush_interval_ms: 100,
    },
  });
  proc = await launchRegistered({ name: 'ingestor', supervisorUrl: supervisor.url, addon });
  await proc.waitForLine(/\bstarted\b/, 30_000);
}, 600_000);

afterAll(async () => {
  await proc?.stop('SIGTERM');
  if (proc) await rm(proc.dataDir, { recursive: true, force: true });
  await supervisor?.stop();
  await ha?.stop();
  await influx?.dispose();
});

describe('a 20 MB state', () => {
  it('is one point within the budget, marked and counted; never "spool full"', async () => {
    const p = proc as AddonProcess;
    const pid = p.child.pid as number;
    // Ordinary traffic first, so the baseline is a working ingestor's.
    for (let i = 0; i < 200; i += 1) ha.setState(`sensor.warm_${i % 20}`, String(i), { friendly_name: `W ${i}` });
    await until(
      'the warm-up written',
      async () => /^homeiq_points_written_total [1-9]/m.test(await metrics()),
      INGESTOR,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const baseline = await rssMiB(pid);
    const before = await memory();

    const attrs: Record<string, unknown> = { friendly_name: 'Huge', unit_of_measurement: '°C' };
    for (let i = 0; i < ATTRIBUTES; i += 1) attrs[`a${i}`] = `${i}:${'x'.repeat(1000)}`;
    ha.setState('sensor.huge', '21.5', attrs);
    const sentAt = Date.now();
    let peak = baseline;
    const sampler = setInterval(() => void rssMiB(pid).then((r) => (peak = Math.max(peak, r))), 100);
    try {
      await until(
        'the huge state in InfluxDB',
        async () =>
          (
            await flux(
              influx.url,
              setup.org,
              setup.token,
              `from(bucket: "${setup.bucket}") |> range(start: 0) |> filter(fn: (r) => r.entity_id == "sensor.huge" and r._field == "dropped_attributes")`,
            )
          ).length === 1,
        INGESTOR,
      );
    } finally {
      clearInterval(sampler);
    }
    const rows = await flux(
      influx.url,
      setup.org,
      setup.token,
      `from(bucket: "${setup.bucket}") |> range(start: 0) |> filter(fn: (r) => r.entity_id == "sensor.huge")`,
    );
    const field = (name: string): string | undefined => rows.find((r) => r['_field'] === name)?.['_value'];
    expect(field('state')).toBe('21.5');
    expect(field('value')).toBe('21.5');
    expect(field('attr_friendly_name_str')).toBe('Huge');
    const kept = rows.filter((r) => /^attr_a\d+_str$/.test(r['_field'] ?? '')).length;
    expect(kept).toBeGreaterThan(200);
    expect(kept + Number(field('dropped_attributes'))).toBe(ATTRIBUTES);
    // The attributes kept are the first ones, exactly.
    expect(field('attr_a0_str')).toBe(`0:${'x'.repeat(1000)}`);
    expect(field(`attr_a${kept - 1}_str`)).toBe(`${kept - 1}:${'x'.repeat(1000)}`);

    const m = await metrics();
    expect(m).toMatch(/^homeiq_input_problems_total\{kind="oversized_point"\} 1$/m);
    expect(m).toMatch(/^homeiq_spool_full 0$/m);
    expect(m).toMatch(/^homeiq_points_refused_total 0$/m);
    expect(m).toMatch(/^homeiq_points_too_big_total 0$/m);
    expect(p.lines.some((l) => /spool full/.test(l))).toBe(false);
    expect(p.lines.filter((l) => /input problem 'oversized_point'/.test(l))).toHaveLength(1);

    // What the frame costs while it is handled: the frame, its parsed state, the encoding of at most the budget.
    expect(peak - baseline).toBeLessThan(160);

    // And that it is given back: within 60 s (the ingestor asks V8 for one collection 10 s after a frame of
    // 4 MiB or more), the V8 heap and the buffers are back near where they were before the state.
    const settled = await until(
      'the heap and buffers back within 60 s of sending the huge state',
      async () => {
        const now = await memory();
        return now.heap < before.heap + 8 * MiB && now.external < before.external + 8 * MiB ? now : undefined;
      },
      { ...INGESTOR, ms: Math.max(0, sentAt + 60_000 - Date.now()), everyMs: 1000 },
    );
    // The resident size is the C allocator's business once the heap has let go (glibc keeps some freed pages
    // here; the add-on image's musl behaves otherwise): printed, bounded loosely.
    const rssAfter = await rssMiB(pid);
    console.log(
      `20 MB state: RSS ${baseline.toFixed(0)} MiB before, ${peak.toFixed(0)} at most while handled, ` +
        `${rssAfter.toFixed(0)} after; heap ${(before.heap / MiB).toFixed(1)} → ${(settled.heap / MiB).toFixed(1)} MiB`,
    );
    expect(rssAfter - baseline).toBeLessThan(peak - baseline);
  }, 180_000);
});
