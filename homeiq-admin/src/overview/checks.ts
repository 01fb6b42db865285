/**
 * The Overview's rules: each sibling answer (or the failure to get one) becomes one green, amber or red line with
 * its reason, what to do, and the facts behind it. Pure functions of what OverviewService gathered.
 */
import type { HealthReport } from '@homeiq/shared';
import { describeTarget } from '@homeiq/shared/contracts';
import type { BucketRow, Check, TaskRow } from '../api-types.js';
import type { IngestorStatus } from '../siblings/clients.js';
import { SiblingUnavailable } from '../siblings/locator.js';
import type { Outcome } from '../util/cache.js';
import { ago, bytes, count, days, rate } from './format.js';
import type { RateSampler } from './rate-sampler.js';

/** Unsent spool above this is a backlog worth a look (a few seconds of a busy home is far less). */
const BACKLOG_BYTES = 1024 * 1024;

function unavailable(id: string, title: string, err: Error): Check {
  const stopped = err instanceof SiblingUnavailable && (err.kind === 'stopped' || err.kind === 'not-installed');
  return {
    id,
    title,
    status: 'red',
    reason: `unknown: ${err.message}`,
    hint: stopped
      ? 'Install or start that add-on; this line turns green by itself.'
      : "Look at that add-on's log; the panel tries again every few seconds.",
    facts: [],
  };
}

export function haCheck(o: Outcome<IngestorStatus>): Check {
  if (!o.ok) return unavailable('home-assistant', 'Home Assistant', o.error);
  const ha = o.value.homeAssistant;
  const since = o.value.health.checks.find((c) => c.name === 'home-assistant')?.since;
  const facts: Check['facts'] = [
    ['version', ha.haVersion ?? 'unknown'],
    [ha.connected ? 'connected' : 'disconnected', since ? ago(since) : 'unknown'],
    ['reconnects', String(ha.reconnects)],
  ];
  const malformed = (ha.badFrames ?? 0) + Object.values(ha.invalidMessages ?? {}).reduce((a, b) => a + b, 0);
  if (malformed > 0) facts.push(['malformed messages left out', String(malformed)]);
  if (ha.connected)
    return {
      id: 'home-assistant',
      title: 'Home Assistant',
      status: 'green',
      reason: `connected to Home Assistant ${ha.haVersion ?? ''}`.trim(),
      facts,
    };
  return {
    id: 'home-assistant',
    title: 'Home Assistant',
    status: 'red',
    reason: `not connected${ha.lastError ? `: ${ha.lastError}` : ''}`,
    hint: 'Check that Home Assistant is running; the ingestor reconnects by itself and backfills the gap.',
    facts,
  };
}

export function ingestionCheck(
  o: Outcome<IngestorStatus>,
  points: Outcome<number>,
  r: ReturnType<RateSampler['view']>,
  now: number,
): Check {
  if (!o.ok) return unavailable('ingestion', 'Ingestion', o.error);
  const s = o.value;
  const external = s.target?.kind === 'external' ? s.target : undefined;
  const facts: Check['facts'] = [
    ['events/s now', rate(r.now)],
    external
      ? ['writes to', describeTarget(external)]
      : ['stored, last hour', points.ok ? count(points.value) : 'unknown'],
    ['batch write p50 / p99', r.writeP50Ms === undefined ? '…' : `${r.writeP50Ms} / ${r.writeP99Ms ?? '…'} ms`],
    ['spool (unsent)', bytes(s.spool.bytes)],
    ['last event', ago(s.events.lastEventAt, now)],
  ];
  const base = { id: 'ingestion', title: 'Ingestion', facts };
  if (s.spool.full)
    return {
      ...base,
      status: 'red',
      reason: `the spool is full and refuses new events (${count(s.spool.refused)} refused)`,
      hint: 'Make InfluxDB writable again (see the InfluxDB line), or raise spool_max_mb in the ingestor.',
    };
  if (s.writer.failingSince)
    return {
      ...base,
      status: 'red',
      reason: `writes to InfluxDB fail since ${ago(s.writer.failingSince, now)}: ${s.writer.lastError ?? 'no reason given'}`,
      hint: 'Events wait in the spool; look at the InfluxDB line and the ingestor log.',
    };
  if (s.spool.bytes > BACKLOG_BYTES)
    return {
      ...base,
      status: 'amber',
      reason: `${bytes(s.spool.bytes)} waiting in the spool`,
      hint: 'InfluxDB is slower than Home Assistant; it catches up by itself unless this grows.',
    };
  // The HomeIQ InfluxDB's count says nothing about an external InfluxDB, which the panel does not read.
  if (external)
    return { ...base, status: 'green', reason: `${rate(r.now)} events/s now, written to your own InfluxDB` };
  const reason = `${rate(r.now)} events/s now${points.ok ? `, ${count(points.value)} state changes stored in the last hour` : ''}`;
  if (!points.ok)
    return {
      ...base,
      status: 'amber',
      reason: `${reason}; stored points unknown (${points.error.message})`,
      hint: 'The panel cannot read InfluxDB; see the InfluxDB line.',
    };
  return { ...base, status: 'green', reason };
}

export function quarantineCheck(o: Outcome<IngestorStatus>): Check {
  if (!o.ok) return unavailable('quarantine', 'Quarantine', o.error);
  const q = o.value.quarantine;
  const facts: Check['facts'] = [
    ['points', count(q.count)],
    ['size', bytes(q.bytes)],
  ];
  if (q.dropped > 0) facts.push(['dropped since start', count(q.dropped)]);
  // The ingestor's own check: amber from the first point dropped because the quarantine was full until the user makes room.
  const full = o.value.health.checks.find((c) => c.name === 'quarantine' && c.status !== 'green');
  if (full)
    return {
      id: 'quarantine',
      title: 'Quarantine',
      status: 'amber',
      reason: full.reason,
      hint: 'Open Quarantine, fix the cause, then retry or discard points to make room.',
      facts,
    };
  if (q.count === 0)
    return {
      id: 'quarantine',
      title: 'Quarantine',
      status: 'green',
      reason: q.dropped > 0 ? 'empty' : 'InfluxDB accepted every point',
      facts,
    };
  return {
    id: 'quarantine',
    title: 'Quarantine',
    status: 'amber',
    reason: `${count(q.count)} points rejected by InfluxDB`,
    hint: "Open Quarantine to read InfluxDB's reasons, then retry them.",
    facts,
  };
}

export function influxCheck(h: Outcome<HealthReport>, version: Outcome<string>): Check {
  if (!h.ok) return unavailable('influxdb', 'InfluxDB', h.error);
  const worst = h.value.checks.find((c) => c.status === h.value.status && c.status !== 'green');
  const influxd = h.value.checks.find((c) => c.name === 'influxd');
  const facts: Check['facts'] = [
    ['version', version.ok ? version.value : 'unknown'],
    ...h.value.checks.map((c): [string, string] => [c.name, c.status]),
  ];
  return {
    id: 'influxdb',
    title: 'InfluxDB',
    status: h.value.status,
    reason: worst?.reason ?? influxd?.reason ?? 'healthy',
    ...(worst?.hint ? { hint: worst.hint } : {}),
    facts,
  };
}

export function storageCheck(o: Outcome<BucketRow[]>): Check {
  if (!o.ok) return unavailable('storage', 'Storage', o.error);
  const raw = o.value.find((b) => b.role === 'raw');
  const total = o.value.reduce((n, b) => n + (b.sizeBytes ?? 0), 0);
  const facts: Check['facts'] = [
    ['disk (all buckets)', bytes(total)],
    ['series (raw)', raw?.seriesCardinality === null || raw === undefined ? 'unknown' : count(raw.seriesCardinality)],
    ...o.value.map((b): [string, string] => [`retention ${b.name}`, days(b.retentionDays)]),
  ];
  if (!raw)
    return {
      id: 'storage',
      title: 'Storage',
      status: 'amber',
      reason: 'the raw bucket is missing',
      hint: 'Restart HomeIQ InfluxDB; it creates its buckets at start.',
      facts,
    };
  return {
    id: 'storage',
    title: 'Storage',
    status: 'green',
    reason: `${bytes(total)} on disk, raw data kept ${days(raw.retentionDays)}`,
    facts,
  };
}

/** A task that has not completed within twice its period plus a margin is late. */
function periodMs(every: string | undefined): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(every ?? '');
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

export function tasksCheck(o: Outcome<TaskRow[]>, now: number): Check {
  if (!o.ok) return unavailable('tasks', 'Downsampling tasks', o.error);
  const facts = o.value.map((t): [string, string] => [
    t.name,
    t.lastRunStatus ? `${t.lastRunStatus}, ${ago(t.lastRunAt, now)}` : 'waiting for its first run',
  ]);
  const base = { id: 'tasks', title: 'Downsampling tasks', facts };
  const failed = o.value.find((t) => t.lastRunStatus === 'failed');
  if (failed)
    return {
      ...base,
      status: 'amber',
      reason: `${failed.name} failed: ${failed.lastRunError ?? 'no reason given'}`,
      hint: 'Run it again from Storage; if it fails again, the reason says what to fix.',
    };
  const inactive = o.value.find((t) => t.status !== 'active');
  if (inactive)
    return {
      ...base,
      status: 'amber',
      reason: `${inactive.name} is ${inactive.status}`,
      hint: 'Restart HomeIQ InfluxDB; it re-enables its tasks at start.',
    };
  const late = o.value.find((t) => {
    const p = periodMs(t.every);
    return p !== undefined && t.lastRunAt !== null && now - Date.parse(t.lastRunAt) > 2 * p + 5 * 60_000;
  });
  if (late)
    return {
      ...base,
      status: 'amber',
      reason: `${late.name} last ran ${ago(late.lastRunAt, now)}`,
      hint: 'InfluxDB may be overloaded; look at the HomeIQ InfluxDB log.',
    };
  if (o.value.length === 0)
    return {
      ...base,
      status: 'amber',
      reason: 'no downsampling tasks',
      hint: 'Restart HomeIQ InfluxDB; it creates its tasks at start.',
    };
  const ran = o.value.filter((t) => t.lastRunStatus === 'success').length;
  const reason =
    ran === o.value.length
      ? `${o.value.length} tasks active, last runs succeeded`
      : `${o.value.length} tasks active, ${ran} ran so far (each runs on its schedule)`;
  return { ...base, status: 'green', reason };
}
