import { createLogger, LogSecrets } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { ingestorOptionsSchema } from '../options.js';
import { hasReports, parseReports, REPORTS_TEMPLATE, StateReports, type ReportedState } from './state-reports.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });

const reported: ReportedState = {
  entity_id: 'sensor.flat',
  state: '5',
  attributes: { unit_of_measurement: 'W' },
  last_changed: '2026-12-06T17:05:27.477669+00:00',
  last_updated: '2026-12-06T17:05:27.477669+00:00',
  last_reported: '2026-12-06T17:05:29.490537+00:00',
};

/** A StateReports whose render answers from `answers` in turn and records what it was asked (version null: not connected). */
function rig(answers: Array<string | Error>, version: string | null = '2025.4.4') {
  const asked: Array<Record<string, unknown>> = [];
  const written: ReportedState[] = [];
  const reports = new StateReports({
    intervalMs: 60_000,
    haVersion: () => version ?? undefined,
    write: (s) => written.push(s),
    log,
    render: async (template, variables) => {
      expect(template).toBe(REPORTS_TEMPLATE);
      asked.push(variables);
      const a = answers.shift();
      if (a === undefined || a instanceof Error) throw a ?? new Error('no answer left');
      return a;
    },
  });
  return { reports, asked, written };
}

describe('state reports (option state_reports_interval_s)', () => {
  it('writes every reported state and asks the next time only for reports after the previous render', async () => {
    const { reports, asked, written } = rig([
      JSON.stringify({ now: '2026-12-06T17:06:00.000001+00:00', states: [reported] }),
      JSON.stringify({ now: '2026-12-06T17:07:00.000002+00:00', states: [] }),
    ]);
    await reports.poll();
    await reports.poll();
    expect(written).toEqual([reported]);
    expect(asked).toEqual([{ since: '' }, { since: '2026-12-06T17:06:00.000001+00:00' }]);
    expect(reports.stats()).toEqual({ polls: 2, reports: 1, failures: 0, lastError: undefined });
  });

  it('counts a failed or malformed render, keeps its place, and recovers', async () => {
    const { reports, asked, written } = rig([
      JSON.stringify({ now: '2026-12-06T17:06:00+00:00', states: [] }),
      new Error('HTTP 400: Error rendering template'),
      'not json',
      JSON.stringify({ now: '2026-12-06T17:08:00+00:00', states: [reported] }),
    ]);
    for (let i = 0; i < 4; i += 1) await reports.poll();
    expect(reports.stats()).toMatchObject({ polls: 2, reports: 1, failures: 2, lastError: undefined });
    expect(asked.map((a) => a['since'])).toEqual([
      '',
      '2026-12-06T17:06:00+00:00',
      '2026-12-06T17:06:00+00:00',
      '2026-12-06T17:06:00+00:00',
    ]);
    expect(written).toEqual([reported]);
  });

  it('does nothing while disconnected, or on an HA from before last_reported', async () => {
    const off = rig([], null);
    await off.reports.poll();
    const old = rig([], '2024.3.3');
    await old.reports.poll();
    expect([off.asked, old.asked]).toEqual([[], []]);
    expect([hasReports('2024.3.3'), hasReports('2024.4.0'), hasReports('2025.1.0'), hasReports('')]).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('reads only what the template makes: entries without the fields a state needs are left out', () => {
    const text = JSON.stringify({ now: 'x', states: [reported, { entity_id: 'sensor.b' }, 'junk', null] });
    expect(parseReports(text)).toEqual({ now: 'x', states: [reported] });
    expect(parseReports('[]')).toBeUndefined();
    expect(parseReports('{"now": 1, "states": []}')).toBeUndefined();
  });

  it('is off by default; event_types refuses state_reported and says what to use', () => {
    const base = { log_level: 'info', event_types: [] };
    expect(ingestorOptionsSchema.parse(base).state_reports_interval_s).toBe(0);
    const bad = ingestorOptionsSchema.safeParse({ ...base, event_types: ['state_reported'] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/state_reports_interval_s/);
  });
});
