import { describe, expect, it } from 'vitest';
import { EventCounter } from '../event-counter.js';
import { renderMetrics, type MetricsSnapshot } from './metrics.js';
import { idleEncoderStats, idleHaStats, idleWriterStats } from '../../../tests/harness/ingestor-api.js';

/** A snapshot of an idle ingestor; each test changes what it is about. */
function snapshot(): MetricsSnapshot {
  return {
    events: new EventCounter().counts(),
    ha: idleHaStats(),
    encoder: idleEncoderStats(),
    spool: {
      appended: 0,
      committed: 0,
      refused: 0,
      tooBig: 0,
      bytes: 0,
      segments: 1,
      full: false,
      commits: 0,
      commitError: undefined,
    },
    writer: idleWriterStats(),
    quarantine: { count: 0, bytes: 0, dropped: 0 },
    refill: {
      state: 'idle',
      pending: [],
      pendingSeconds: 0,
      recovered: 0,
      pauses: 0,
      failures: 0,
      startedAt: undefined,
      completedAt: undefined,
      lastError: undefined,
    },
  };
}

const value = (text: string, name: string): string | undefined =>
  new RegExp(`^homeiq_${name} (\\S+)$`, 'm').exec(text)?.[1];

describe('renderMetrics', () => {
  it('has spool_commit_failing 1 while group commits fail, 0 otherwise', () => {
    const ok = renderMetrics(snapshot());
    expect(ok).toMatch(/^# TYPE homeiq_spool_commit_failing gauge$/m);
    expect(value(ok, 'spool_commit_failing')).toBe('0');
    const failing = snapshot();
    failing.spool.commitError = 'ENOSPC: no space left on device, write';
    expect(value(renderMetrics(failing), 'spool_commit_failing')).toBe('1');
  });

  it('counts failed refill attempts, and leaves refill metrics out without a refill', () => {
    const s = snapshot();
    if (s.refill) s.refill.failures = 3;
    const text = renderMetrics(s);
    expect(text).toMatch(/^# TYPE homeiq_refill_failures_total counter$/m);
    expect(value(text, 'refill_failures_total')).toBe('3');
    expect(renderMetrics({ ...s, refill: undefined })).not.toMatch(/homeiq_refill_/);
  });

  it('writes a labelled counter once per key, with its HELP and TYPE once and the label value escaped', () => {
    const s = snapshot();
    s.encoder.problems = { attribute_renamed: 2, 'odd"kind\\': 1 };
    const text = renderMetrics(s);
    expect(text.match(/^# TYPE homeiq_input_problems_total counter$/gm)).toHaveLength(1);
    expect(text.match(/^# HELP homeiq_input_problems_total /gm)).toHaveLength(1);
    expect(text).toMatch(/^homeiq_input_problems_total\{kind="attribute_renamed"\} 2$/m);
    expect(text).toContain('homeiq_input_problems_total{kind="odd\\"kind\\\\"} 1');
    expect(text).toMatch(/^# TYPE homeiq_ha_invalid_messages_total counter$/m);
    expect(text).not.toMatch(/^homeiq_ha_invalid_messages_total\{/m);
  });
});

describe('process memory', () => {
  it('is three gauges when the snapshot has it, none without', () => {
    const s = { ...snapshot(), memory: { rss: 73_400_320, heapUsed: 21_000_000, external: 10_500_000 } };
    const text = renderMetrics(s);
    expect(text).toMatch(/^# TYPE homeiq_process_resident_memory_bytes gauge$/m);
    expect(value(text, 'process_resident_memory_bytes')).toBe('73400320');
    expect(value(text, 'process_heap_used_bytes')).toBe('21000000');
    expect(value(text, 'process_external_memory_bytes')).toBe('10500000');
    expect(renderMetrics(snapshot())).not.toMatch(/homeiq_process_/);
  });
});
