/**
 * Fuzz round trip: 20,000 generated hostile Home Assistant states (tests/integration/ingestor/fuzz/generate.ts,
 * seeded, never committed) as raw `state_changed` frames → the ingestor's frame reader (parseFrame) and encoder
 * (EventEncoder, configured as main.ts does) → a real influxd's line-protocol parser → a Flux read through the
 * shared Flux CSV reader. Every state the documentation says is written must come back with exactly its
 * entity id, state, tags and attribute names/values (fuzz/oracle.ts, written from DOCS.md); every state it
 * says is refused must be refused and counted with that reason. Prints the figures; 0 mismatches.
 * HOMEIQ_FUZZ_SEED picks another seed (the default keeps CI reproducible); HOMEIQ_FUZZ_STATES another count.
 */
import { FLUX_EXACT_IMPORT, fluxExact } from '@homeiq/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFrame } from '../../../homeiq-ingestor/src/ha/messages.js';
import { EventEncoder } from '../../../homeiq-ingestor/src/points/event-encoder.js';
import { EntityFilter } from '../../../homeiq-ingestor/src/points/filter.js';
import { flux } from '../../../dev/influx-query.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { frameText, fuzzStates } from './fuzz/generate.js';
import { expected, timeUs, type Expected } from './fuzz/oracle.js';

const SEED = Number(process.env['HOMEIQ_FUZZ_SEED'] ?? 20261206);
const STATES = Number(process.env['HOMEIQ_FUZZ_STATES'] ?? 20_000);
/** The run stops generating and writing after this long (the CI budget); fewer states then fail the count. */
const TIME_BUDGET_MS = 240_000;
const TAGS = ['entity_id', 'domain', 'device_class', 'unit'] as const;

let influx: RealInfluxd;
let setup: InfluxSetup;

beforeAll(async () => {
  influx = await startInfluxd();
  setup = await influx.setup();
}, 600_000);

afterAll(async () => {
  await influx?.dispose();
});

/** What a Flux read holds for one point (one state: every state has its own time). */
interface Stored {
  measurement: string;
  tags: Record<string, string>;
  fields: Map<string, string>;
}

async function readBack(): Promise<Map<string, Stored>> {
  const points = new Map<string, Stored>();
  const q = (filter: string, exact: boolean) =>
    flux(
      influx.url,
      setup.org,
      setup.token,
      `${FLUX_EXACT_IMPORT}
from(bucket: "${setup.bucket}") |> range(start: 2000-01-01T00:00:00Z) |> filter(fn: (r) => ${filter})
  |> drop(columns: ["_start", "_stop"]) |> group()${exact ? ` ${fluxExact()}` : ''}`,
      exact ? { exact: ['_value'] } : {},
    );
  // One table per value type (Flux maps a single table much faster than thousands of series one by one).
  const strings = await q('r._field == "state" or r._field =~ /_(str|json)$/', true);
  const floats = await q('r._field == "value" or r._field == "dropped_attributes" or r._field =~ /_num$/', false);
  const bools = await q('r._field =~ /_bool$/', false);
  for (const r of [...strings, ...floats, ...bools]) {
    const t = r['_time'] as string;
    let p = points.get(t);
    if (!p) {
      const tags: Record<string, string> = {};
      for (const k of TAGS) if (r[k]) tags[k] = r[k] as string;
      p = { measurement: r['_measurement'] as string, tags, fields: new Map() };
      points.set(t, p);
    }
    p.fields.set(r['_field'] as string, r['_value'] as string);
  }
  return points;
}

/** RFC 3339 with nanoseconds as Flux prints `_time` (trailing zeros dropped). */
function fluxTime(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
  const frac = String(((us % 1_000_000) + 1_000_000) % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return `${iso}${frac ? `.${frac}` : ''}Z`;
}

function differences(want: Expected, got: Stored | undefined): string[] {
  if (!got) return ['no point stored'];
  const out: string[] = [];
  if (got.measurement !== want.measurement) out.push(`measurement ${got.measurement} ≠ ${want.measurement}`);
  for (const k of TAGS)
    if ((got.tags[k] ?? '') !== (want.tags[k] ?? ''))
      out.push(`tag ${k} ${JSON.stringify(got.tags[k])} ≠ ${JSON.stringify(want.tags[k])}`);
  for (const [k, v] of want.fields) {
    const g = got.fields.get(k);
    const same =
      g !== undefined && (typeof v === 'string' ? g === v : typeof v === 'boolean' ? g === String(v) : Number(g) === v);
    if (!same)
      out.push(`field ${JSON.stringify(k)}: ${JSON.stringify(g)?.slice(0, 80)} ≠ ${JSON.stringify(v)?.slice(0, 80)}`);
  }
  for (const k of got.fields.keys()) if (!want.fields.has(k)) out.push(`unexpected field ${JSON.stringify(k)}`);
  return out;
}

describe('fuzz round trip through the encoder and a real influxd', () => {
  it(`${STATES} hostile states: written exactly as documented, or refused with a reason`, async () => {
    const t0 = Date.now();
    const states = fuzzStates(SEED, STATES);
    const reported: string[] = [];
    const encoder = new EventEncoder(
      { maxStringLength: 16_384, excludeAttributes: new Set(), layout: 'homeiq', enrich: undefined },
      new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] }),
      (p) => reported.push(p),
    );
    const figures = {
      generated: 0,
      written: 0,
      accepted: 0,
      capped: 0,
      refused: {} as Record<string, number>,
      mismatches: 0,
    };
    const mismatches: string[] = [];
    const wantAt = new Map<string, { i: number; want: Expected }>();
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const res = await fetch(`${influx.url}/api/v2/write?org=${setup.org}&bucket=${setup.bucket}&precision=ns`, {
        method: 'POST',
        headers: { Authorization: `Token ${setup.token}` },
        body: batch.join('\n'),
      });
      // The encoder must never produce a line InfluxDB refuses.
      if (res.status !== 204)
        mismatches.push(`InfluxDB refused a batch (${res.status}): ${(await res.text()).slice(0, 300)}`);
      batch = [];
    };
    for (const [i, s] of states.entries()) {
      if (Date.now() - t0 > TIME_BUDGET_MS) break;
      figures.generated += 1;
      const messages = parseFrame(frameText(s, i)) ?? [];
      const event = messages[0]?.type === 'event' ? messages[0].event : undefined;
      const before = encoder.stats().problems;
      const line = event ? encoder.encode(event) : undefined;
      const verdict = expected(s);
      if ('refused' in verdict) {
        figures.refused[verdict.refused] = (figures.refused[verdict.refused] ?? 0) + 1;
        const after = encoder.stats().problems;
        if (line !== undefined || (after[verdict.refused] ?? 0) !== (before[verdict.refused] ?? 0) + 1)
          mismatches.push(
            `#${i}: should be refused as ${verdict.refused}, was ${line === undefined ? 'refused otherwise' : 'written'}`,
          );
        continue;
      }
      if (line === undefined) {
        mismatches.push(`#${i}: not written (${JSON.stringify(s).slice(0, 200)})`);
        continue;
      }
      figures.written += 1;
      if (verdict.written.capped) figures.capped += 1;
      wantAt.set(fluxTime(timeUs(s.lastUpdated) as number), { i, want: verdict.written });
      batch.push(line);
      if (batch.length >= 1000) await flush();
    }
    await flush();
    const tRead = Date.now();
    const stored = await readBack();
    const readMs = Date.now() - tRead;
    for (const [t, { i, want }] of wantAt) {
      const diff = differences(want, stored.get(t));
      if (diff.length === 0) figures.accepted += 1;
      else mismatches.push(`#${i} (${JSON.stringify(states[i]).slice(0, 300)}): ${diff.slice(0, 5).join('; ')}`);
    }
    figures.mismatches = mismatches.length;
    console.log(
      `fuzz round trip (seed ${SEED}): ${JSON.stringify(figures)}; encoder problems ${JSON.stringify(encoder.stats().problems)}; ${((Date.now() - t0) / 1000).toFixed(1)} s (Flux read ${(readMs / 1000).toFixed(1)} s)`,
    );
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(figures.generated).toBeGreaterThanOrEqual(20_000);
    expect(figures.accepted).toBe(figures.written);
    expect(stored.size).toBe(figures.written);
  }, 600_000);
});
