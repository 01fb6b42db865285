import { beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { buildBundles, imageEnv, productionNodeFlags, startAddon, type AddonName } from '../../../dev/addon-process.js';
import { buildInfluxd } from '../../../dev/peers/influxd.js';
import { until } from '../../../dev/until.js';

// Each case runs on its own loopback address so the fixed add-on ports never collide.
const TOKEN = 'foundation-test-supervisor-token-0123456789';
// Nothing listens there: these tests cover the add-ons' own behaviour, not their peers.
const SUPERVISOR = 'http://127.0.0.2:9';

interface Case {
  name: AddonName;
  options: Record<string, unknown>;
  port: number;
  host: string;
}

// homeiq-influxdb runs the real influxd (built from source) as its child.
let influxdEnv: Record<string, string> = {};

const CASES: Case[] = [
  { name: 'ingestor', options: { log_level: 'debug', event_types: ['call_service'] }, port: 8325, host: '127.0.9.1' },
  { name: 'admin', options: { log_level: 'debug' }, port: 8099, host: '127.0.9.2' },
  {
    name: 'influxdb',
    options: {
      log_level: 'debug',
      org: 'homeassistant',
      bucket: 'homeassistant',
      retention_days: 30,
      retention_5m_days: 730,
      retention_1h_days: 0,
    },
    port: 8326,
    host: '127.0.9.4',
  },
];

function env(host: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SUPERVISOR_TOKEN: TOKEN,
    HOMEIQ_SUPERVISOR_URL: SUPERVISOR,
    HOMEIQ_BIND_HOST: host,
    ...influxdEnv,
    ...extra,
  };
}

beforeAll(async () => {
  await buildBundles('ingestor', 'admin', 'influxdb');
  influxdEnv = { HOMEIQ_INFLUXD_BIN: await buildInfluxd() };
}, 600_000);

describe('productionNodeFlags', () => {
  it("reads each add-on's HOMEIQ_NODE_FLAGS from its Dockerfile, which its run script passes to node", () => {
    for (const name of ['ingestor', 'admin', 'influxdb'] as const) {
      const flags = productionNodeFlags(name);
      expect(flags.some((f) => f === '--optimize-for-size' || f.startsWith('--max-semi-space-size='))).toBe(true);
      // Source maps are decoded on demand (debug level), never loaded by Node for the whole run.
      expect(flags).not.toContain('--enable-source-maps');
      expect(imageEnv(name)).toMatchObject({ NODE_ENV: 'production', HOMEIQ_NODE_FLAGS: flags.join(' ') });
    }
  });
});

describe.each(CASES)('homeiq-$name bundle outside Docker', ({ name, options, port, host }) => {
  it('reads its options, logs at the chosen level, serves /health and exits 0 on SIGTERM in time', async () => {
    const addon = await startAddon({ name, options, env: env(host) });
    await addon.waitForLine(/ INFO {2}started$/);
    expect(addon.lines.some((l) => / DEBUG /.test(l))).toBe(true);
    const res = await fetch(`http://${host}:${port}/health`);
    expect([200, 503]).toContain(res.status);
    const body = (await res.json()) as { status: string; checks: unknown[] };
    expect(['green', 'amber', 'red']).toContain(body.status);
    expect(body.checks.length).toBeGreaterThan(0);
    // Started with the Node flags and the environment of its image.
    const cmdline = (await readFile(`/proc/${addon.child.pid}/cmdline`, 'utf8')).split('\0');
    for (const flag of productionNodeFlags(name)) expect(cmdline).toContain(flag);
    expect((await readFile(`/proc/${addon.child.pid}/environ`, 'utf8')).split('\0')).toContain('NODE_ENV=production');
    const { code, ms } = await addon.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(addon.lines.join('\n')).not.toContain(TOKEN);
  });

  it('prints nothing below the chosen level', async () => {
    const addon = await startAddon({ name, options: { ...options, log_level: 'warning' }, env: env(host) });
    // 503 is an answer too: the add-on is up, its peers are not (nothing listens at SUPERVISOR).
    await until(
      '/health to answer',
      async () => [200, 503].includes((await fetch(`http://${host}:${port}/health`)).status),
      10_000,
    );
    const { code } = await addon.stop();
    expect(code).toBe(0);
    expect(addon.lines.filter((l) => / (INFO |DEBUG|TRACE) /.test(l))).toEqual([]);
  });

  it('rejects bad options with one clear line naming the option, and a non-zero exit', async () => {
    const addon = await startAddon({ name, options: { ...options, log_level: 'loud' }, env: env(host) });
    const code = await addon.exited;
    expect(code).toBe(2);
    expect(addon.lines).toHaveLength(1);
    expect(addon.lines[0]).toMatch(/FATAL .*'log_level'.*Configuration tab/);
    expect(addon.lines[0]).not.toMatch(/\bat \S+:\d+/);
  });

  it('explains a broken options.json and a missing Supervisor token in one line each', async () => {
    const broken = await startAddon({ name, rawOptions: '{"log_level": ', env: env(host) });
    expect(await broken.exited).toBe(2);
    expect(broken.lines).toHaveLength(1);
    expect(broken.lines[0]).toMatch(/options\.json is not valid JSON/);

    const noToken = await startAddon({
      name,
      options,
      env: { HOMEIQ_SUPERVISOR_URL: SUPERVISOR, HOMEIQ_BIND_HOST: host },
    });
    expect(await noToken.exited).toBe(2);
    expect(noToken.lines).toHaveLength(1);
    expect(noToken.lines[0]).toMatch(/SUPERVISOR_TOKEN is not set/);
  });
});

describe('homeiq-admin ingress guard', () => {
  it('refuses everyone but the Supervisor, except /health from loopback', async () => {
    const host = '127.0.9.3';
    const addon = await startAddon({ name: 'admin', options: { log_level: 'info' }, env: env(host) });
    await addon.waitForLine(/ INFO {2}started$/);
    expect((await fetch(`http://${host}:8099/health`)).status).toBe(200);
    const page = await fetch(`http://${host}:8099/`);
    expect(page.status).toBe(403);
    expect(await page.text()).toMatch(/only reachable through Home Assistant/);
    expect((await addon.stop()).code).toBe(0);
  });
});
