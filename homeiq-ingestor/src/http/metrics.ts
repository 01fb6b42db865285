import type { RefillStatus } from '../backfill/backfill-status.js';
import type { EventCounts } from '../event-counter.js';
import type { HaSocketStats } from '../ha/ha-socket.js';
import type { StateReportsStats } from '../ha/state-reports.js';
import type { WriterStats } from '../influx/writer.js';
import type { EncoderStats } from '../points/event-encoder.js';
import type { SpoolStats } from '../spool/spool.js';

export interface MetricsSnapshot {
  events: EventCounts;
  ha: HaSocketStats;
  encoder: EncoderStats;
  spool: SpoolStats;
  writer: WriterStats;
  quarantine: { count: number; bytes: number; dropped: number };
  /** The recovery of states refused while the spool was full; absent without the backfill. */
  refill?: RefillStatus | undefined;
  /** Option state_reports_interval_s; absent when off. */
  stateReports?: StateReportsStats | undefined;
  /** The process's memory (process.memoryUsage()); absent in snapshots made without it. */
  memory?: Pick<NodeJS.MemoryUsage, 'rss' | 'heapUsed' | 'external'> | undefined;
}

type Read = (m: MetricsSnapshot) => number | undefined;

/**
 * One metric of the exposition: a single sample (left out when `value` gives undefined, i.e. its part of the
 * snapshot is absent), or a counter with one sample per key of `counts`, labelled `label="<key>"`.
 */
type Metric =
  | { name: string; type: 'counter' | 'gauge'; help: string; value: Read }
  | { name: string; help: string; label: string; counts: (m: MetricsSnapshot) => Record<string, number> };

const counter = (name: string, help: string, value: Read): Metric => ({ name, type: 'counter', help, value });
const gauge = (name: string, help: string, value: Read): Metric => ({ name, type: 'gauge', help, value });
const byLabel = (name: string, help: string, label: string, counts: (m: MetricsSnapshot) => Record<string, number>) =>
  ({ name, help, label, counts }) satisfies Metric;
const flag = (on: boolean): number => (on ? 1 : 0);

// One table, in exposition order: a new metric is one row, and every row is rendered the same way.
const METRICS: readonly Metric[] = [
  byLabel(
    'events_received_total',
    'Events received from Home Assistant, by type.',
    'event_type',
    (m) => m.events.byType,
  ),
  counter('points_encoded_total', 'Events encoded into points.', (m) => m.encoder.encoded),
  counter('events_filtered_total', 'Events excluded by include/exclude options.', (m) => m.encoder.filtered),
  counter(
    'events_dropped_total',
    'Events that produced no point (removed entities, malformed events).',
    (m) => m.encoder.dropped,
  ),
  byLabel(
    'input_problems_total',
    'Input that had to be sanitised or refused, by kind.',
    'kind',
    (m) => m.encoder.problems,
  ),
  counter('points_spooled_total', 'Points durably in the spool (fsynced).', (m) => m.spool.committed),
  counter('points_refused_total', 'Points refused because the spool was full.', (m) => m.spool.refused),
  counter(
    'points_too_big_total',
    'Points not written because they were larger than a spool record may be (not a full spool).',
    (m) => m.spool.tooBig,
  ),
  gauge('spool_bytes', 'Unsent bytes in the spool.', (m) => m.spool.bytes),
  gauge('spool_full', '1 while the spool is full and refusing points.', (m) => flag(m.spool.full)),
  counter('spool_commits_total', 'Group commits (one durable write each).', (m) => m.spool.commits),
  gauge(
    'spool_commit_failing',
    '1 while group commits fail (disk full or broken); points wait in memory and are retried.',
    (m) => flag(m.spool.commitError !== undefined),
  ),
  counter(
    'state_reports_total',
    'States Home Assistant reported unchanged, found by the state_reports_interval_s template.',
    (m) => m.stateReports?.reports,
  ),
  counter(
    'state_report_failures_total',
    'Renders of the state reports template that failed.',
    (m) => m.stateReports?.failures,
  ),
  counter(
    'points_recovered_total',
    "States written from HA's recorder to recover those the spool refused while full.",
    (m) => m.refill?.recovered,
  ),
  gauge(
    'refill_pending_ranges',
    'Ranges of HA time with refused states still to recover (one open while the spool is full).',
    (m) => m.refill?.pending.length,
  ),
  gauge(
    'refill_pending_seconds',
    'Seconds of HA time with refused states still to recover.',
    (m) => m.refill?.pendingSeconds,
  ),
  gauge(
    'refill_running',
    "1 while refused states are being recovered from HA's recorder.",
    (m) => m.refill && flag(m.refill.state === 'running'),
  ),
  counter(
    'refill_pauses_total',
    'Recovery windows stopped because the spool refused points again (retried once it has room).',
    (m) => m.refill?.pauses,
  ),
  counter(
    'refill_failures_total',
    "Recovery attempts that failed on HA's side (error, timeout, reply too large); retried after a backoff with a smaller window.",
    (m) => m.refill?.failures,
  ),
  counter('points_written_total', 'Points InfluxDB confirmed.', (m) => m.writer.written),
  counter('write_requests_total', 'Write requests sent to InfluxDB.', (m) => m.writer.requests),
  counter('write_retries_total', 'Failed write attempts that were retried.', (m) => m.writer.retries),
  counter('write_bisections_total', 'Batch splits to isolate rejected lines.', (m) => m.writer.bisections),
  counter('points_quarantined_total', 'Points InfluxDB rejected, kept in the quarantine.', (m) => m.writer.quarantined),
  gauge('quarantine_points', 'Points currently in the quarantine.', (m) => m.quarantine.count),
  counter(
    'quarantine_dropped_total',
    'Points InfluxDB rejected that were dropped because the quarantine was full.',
    (m) => m.quarantine.dropped,
  ),
  gauge('write_failing', '1 while writes to InfluxDB are failing.', (m) => flag(Boolean(m.writer.failingSince))),
  gauge('last_batch_seconds', 'Duration of the last batch write.', (m) => (m.writer.lastBatchMs ?? 0) / 1000),
  gauge('ha_connected', '1 while connected to Home Assistant.', (m) => flag(m.ha.connected)),
  counter('ha_reconnects_total', 'Reconnections to Home Assistant.', (m) => m.ha.reconnects),
  counter('ha_bad_frames_total', 'WebSocket frames that were not Home Assistant messages.', (m) => m.ha.badFrames),
  byLabel(
    'ha_invalid_messages_total',
    'Home Assistant messages left out because they lacked the shape of their type, by kind.',
    'kind',
    (m) => m.ha.invalidMessages,
  ),
  counter(
    'ha_handler_errors_total',
    'Home Assistant messages whose handling failed (a bug; logged once per message type).',
    (m) => m.ha.handlerErrors,
  ),
  counter(
    'ha_unknown_messages_total',
    'Home Assistant messages of a type the ingestor does not read.',
    (m) => m.ha.unknownMessages,
  ),
  // Memory, so a board's owner (and the large-state test) can see it come back after a burst or a huge state.
  gauge('process_resident_memory_bytes', 'Resident memory of the ingestor process.', (m) => m.memory?.rss),
  gauge('process_heap_used_bytes', 'V8 heap in use (JavaScript objects and strings).', (m) => m.memory?.heapUsed),
  gauge(
    'process_external_memory_bytes',
    'Memory outside the V8 heap held by JavaScript objects (buffers).',
    (m) => m.memory?.external,
  ),
];

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition (version 0.0.4) of the ingestor's counters and gauges. */
export function renderMetrics(m: MetricsSnapshot): string {
  const out: string[] = [];
  for (const d of METRICS) {
    if ('counts' in d) {
      out.push(`# HELP homeiq_${d.name} ${d.help}`, `# TYPE homeiq_${d.name} counter`);
      for (const [key, n] of Object.entries(d.counts(m))) out.push(`homeiq_${d.name}{${d.label}="${esc(key)}"} ${n}`);
      continue;
    }
    const value = d.value(m);
    if (value === undefined) continue;
    out.push(`# HELP homeiq_${d.name} ${d.help}`, `# TYPE homeiq_${d.name} ${d.type}`, `homeiq_${d.name} ${value}`);
  }
  return `${out.join('\n')}\n`;
}
