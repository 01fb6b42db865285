// Ingest bench: realistic coalesced HA frames through the ingestor's own code on one core — parse (parseFrame) →
// count → live-stream ring buffer → StatePipeline (restart digest, filter + encode, exactly main.ts's onEvent) →
// durable spool (group commit, fdatasync) → InfluxWriter/InfluxSender (gzip, keep-alive) → HTTP to a local sink
// (a separate process that drains and answers 204). Also times JSON.parse alone on the very same frames in the
// same run. Both are measured warm: JSON.parse as the best of 3 passes after one warm-up, the pipeline after one
// untimed warm-up pass through its own encoder (a throw-away pipeline writing nowhere).
//
//   npm run bench -- ingest [--events 200000] [--flush-ms 50] [--no-pin] [--stages]
//
// --stages also runs the same frames through shorter chains (stopping after encoding, then after the spool's
// fsync) and prints what each stage adds per event: where the full run's time goes, measured rather than profiled.
//
// --flush-ms is the writer's flush interval. It only delays a batch that is not full, so at the rates measured
// here it matters only for the last, partial batch of the run: with the production default (1000 ms) the clock
// would run on for up to a second of idle waiting for it, which is latency, not ingest work.
//
// The bench pins all its threads to core 0 with `taskset -a -p` (the sink gets core 1), so the pipeline — including
// libuv's threads for fsync and gzip — shares one core. Last line: one JSON object.
import { createLogger, Health, LogSecrets } from '@homeiq/shared';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventCounter } from '../homeiq-ingestor/src/event-counter.js';
import { parseFrame } from '../homeiq-ingestor/src/ha/messages.js';
import { EventStream } from '../homeiq-ingestor/src/http/event-stream.js';
import { Quarantine } from '../homeiq-ingestor/src/influx/quarantine.js';
import { InfluxSender } from '../homeiq-ingestor/src/influx/send.js';
import { InfluxWriter } from '../homeiq-ingestor/src/influx/writer.js';
import { EventEncoder } from '../homeiq-ingestor/src/points/event-encoder.js';
import { EntityFilter } from '../homeiq-ingestor/src/points/filter.js';
import { StateDigests } from '../homeiq-ingestor/src/points/restart-digest.js';
import { StatePipeline } from '../homeiq-ingestor/src/points/state-pipeline.js';
import { Spool } from '../homeiq-ingestor/src/spool/spool.js';
import { makeFrames } from './ha-frames.js';
import { startSink } from './write-sink.js';

// bench/e2e.ts and bench/migrate.ts take the frames from here.
export { makeFrames };

const GOAL_RATIO = 0.35;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** How far a timed run goes: the whole pipeline, or (with --stages) stopping after the spool or after encoding. */
type Stage = 'full' | 'spool' | 'encode';

interface Timed {
  received: number;
  points: number;
  filtered: number;
  alreadyWritten: number;
  ms: number;
  feedMs: number;
  cpuMs: number;
  requests: number;
  commits: number;
  rssBefore: number;
  rssMax: number;
}

const makeEncoder = (): EventEncoder =>
  new EventEncoder(
    { maxStringLength: 16_384, excludeAttributes: new Set(['entity_picture']), layout: 'homeiq' },
    new EntityFilter({
      includeDomains: [],
      includeEntities: [],
      excludeDomains: [],
      excludeEntities: ['switch.relay_1*'],
    }),
    () => undefined,
  );

/**
 * One timed pass over the frames through fresh instances, as main.ts wires them: counter, live stream,
 * StatePipeline (digest, filter, encode) → spool → writer → sink. `stage` cuts the chain short: 'spool' has no
 * writer (the clock stops when every point is fsynced), 'encode' hands lines to a sink that drops them.
 */
async function timedRun(stage: Stage, frames: string[], passes: number, dir: string, sinkUrl: string): Promise<Timed> {
  const log = createLogger({ level: 'warning', name: 'bench', secrets: new LogSecrets() });
  const spool = new Spool({ dir: join(dir, `spool-${stage}`), maxBytes: 8 * 1024 ** 3, log });
  const health = new Health();
  const quarantine = new Quarantine({ file: join(dir, `quarantine-${stage}.jsonl`), maxBytes: 1 << 20, log, health });
  const sender = new InfluxSender();
  const writer = new InfluxWriter({
    spool,
    sender,
    quarantine,
    health,
    log,
    target: { get: async () => ({ url: sinkUrl, org: 'o', bucket: 'b', token: 't' }), invalidate: () => undefined },
    batchLines: 5000,
    batchBytes: 1024 * 1024,
    flushIntervalMs: arg('flush-ms', 50),
  });
  const counter = new EventCounter();
  const stream = new EventStream();
  const encoder = makeEncoder();
  let dropped = 0;
  const sink =
    stage === 'encode'
      ? {
          append: () => {
            dropped += 1;
            return true;
          },
        }
      : spool;
  const pipeline = new StatePipeline({ encoder, sink, digests: new StateDigests(), skipRestartDuplicates: true });
  await spool.start();
  await quarantine.start();
  if (stage === 'full') await writer.start();

  const rssBefore = process.memoryUsage.rss();
  let rssMax = 0;
  // memoryUsage.rss(): the full memoryUsage() walks the V8 heap spaces, which the timed run would pay for.
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage.rss())), 50);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let received = 0;
  // As the socket delivers them: one frame per macrotask-sized chunk, handing the loop back between chunks so the
  // spool's group commits and the writer's requests run alongside (they share this core).
  for (let p = 0; p < passes; p += 1) {
    for (let i = 0; i < frames.length; i += 1) {
      const msgs = parseFrame(frames[i] as string);
      if (msgs) {
        for (const m of msgs) {
          if (m.type !== 'event') continue;
          received += 1;
          counter.record(m.event);
          stream.publish(m.event);
          pipeline.onEvent(m.event);
        }
      }
      if (i % 64 === 63) await new Promise((r) => setImmediate(r));
    }
  }
  const tFed = performance.now();
  // What reached the spool (the pipeline skips states it already wrote: the passes repeat the same frames, so the
  // last state of each entity comes round again with its own timestamp — a few hundred per pass).
  const points = stage === 'encode' ? dropped : spool.stats().appended;
  if (stage === 'spool') await spool.sync();
  while (stage === 'full' && writer.stats().written < points) {
    if (spool.stats().refused > 0) throw new Error('the spool refused points');
    await new Promise((r) => setTimeout(r, 2));
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(rssTimer);
  rssMax = Math.max(rssMax, process.memoryUsage.rss());
  if (stage === 'spool' && spool.stats().committed < points) throw new Error('the spool did not commit every point');
  await writer.stop();
  await spool.stop();
  sender.close();
  return {
    received,
    points,
    filtered: encoder.stats().filtered,
    alreadyWritten: pipeline.stats().alreadyWritten,
    ms,
    feedMs: tFed - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    requests: writer.stats().requests,
    commits: spool.stats().commits,
    rssBefore,
    rssMax,
  };
}

export async function run(): Promise<void> {
  // One core: pin every thread of this process (and those it creates later: libuv's pool) to core 0.
  const pinned =
    !process.argv.includes('--no-pin') &&
    spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]).status === 0;
  const stages = process.argv.includes('--stages');
  const target = arg('events', 200_000);
  const { frames, events: perPass } = makeFrames(4000, 12);
  const passes = Math.max(1, Math.round(target / perPass));
  const bytes = frames.reduce((n, f) => n + f.length, 0);
  console.log(
    `[ingest] ${frames.length} distinct frames, ${perPass} events (${(bytes / 1e6).toFixed(1)} MB of JSON), ${passes} passes; pinned=${pinned}`,
  );

  const dir = await mkdtemp(join(tmpdir(), 'homeiq-bench-ingest-'));
  const sink = await startSink();
  process.once('exit', () => sink.child.kill());
  // Warm-up (untimed): one pass through a throw-away pipeline writing nowhere, so the timed run is not paying
  // for JIT compilation while JSON.parse's figure is the best of three warm passes.
  {
    const warm = new StatePipeline({
      encoder: makeEncoder(),
      sink: { append: () => true },
      digests: new StateDigests(),
      skipRestartDuplicates: true,
    });
    for (const f of frames) for (const m of parseFrame(f) ?? []) if (m.type === 'event') warm.onEvent(m.event);
  }
  const full = await timedRun('full', frames, passes, dir, sink.url);
  // --stages: the same frames again through shorter chains, to show where the time of the full run goes.
  const partial = stages
    ? {
        spool: await timedRun('spool', frames, passes, dir, sink.url),
        encode: await timedRun('encode', frames, passes, dir, sink.url),
      }
    : undefined;
  sink.child.kill();
  await rm(dir, { recursive: true, force: true });

  // JSON.parse alone on the same frames (best of 3 after a warm-up pass). After the pipeline, so that the
  // heap this loop grows (~90 MB of short-lived garbage) is not counted in the pipeline's RSS.
  let parseBest = Infinity;
  for (let rep = 0; rep < 4; rep += 1) {
    const t0 = performance.now();
    let sink = 0;
    for (let p = 0; p < passes; p += 1) for (const f of frames) sink += (JSON.parse(f) as unknown[]).length ?? 1;
    const ms = performance.now() - t0;
    if (rep > 0) parseBest = Math.min(parseBest, ms);
    if (sink < 0) console.log(sink);
  }
  const parseRate = (perPass * passes) / (parseBest / 1000);

  const rate = full.received / (full.ms / 1000);
  const usPerEvent = (t: Timed): number => Number(((t.ms * 1000) / t.received).toFixed(2));
  // Each stage's ratio, and what it adds per event over the shorter chain (µs): JSON.parse of the frames, then
  // count/stream/digest/filter/encode, then the spool (framing, checksums, writev, fdatasync), then the writer
  // (batching, gzip, HTTP).
  const stageFigures =
    partial &&
    Object.fromEntries(
      (['encode', 'spool', 'full'] as const).map((k, i) => {
        const t = k === 'full' ? full : partial[k];
        const before =
          i === 0
            ? (parseBest * 1000) / (perPass * passes)
            : usPerEvent(k === 'spool' ? partial.encode : partial.spool);
        return [
          k,
          {
            ratio: Number((t.received / (t.ms / 1000) / parseRate).toFixed(3)),
            usPerEvent: usPerEvent(t),
            addsUsPerEvent: Number((usPerEvent(t) - before).toFixed(2)),
            cpuMs: Math.round(t.cpuMs),
          },
        ];
      }),
    );
  const result = {
    bench: 'ingest',
    events: full.received,
    points: full.points,
    filtered: full.filtered,
    alreadyWritten: full.alreadyWritten,
    pipelineEventsPerSec: Math.round(rate),
    jsonParseOnlyEventsPerSec: Math.round(parseRate),
    ratio: Number((rate / parseRate).toFixed(3)),
    goalRatio: GOAL_RATIO,
    meetsGoal: rate / parseRate >= GOAL_RATIO,
    feedMs: Math.round(full.feedMs),
    totalMs: Math.round(full.ms),
    writeRequests: full.requests,
    spoolCommits: full.commits,
    /** CPU time of this process (all its threads: libuv's fsync/gzip too) during the timed run. */
    cpuMs: Math.round(full.cpuMs),
    /** RSS when the pipeline started: vite-node, the modules, the frames. */
    rssBeforeMiB: Math.round(full.rssBefore / 1048576),
    rssMaxMiB: Math.round(full.rssMax / 1048576),
    pinnedToOneCore: pinned,
    node: process.version,
    ...(stageFigures
      ? { parseUsPerEvent: Number(((parseBest * 1000) / (perPass * passes)).toFixed(2)), stages: stageFigures }
      : {}),
  };
  console.log(
    `[ingest] ${full.received} events in ${(full.ms / 1000).toFixed(2)} s end to end (all ${full.points} points confirmed by the sink): ${result.pipelineEventsPerSec} events/s; JSON.parse alone ${result.jsonParseOnlyEventsPerSec} events/s; ratio ${result.ratio} (goal ≥ ${GOAL_RATIO}); RSS max ${result.rssMaxMiB} MiB`,
  );
  if (stageFigures)
    for (const [k, v] of Object.entries(stageFigures))
      console.log(`[ingest] up to ${k}: ${v.usPerEvent} µs/event (+${v.addsUsPerEvent}), ratio ${v.ratio}`);
  console.log(JSON.stringify(result));
}
