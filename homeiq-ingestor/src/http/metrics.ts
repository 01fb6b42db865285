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
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition (version 0.0.4) of the ingestor's counters and gauges. */
export function renderMetrics(m: MetricsSnapshot): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number, labels = ''): void => {
    out.push(`# HELP homeiq_${name} ${help}`, `# TYPE homeiq_${name} ${type}`, `homeiq_${name}${labels} ${value}`);
  };
  /** A counter with one sample per key of `counts`, labelled `label="<key>"`. */
  const byLabel = (name: string, help: string, label: string, counts: Record<string, number>): void => {
    out.push(`# HELP homeiq_${name} ${help}`, `# TYPE homeiq_${name} counter`);
    for (const [key, n] of Object.entries(counts)) out.push(`homeiq_${name}{${label}="${esc(key)}"} ${n}`);
  };
  byLabel('events_received_total', 'Events received from Home Assistant, by type.', 'event_type', m.events.byType);
  metric('points_encoded_total', 'counter', 'Events encoded into points.', m.encoder.encoded);
  metric('events_filtered_total', 'counter', 'Events excluded by include/exclude options.', m.encoder.filtered);
  metric(
    'events_dropped_total',
    'counter',
    'Events that produced no point (removed entities, malformed events).',
    m.encoder.dropped,
  );
  byLabel('input_problems_total', 'Input that had to be sanitised or refused, by kind.', 'kind', m.encoder.problems);
  metric('points_spooled_total', 'counter', 'Points durably in the spool (fsynced).', m.spool.committed);
  metric('points_refused_total', 'counter', 'Points refused because the spool was full.', m.spool.refused);
  metric(
    'points_too_big_total',
    'counter',
    'Points not written because they were larger than a spool record may be (not a full spool).',
    m.spool.tooBig,
  );
  metric('spool_bytes', 'gauge', 'Unsent bytes in the spool.', m.spool.bytes);
  metric('spool_full', 'gauge', '1 while the spool is full and refusing points.', m.spool.full ? 1 : 0);
  metric('spool_commits_total', 'counter', 'Group commits (write + fsync).', m.spool.commits);
  metric(
    'spool_commit_failing',
    'gauge',
    '1 while group commits fail (disk full or broken); points wait in memory and are retried.',
    m.spool.commitError === undefined ? 0 : 1,
  );
  if (m.stateReports) {
    metric(
      'state_reports_total',
      'counter',
      'States Home Assistant reported unchanged, found by the state_reports_interval_s template.',
      m.stateReports.reports,
    );
    metric(
      'state_report_failures_total',
      'counter',
      'Renders of the state reports template that failed.',
      m.stateReports.failures,
    );
  }
  if (m.refill) {
    metric(
      'points_recovered_total',
      'counter',
      "States written from HA's recorder to recover those the spool refused while full.",
      m.refill.recovered,
    );
    metric(
      'refill_pending_ranges',
      'gauge',
      'Ranges of HA time with refused states still to recover (one open while the spool is full).',
      m.refill.pending.length,
    );
    metric(
      'refill_pending_seconds',
      'gauge',
      'Seconds of HA time with refused states still to recover.',
      m.refill.pendingSeconds,
    );
    metric(
      'refill_running',
      'gauge',
      "1 while refused states are being recovered from HA's recorder.",
      m.refill.state === 'running' ? 1 : 0,
    );
    metric(
      'refill_pauses_total',
      'counter',
      'Recovery windows stopped because the spool refused points again (retried once it has room).',
      m.refill.pauses,
    );
    metric(
      'refill_failures_total',
      'counter',
      "Recovery attempts that failed on HA's side (error, timeout, reply too large); retried after a backoff with a smaller window.",
      m.refill.failures,
    );
  }
  metric('points_written_total', 'counter', 'Points InfluxDB confirmed.', m.writer.written);
  metric('write_requests_total', 'counter', 'Write requests sent to InfluxDB.', m.writer.requests);
  metric('write_retries_total', 'counter', 'Failed write attempts that were retried.', m.writer.retries);
  metric('write_bisections_total', 'counter', 'Batch splits to isolate rejected lines.', m.writer.bisections);
  metric(
    'points_quarantined_total',
    'counter',
    'Points InfluxDB rejected, kept in the quarantine.',
    m.writer.quarantined,
  );
  metric('quarantine_points', 'gauge', 'Points currently in the quarantine.', m.quarantine.count);
  metric(
    'quarantine_dropped_total',
    'counter',
    'Points InfluxDB rejected that were dropped because the quarantine was full.',
    m.quarantine.dropped,
  );
  metric('write_failing', 'gauge', '1 while writes to InfluxDB are failing.', m.writer.failingSince ? 1 : 0);
  metric('last_batch_seconds', 'gauge', 'Duration of the last batch write.', (m.writer.lastBatchMs ?? 0) / 1000);
  metric('ha_connected', 'gauge', '1 while connected to Home Assistant.', m.ha.connected ? 1 : 0);
  metric('ha_reconnects_total', 'counter', 'Reconnections to Home Assistant.', m.ha.reconnects);
  metric('ha_bad_frames_total', 'counter', 'WebSocket frames that were not Home Assistant messages.', m.ha.badFrames);
  byLabel(
    'ha_invalid_messages_total',
    'Home Assistant messages left out because they lacked the shape of their type, by kind.',
    'kind',
    m.ha.invalidMessages,
  );
  metric(
    'ha_handler_errors_total',
    'counter',
    'Home Assistant messages whose handling failed (a bug; logged once per message type).',
    m.ha.handlerErrors,
  );
  metric(
    'ha_unknown_messages_total',
    'counter',
    'Home Assistant messages of a type the ingestor does not read.',
    m.ha.unknownMessages,
  );
  return `${out.join('\n')}\n`;
}
