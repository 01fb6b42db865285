import { createLogger, LogSecrets } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { ingestorOptionsSchema } from '../options.js';
import type { HaSession } from './ha-session.js';
import {
  HA_TEMPLATE_OUTPUT_LIMIT,
  hasReports,
  PAGE_ROWS,
  parseReportsPage,
  REPORTS_TEMPLATE,
  StateReports,
  type ReportedState,
} from './state-reports.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });

const CHANGED = '2026-12-06T17:05:27.477669+00:00';
const REPORTED = '2026-12-06T17:05:29.490537+00:00';
/** A state as get_states shows it: last_reported still at the change (HA's cached JSON). */
const flat = (id: string, lastUpdated = CHANGED) => ({
  entity_id: id,
  state: '5',
  attributes: { unit_of_measurement: 'W', at: '2026-12-06T18:00:00+00:00' },
  last_changed: lastUpdated,
  last_reported: lastUpdated,
  last_updated: lastUpdated,
  context: { id: '01J', parent_id: null, user_id: null },
});
const page = (now: string, rows: string[][], next: number | null = null): string =>
  JSON.stringify({ now, reports: rows, next });

/** A closed-or-open session answering get_states with `states` (counted). */
function session(states: unknown[]): HaSession & { asked: number } {
  const s = {
    connection: 1,
    closed: false,
    asked: 0,
    ended: new Promise<void>(() => undefined),
    async command<T>(msg: Record<string, unknown>): Promise<T> {
      expect(msg).toEqual({ type: 'get_states' });
      s.asked += 1;
      return states as T;
    },
  };
  return s;
}

/** A StateReports whose render answers from `answers` in turn and records what it was asked (version null: not connected). */
function rig(
  answers: Array<string | Error>,
  states: unknown[] = [],
  opts: { version?: string | null; accepts?: (id: string) => boolean; pageRows?: number } = {},
) {
  const asked: Array<Record<string, unknown>> = [];
  const written: ReportedState[] = [];
  const version = opts.version === undefined ? '2025.4.4' : opts.version;
  const reports = new StateReports({
    intervalMs: 60_000,
    haVersion: () => version ?? undefined,
    write: (s) => written.push(s),
    log,
    ...(opts.accepts ? { accepts: opts.accepts } : {}),
    ...(opts.pageRows ? { pageRows: opts.pageRows } : {}),
    render: async (template, variables) => {
      expect(template).toBe(REPORTS_TEMPLATE);
      asked.push(variables);
      const a = answers.shift();
      if (a === undefined || a instanceof Error) throw a ?? new Error('no answer left');
      return a;
    },
  });
  const ha = session(states);
  reports.onConnected(ha);
  return { reports, asked, written, ha };
}

describe('state reports (option state_reports_interval_s)', () => {
  it('writes each reported state with the content get_states shows and the time the template gave', async () => {
    const { reports, asked, written } = rig(
      [
        page('2026-12-06T17:06:00.000001+00:00', [['sensor.flat', CHANGED, REPORTED]]),
        page('2026-12-06T17:07:00.000002+00:00', []),
      ],
      [flat('sensor.other'), flat('sensor.flat')],
    );
    await reports.poll();
    await reports.poll();
    expect(written).toEqual([{ ...flat('sensor.flat'), last_reported: REPORTED }]);
    expect(asked).toEqual([
      { since: '', start: 0, limit: PAGE_ROWS },
      { since: '2026-12-06T17:06:00.000001+00:00', start: 0, limit: PAGE_ROWS },
    ]);
    expect(reports.stats()).toEqual({ polls: 2, reports: 1, failures: 0, lastError: undefined });
  });

  it('follows the pages, and takes the next look from the first page’s clock', async () => {
    const { reports, asked, written } = rig(
      [
        page('2026-12-06T17:06:00+00:00', [['sensor.a', CHANGED, REPORTED]], 4),
        page('2026-12-06T17:06:01+00:00', [['sensor.b', CHANGED, REPORTED]], 9),
        page('2026-12-06T17:06:02+00:00', [['sensor.c', CHANGED, REPORTED]]),
        page('2026-12-06T17:07:00+00:00', []),
      ],
      ['sensor.a', 'sensor.b', 'sensor.c'].map((id) => flat(id)),
      { pageRows: 1 },
    );
    await reports.poll();
    await reports.poll();
    expect(written.map((s) => s.entity_id)).toEqual(['sensor.a', 'sensor.b', 'sensor.c']);
    expect(asked).toEqual([
      { since: '', start: 0, limit: 1 },
      { since: '', start: 4, limit: 1 },
      { since: '', start: 9, limit: 1 },
      { since: '2026-12-06T17:06:00+00:00', start: 0, limit: 1 },
    ]);
  });

  it('leaves out a state that changed after the template saw it, and asks nothing when no report passes the filter', async () => {
    const changed = rig(
      [page('2026-12-06T17:06:00+00:00', [['sensor.flat', CHANGED, REPORTED]])],
      [flat('sensor.flat', '2026-12-06T17:05:59.000001+00:00')],
    );
    await changed.reports.poll();
    expect(changed.written).toEqual([]);
    const filtered = rig([page('2026-12-06T17:06:00+00:00', [['sensor.flat', CHANGED, REPORTED]])], [], {
      accepts: (id) => id !== 'sensor.flat',
    });
    await filtered.reports.poll();
    expect([filtered.ha.asked, filtered.reports.stats().polls]).toEqual([0, 1]);
  });

  it('compares the change times as instants: HA prints whole seconds without a fraction', async () => {
    const { reports, written } = rig(
      [page('2026-12-06T17:06:00+00:00', [['sensor.flat', '2026-12-06T17:05:27+00:00', REPORTED]])],
      [flat('sensor.flat', '2026-12-06T17:05:27.000000+00:00')],
    );
    await reports.poll();
    expect(written.map((s) => s.last_reported)).toEqual([REPORTED]);
  });

  it('counts a failed or malformed look, keeps its place, and recovers', async () => {
    const { reports, asked, written } = rig(
      [
        page('2026-12-06T17:06:00+00:00', []),
        new Error('HTTP 400: Error rendering template'),
        'not json',
        page('2026-12-06T17:08:00+00:00', [['sensor.flat', CHANGED, REPORTED]]),
      ],
      [flat('sensor.flat')],
    );
    for (let i = 0; i < 4; i += 1) await reports.poll();
    expect(reports.stats()).toMatchObject({ polls: 2, reports: 1, failures: 2, lastError: undefined });
    expect(asked.map((a) => a['since'])).toEqual([
      '',
      '2026-12-06T17:06:00+00:00',
      '2026-12-06T17:06:00+00:00',
      '2026-12-06T17:06:00+00:00',
    ]);
    expect(written.map((s) => s.entity_id)).toEqual(['sensor.flat']);
  });

  it('does nothing while disconnected, or on an HA from before last_reported', async () => {
    const off = rig([], [], { version: null });
    await off.reports.poll();
    const old = rig([], [], { version: '2024.3.3' });
    await old.reports.poll();
    expect([off.asked, old.asked]).toEqual([[], []]);
    expect([hasReports('2024.3.3'), hasReports('2024.4.0'), hasReports('2025.1.0'), hasReports('')]).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('reads only what the template makes: rows that are not three strings are left out', () => {
    const text = JSON.stringify({
      now: 'x',
      reports: [['sensor.a', CHANGED, REPORTED], ['sensor.b'], 'junk', null],
      next: 7,
    });
    expect(parseReportsPage(text)).toEqual({
      now: 'x',
      reports: [{ entityId: 'sensor.a', lastUpdated: CHANGED, lastReported: REPORTED }],
      next: 7,
    });
    expect(parseReportsPage('[]')).toBeUndefined();
    expect(parseReportsPage('{"now": 1, "reports": [], "next": null}')).toBeUndefined();
    expect(parseReportsPage('{"now": "x", "reports": [], "next": -1}')).toBeUndefined();
  });

  it('keeps a full page under the output limit of HA’s templates, whatever the entity ids', () => {
    const longest = JSON.stringify([['x'.repeat(255), `${CHANGED}`, `${REPORTED}`]]).length;
    const header = JSON.stringify({ now: REPORTED, reports: [], next: 1_000_000 }).length;
    expect(header + PAGE_ROWS * longest).toBeLessThan(HA_TEMPLATE_OUTPUT_LIMIT);
  });

  it('is off by default; event_types refuses state_reported and says what to use', () => {
    const base = { log_level: 'info', event_types: [] };
    expect(ingestorOptionsSchema.parse(base).state_reports_interval_s).toBe(0);
    const bad = ingestorOptionsSchema.safeParse({ ...base, event_types: ['state_reported'] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/state_reports_interval_s/);
  });

  it('takes 0 (off) or 10 to 3600 seconds: a shorter interval would cost Home Assistant a pass over every state each time', () => {
    const base = { log_level: 'info', event_types: [] };
    const interval = (s: number) => ingestorOptionsSchema.safeParse({ ...base, state_reports_interval_s: s });
    expect([0, 10, 3600].map((s) => interval(s).success)).toEqual([true, true, true]);
    for (const s of [1, 9, 3601])
      expect(interval(s).error?.issues[0]?.path, String(s)).toEqual(['state_reports_interval_s']);
    expect(interval(5).error?.issues[0]?.message).toMatch(/0 \(off\) or at least 10 seconds/);
  });
});
