import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backoff, createLogger, Health, LogSecrets, ServiceGroup } from '@homeiq/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../dev/until.js';
import { processAlive as alive } from '../../harness/influxdb-addon.js';
import { portInUse } from '../../../homeiq-influxdb/src/influxd/launch.js';
import { InfluxdProcess, type InfluxdProcessOptions } from '../../../homeiq-influxdb/src/influxd/process.js';
import { influxdTuning } from '../../../homeiq-influxdb/src/influxd/memory-profile.js';

const LISTENING =
  'ts=2026-11-24T10:00:00Z lvl=info msg=Listening log_id=x service=tcp-listener transport=http addr=127.0.0.1:8086 port=8086';

let dir: string | undefined;
const procs: InfluxdProcess[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A stand-in influxd: a shell script that prints `lines` and then sleeps. */
async function fakeInfluxd(lines: string[]): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'homeiq-influxd-process-'));
  const bin = join(dir, 'influxd');
  await writeFile(bin, `#!/bin/sh\n${lines.map((l) => `echo '${l}'`).join('\n')}\nexec sleep 30\n`);
  await chmod(bin, 0o755);
  return bin;
}

/**
 * A stand-in for an influxd that is slow to come up (a WAL replay after a power cut): a Node script that
 * waits `delayMs` before it says it listens. With `ignoreSigint` it also ignores the clean-shutdown signal.
 */
async function slowInfluxd(delayMs: number, ignoreSigint = false): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'homeiq-influxd-process-'));
  const bin = join(dir, 'slow-influxd');
  const script = [
    `#!${process.execPath}`,
    ignoreSigint ? "process.on('SIGINT', () => console.log('ignoring SIGINT'));" : '',
    `setTimeout(() => console.log(${JSON.stringify(LISTENING)}), ${delayMs});`,
    'setInterval(() => undefined, 1000);',
  ].join('\n');
  await writeFile(bin, script);
  await chmod(bin, 0o755);
  return bin;
}

async function spawned(p: InfluxdProcess): Promise<number> {
  return until('the stand-in influxd to be spawned', () => p.pid, { ms: 2000, everyMs: 20 });
}

function processFor(binary: string, health: Health, extra: Partial<InfluxdProcessOptions> = {}): InfluxdProcess {
  const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
  const p = new InfluxdProcess({
    binary,
    dataDir: join(dir ?? tmpdir(), 'data'),
    host: '127.0.0.1',
    port: 1,
    influxdLogLevel: 'info',
    influxdLog: log,
    log,
    health,
    backoff: new Backoff({ initialMs: 50, maxMs: 100 }),
    // Someone's /health passes all the time: only our child's `Listening` line makes it ours.
    probe: async () => ({ pass: true, version: 'v2.9.1' }),
    stopTimeoutMs: 2_000,
    portInUse: async () => undefined,
    ...extra,
  });
  procs.push(p);
  return p;
}

const influxdCheck = (h: Health) => h.report().checks.find((c) => c.name === 'influxd');

describe('InfluxdProcess', () => {
  it('does not take a passing /health for its own before its influxd listens', async () => {
    const health = new Health();
    const p = processFor(await fakeInfluxd([]), health, { readyTimeoutMs: 800 });
    await expect(p.start()).rejects.toThrow(/did not become ready within 800 ms/);
    expect(p.ready).toBe(false);
    expect(influxdCheck(health)?.status).toBe('red');
  });

  it('a readiness timeout terminates the influxd it started', async () => {
    const p = processFor(await slowInfluxd(20_000), new Health(), { readyTimeoutMs: 600 });
    const started = p.start();
    started.catch(() => undefined);
    const pid = await spawned(p);
    await expect(started).rejects.toThrow(/did not become ready within 600 ms/);
    expect(alive(pid)).toBe(false);
  });

  it('a readiness timeout sends SIGKILL when influxd ignores SIGINT for stopTimeoutMs', async () => {
    const p = processFor(await slowInfluxd(20_000, true), new Health(), { readyTimeoutMs: 600, stopTimeoutMs: 500 });
    const started = p.start();
    started.catch(() => undefined);
    const pid = await spawned(p);
    await expect(started).rejects.toThrow(/did not become ready/);
    expect(alive(pid)).toBe(false);
  });

  it('a stop requested while influxd is still coming up stops it (no orphan), without waiting for readiness', async () => {
    const p = processFor(await slowInfluxd(20_000), new Health());
    const group = new ServiceGroup([p], createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() }));
    const started = group.start();
    started.catch(() => undefined);
    const pid = await spawned(p);
    const t0 = Date.now();
    await group.stop();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(alive(pid)).toBe(false);
    await expect(started).rejects.toThrow();
  });

  it('p.stop() during start ends the start and the child', async () => {
    const p = processFor(await slowInfluxd(20_000), new Health());
    const started = p.start();
    started.catch(() => undefined);
    const pid = await spawned(p);
    await p.stop();
    expect(alive(pid)).toBe(false);
    await expect(started).rejects.toThrow(/stop/);
  }, 10_000);

  it('waits as long as the health check start period (5 min) for a slow influxd by default', async () => {
    let skew = 0;
    const p = processFor(await slowInfluxd(20_000), new Health(), { now: () => Date.now() + skew });
    let settled: string | undefined;
    const started = p.start().then(
      () => (settled = 'ready'),
      (e: Error) => (settled = e.message),
    );
    await spawned(p);
    skew = 290_000;
    await new Promise((r) => setTimeout(r, 400));
    expect(settled).toBeUndefined();
    skew = 301_000;
    await started;
    expect(settled).toMatch(/did not become ready within 300000 ms/);
  });

  it('is ready once its influxd says it listens and /health passes', async () => {
    const health = new Health();
    const p = processFor(await fakeInfluxd([LISTENING]), health);
    await p.start();
    expect(p.version).toBe('2.9.1');
    expect(influxdCheck(health)).toMatchObject({ status: 'green', reason: 'influxd 2.9.1 is running' });
  });

  it('does not start influxd while another program holds the port, reports it red, and starts once it is free', async () => {
    const health = new Health();
    let busy = true;
    let checks = 0;
    const p = processFor(await fakeInfluxd([LISTENING]), health, {
      portRetryMs: 50,
      portInUse: async (host, port) => {
        checks += 1;
        return busy ? `port ${port} on ${host} is already in use by another program` : undefined;
      },
    });
    const started = p.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(p.pid).toBeUndefined();
    expect(influxdCheck(health)).toMatchObject({
      status: 'red',
      reason: expect.stringMatching(
        /^port 1 on 127\.0\.0\.1 is already in use by another program, so influxd cannot start/,
      ),
      hint: expect.stringMatching(/Stop the program or add-on that listens on port 1/),
    });
    expect(checks).toBeGreaterThan(1);
    busy = false;
    await started;
    expect(p.pid).toBeGreaterThan(0);
    expect(influxdCheck(health)?.status).toBe('green');
  });

  it('portInUse sees a listener on the same port, on the address or on all addresses', async () => {
    const listen = (host: string, port = 0) =>
      new Promise<number>((resolve, reject) => {
        const s = createServer();
        servers.push(s);
        s.once('error', reject);
        s.listen({ host, port }, () => resolve((s.address() as AddressInfo).port));
      });
    const port = await listen('127.0.0.1');
    expect(await portInUse('127.0.0.1', port)).toBe(`port ${port} on 127.0.0.1 is already in use by another program`);
    expect(await portInUse('0.0.0.0', port)).toMatch(/already in use/);
    await new Promise((r) => (servers.pop() as Server).close(r));
    expect(await portInUse('127.0.0.1', port)).toBeUndefined();
    const wildcard = await listen('0.0.0.0');
    expect(await portInUse('127.0.0.5', wildcard)).toMatch(/already in use/);
  });
});

describe('memory profile', () => {
  it("starts influxd with the profile's flags and Go settings, and nothing more for standard", async () => {
    const small = influxdTuning('small');
    expect(small.args).toContain('--storage-cache-snapshot-memory-size=8388608');
    expect(small.env).toMatchObject({ GOMEMLIMIT: '80MiB', GOGC: '50' });
    expect(influxdTuning('standard')).toEqual({ args: [], env: {} });
    // A stand-in that notes its arguments and environment before it says it listens.
    const bin = await fakeInfluxd([LISTENING]);
    const seen = join(dir as string, 'seen');
    await writeFile(
      bin,
      (await readFile(bin, 'utf8')).replace('#!/bin/sh\n', `#!/bin/sh\necho "$*" > ${seen}.args\nenv > ${seen}.env\n`),
    );
    const p = processFor(bin, new Health(), { tuning: small });
    await p.start();
    const args = (await readFile(`${seen}.args`, 'utf8')).trim().split(' ');
    for (const a of small.args) expect(args).toContain(a);
    expect((await readFile(`${seen}.env`, 'utf8')).split('\n')).toEqual(
      expect.arrayContaining(['GOMEMLIMIT=80MiB', 'GOGC=50']),
    );
  });
});
