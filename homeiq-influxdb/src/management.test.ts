import { Health } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { InfluxApiError, type InfluxApi, type Run, type Task } from './influx/api.js';
import { Management } from './management.js';
import type { CompatApi } from './influx/compat-api.js';
import type { Provisioned, Provisioning } from './provisioning.js';

const TASK: Task = { id: 't1', orgID: 'o', name: 'homeiq-downsample-5m', status: 'active', flux: '' };
const STATE: Provisioned = {
  orgId: 'o',
  org: 'homeassistant',
  raw: { id: 'b', orgID: 'o', name: 'homeassistant', type: 'user', retentionRules: [] },
  downsampled: [],
  databases: [],
  tasks: [TASK],
};

/** A Management whose InfluxDB answers GET …/runs/<id> with `answers`, one per poll. */
function management(answers: (Run | InfluxApiError)[]): Management {
  const api = {
    runTask: async (): Promise<Run> => ({ id: 'r1', status: 'scheduled' }),
    run: async (): Promise<Run> => {
      const a = answers.shift();
      if (a === undefined) throw new Error('polled too often');
      if (a instanceof InfluxApiError) throw a;
      return a;
    },
  } as unknown as InfluxApi;
  const provisioning = { current: () => STATE, refresh: async () => STATE } as unknown as Provisioning;
  return new Management(api, {} as CompatApi, provisioning, new Health(), '/nonexistent');
}

const notFound = () =>
  new InfluxApiError('InfluxDB GET /api/v2/tasks/t1/runs/r1 answered 404: failed to find run: run not found', 404);
const done: Run = {
  id: 'r1',
  status: 'success',
  startedAt: '2026-11-24T10:00:00.000Z',
  finishedAt: '2026-11-24T10:00:00.040Z',
};

describe('Management.run with wait', () => {
  it('keeps polling through the 404 (and 500) InfluxDB answers for a run that has just finished', async () => {
    const r = await management([
      { id: 'r1', status: 'started' },
      notFound(),
      new InfluxApiError('boom', 500),
      done,
    ]).run('t1', true);
    expect(r).toMatchObject({ status: 'success', durationMs: 40 });
  });

  it('fails on other errors at once, and on a run that stays not found past the deadline', async () => {
    await expect(management([new InfluxApiError('no', 401)]).run('t1', true)).rejects.toThrow('no');
    await expect(management(Array.from({ length: 50 }, notFound)).run('t1', true, 300)).rejects.toThrow(/404/);
  });

  it('refuses a task that is not ours', async () => {
    await expect(management([]).run('other', true)).rejects.toThrow(/no HomeIQ task with id other/);
  });
});
