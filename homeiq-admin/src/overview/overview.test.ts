import { Health } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import type { InfluxReader } from '../influx/flux.js';
import { OverviewService } from './overview.js';
import type { RateSampler } from './rate-sampler.js';
import type { IngestorStatus, ManagerClient } from '../siblings/clients.js';

// The overview's Quarantine line from the ingestor's /api/status; the InfluxDB sibling is down (not looked at here).
function overview(
  quarantine: IngestorStatus['quarantine'],
  health: Health,
  homeAssistant: IngestorStatus['homeAssistant'] = { connected: true, connects: 1, reconnects: 0 },
) {
  const status: IngestorStatus = {
    homeAssistant,
    events: { total: 0 },
    spool: { bytes: 0, full: false, refused: 0 },
    writer: { written: 0, quarantined: quarantine.count },
    quarantine,
    health: health.report(),
  };
  const down = async (): Promise<never> => Promise.reject(new Error('down'));
  return new OverviewService({
    ingestorStatus: async () => status,
    manager: { health: down, buckets: down, tasks: down } as unknown as ManagerClient,
    influx: { grant: down, query: down } as unknown as InfluxReader,
    sampler: {
      view: () => ({
        now: undefined,
        samples: [],
        everyS: 5,
        writeP50Ms: undefined,
        writeP99Ms: undefined,
        latest: undefined,
      }),
    } as unknown as RateSampler,
  });
}

describe('overview: Quarantine', () => {
  it("is amber with the ingestor's reason while the quarantine is full and drops rejected points", async () => {
    const health = new Health();
    health.set(
      'quarantine',
      'amber',
      'quarantine full (67108864 bytes): 3 rejected points dropped since 2026-01-01T00:00:00.000Z',
      'Open Quarantine',
    );
    const o = await overview({ count: 0, bytes: 0, dropped: 3 }, health).build();
    const q = o.checks.find((c) => c.id === 'quarantine');
    expect(q).toMatchObject({ status: 'amber', reason: expect.stringContaining('3 rejected points dropped') });
    expect(q?.facts).toContainEqual(['dropped since start', '3']);
  });

  it('does not claim InfluxDB accepted every point when some were dropped, once the user made room', async () => {
    const health = new Health();
    health.set('quarantine', 'green', 'room for the points InfluxDB rejects');
    const q = (await overview({ count: 0, bytes: 0, dropped: 3 }, health).build()).checks.find(
      (c) => c.id === 'quarantine',
    );
    expect(q?.status).toBe('green');
    expect(q?.reason).not.toMatch(/accepted every point/);
    expect(q?.facts).toContainEqual(['dropped since start', '3']);
  });
});

describe('overview: Home Assistant', () => {
  it('shows how many malformed frames and messages the ingestor left out, and nothing when there were none', async () => {
    const ha = (o: Awaited<ReturnType<ReturnType<typeof overview>['build']>>) =>
      o.checks.find((c) => c.id === 'home-assistant');
    const bad = await overview({ count: 0, bytes: 0, dropped: 0 }, new Health(), {
      connected: true,
      connects: 1,
      reconnects: 0,
      badFrames: 2,
      invalidMessages: { event: 3, no_type: 1 },
    }).build();
    expect(ha(bad)?.facts).toContainEqual(['malformed messages left out', '6']);
    const clean = await overview({ count: 0, bytes: 0, dropped: 0 }, new Health()).build();
    expect(ha(clean)?.facts.map(([k]) => k)).not.toContain('malformed messages left out');
  });
});
