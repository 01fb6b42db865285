import type { HealthCheck } from '@homeiq/shared';
import type { InfluxdbSummary } from '@homeiq/shared/contracts';
import { describe, expect, it } from 'vitest';
import { ALERT_PREFIX, detectAlerts, SPOOL_CLEAR, SPOOL_RAISE } from './alerts.js';
import { entityState } from './entities.js';
import type { Figures } from './figures.js';

const MB = 1024 * 1024;
const NOW = Date.parse('2025-05-01T12:00:00Z');
const LINKS = { panel: '/hassio/ingress/abc_homeiq-admin', log: '/hassio/addon/abc_homeiq-ingestor/logs' };
const check = (name: string, status: HealthCheck['status'], reason: string, hint?: string): HealthCheck => ({
  name,
  status,
  reason,
  since: '2025-05-01T11:00:00Z',
  ...(hint ? { hint } : {}),
});
const summary = (checks: HealthCheck[] = []): InfluxdbSummary => ({
  health: { status: checks.some((c) => c.status !== 'green') ? 'amber' : 'green', checks },
  version: '2.9.1',
  diskBytes: 123_456,
  downsampling: {
    tasks: 2,
    failed: 0,
    lastRunAt: '2025-05-01T11:55:00Z',
    lastRunTask: 'homeiq-downsample-5m',
    lastRunStatus: 'success',
  },
});

/** An empty spool of 1 GiB, with `over` changed. */
const spool = (over: Partial<Figures['spool']> = {}): Figures['spool'] => ({
  bytes: 0,
  maxBytes: 1024 * MB,
  full: false,
  oldestUnsentAgeS: 0,
  settledBytes: 0,
  settledAgeS: 0,
  commitError: undefined,
  ...over,
});

function figures(over: Partial<Figures> = {}, checks: HealthCheck[] = []): Figures {
  return {
    at: NOW,
    eventsPerSecond: 12.345,
    lastEventAgeS: 0.4,
    spool: spool(),
    quarantine: { count: 0, bytes: 0, dropped: 0 },
    writer: { failingSince: undefined, lastError: undefined },
    health: { status: 'green', checks: [check('influxdb-writes', 'green', 'writing to InfluxDB'), ...checks] },
    influxdb: { ok: true, summary: summary() },
    import: undefined,
    ...over,
  };
}

const ids = (f: Figures, raised: string[] = []): string[] =>
  detectAlerts(f, new Set(raised), LINKS).map((a) => a.id.slice(ALERT_PREFIX.length));

describe('detectAlerts', () => {
  it('nothing while everything is green', () => {
    expect(ids(figures())).toEqual([]);
  });

  it('InfluxDB failing with points waiting: numbers, what the InfluxDB add-on says, what to do, the panel link', () => {
    const f = figures({
      spool: spool({ bytes: 12 * MB, oldestUnsentAgeS: 240, settledBytes: 12 * MB, settledAgeS: 240 }),
      writer: { failingSince: '2025-05-01T11:56:00Z', lastError: 'connect ECONNREFUSED 127.0.0.12:8086' },
      health: { status: 'amber', checks: [check('influxdb-writes', 'amber', 'InfluxDB answered 503')] },
      influxdb: { ok: false, error: 'connect ECONNREFUSED 127.0.0.12:8326' },
    });
    const [a, ...rest] = detectAlerts(f, new Set(), LINKS);
    expect(rest).toEqual([]);
    expect(a?.id).toBe('homeiq_influxdb');
    expect(a?.title).toBe('HomeIQ cannot write to InfluxDB');
    expect(a?.message).toContain('for 4 min 0 s: connect ECONNREFUSED 127.0.0.12:8086');
    expect(a?.message).toContain('12 MB of points wait in the spool (1 % of spool_max_mb, 1024 MB)');
    expect(a?.message).toContain('the oldest has waited 4 min 0 s');
    // 12 MB in 4 min: the other 1012 MB take about 5.6 h at that pace.
    expect(a?.message).toContain('full in about 5 h 37 min');
    expect(a?.message).toContain('The HomeIQ InfluxDB add-on does not answer: connect ECONNREFUSED');
    expect(a?.message).toContain('Start the HomeIQ InfluxDB add-on');
    expect(a?.message).toContain('[Open the HomeIQ panel](/hassio/ingress/abc_homeiq-admin)');
  });

  it('a failing write with nothing waiting is no data at risk (yet)', () => {
    const f = figures({ health: { status: 'amber', checks: [check('influxdb-writes', 'amber', 'x')] } });
    expect(ids(f)).toEqual([]);
  });

  it('spool: raised at 80 %, held down to 70 % once raised (hysteresis), cleared below', () => {
    const at = (fill: number) => figures({ spool: spool({ bytes: Math.ceil(fill * 1024 * MB) }) });
    expect(ids(at(SPOOL_RAISE - 0.01))).toEqual([]);
    expect(ids(at(SPOOL_RAISE))).toEqual(['spool_full']);
    expect(ids(at(SPOOL_CLEAR + 0.01), ['homeiq_spool_full'])).toEqual(['spool_full']);
    expect(ids(at(SPOOL_CLEAR - 0.01), ['homeiq_spool_full'])).toEqual([]);
  });

  it('quarantined points, a failed import, a spool disk error and a failed downsampling task each have their own', () => {
    const f = figures({
      quarantine: { count: 3, bytes: 900, dropped: 0 },
      spool: spool({ commitError: 'ENOSPC: no space left' }),
      import: {
        state: 'failed',
        days: 30,
        from: undefined,
        to: undefined,
        reached: '2025-04-10T00:00:00Z',
        progress: 0.45,
        points: 1234,
        completedAt: undefined,
        lastError: 'history/stream timed out',
        origin: 'request',
        entities: undefined,
        startedAt: undefined,
        etaSeconds: undefined,
      },
      influxdb: { ok: true, summary: summary([check('tasks', 'amber', 'task homeiq-downsample-5m failed: boom')]) },
    });
    const all = detectAlerts(f, new Set(), { panel: undefined, log: LINKS.log });
    expect(all.map((a) => a.id)).toEqual([
      'homeiq_spool_disk',
      'homeiq_quarantine',
      'homeiq_import',
      'homeiq_downsampling',
    ]);
    const text = all.map((a) => a.message).join('\n');
    expect(text).toContain('ENOSPC: no space left');
    expect(text).toContain('InfluxDB refused 3 points for their content');
    expect(text).toContain('stopped at 45 % (it reached 2025-04-10T00:00:00Z) after writing 1,234 points');
    expect(text).toContain('task homeiq-downsample-5m failed: boom');
    // Without the admin add-on there is no panel: the links go to the ingestor's log.
    expect(text).not.toContain('/hassio/ingress/');
    expect(text).toContain('(/hassio/addon/abc_homeiq-ingestor/logs)');
  });

  it('any other red check is told too, by its own id (checks added later are not forgotten)', () => {
    const f = figures({}, [check('new-thing', 'red', 'it broke', 'Restart it')]);
    expect(detectAlerts(f, new Set(), LINKS)).toEqual([
      expect.objectContaining({ id: 'homeiq_ingestor_new_thing', title: 'HomeIQ Ingestor: new-thing' }),
    ]);
    // Home Assistant being unreachable is not told through Home Assistant.
    expect(ids(figures({}, [check('home-assistant', 'red', 'unreachable')]))).toEqual([]);
  });
});

describe('entityState', () => {
  it('the figures as entity values, rounded, with unknown as null', () => {
    const s = entityState(figures({ lastEventAgeS: undefined }), []);
    expect(s.values).toEqual({
      ingestion_problem: 'OFF',
      events_per_second: 12.35,
      last_event_age: null,
      spool_backlog: 0,
      spool_backlog_age: 0,
      quarantined_points: 0,
      influxdb_status: 'ok',
      influxdb_disk_use: 123_456,
      last_downsampling_run: '2025-05-01T11:55:00Z',
    });
    expect(s.attributes['last_downsampling_run']).toEqual({
      task: 'homeiq-downsample-5m',
      status: 'success',
      failed_tasks: 0,
    });
  });

  it('problem on while a check is not green or an alert is raised; InfluxDB status from writes and the add-on', () => {
    const failing = entityState(
      figures({
        health: { status: 'red', checks: [check('influxdb-writes', 'red', 'InfluxDB answered 503')] },
        influxdb: { ok: false, error: 'connect ECONNREFUSED' },
      }),
      [{ id: 'homeiq_influxdb', title: 'HomeIQ cannot write to InfluxDB', message: '' }],
    );
    expect(failing.values['ingestion_problem']).toBe('ON');
    expect(failing.values['influxdb_status']).toBe('failing');
    expect(failing.values['influxdb_disk_use']).toBeNull();
    expect(failing.attributes['ingestion_problem']).toEqual({
      problems: ['HomeIQ cannot write to InfluxDB'],
      checks: ['influxdb-writes: red, InfluxDB answered 503'],
    });
    const stopped = entityState(figures({ influxdb: { ok: false, error: 'the add-on is stopped' } }), []);
    expect(stopped.values['influxdb_status']).toBe('unreachable');
    const external = entityState(figures({ influxdb: undefined }), []);
    expect(external.values['influxdb_status']).toBe('ok');
  });
});
