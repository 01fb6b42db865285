/**
 * One installation of homeiq-influxdb for the add-on's life-cycle tests (tests/integration/influxdb/addon-*): the
 * real bundle and a real influxd in a temporary data dir, the Supervisor emulator with the two siblings and a
 * stranger registered on the file's own loopback block, and the calls those tests make (sibling tokens, writes,
 * Flux queries, the options the Supervisor holds). It collects every secret it sees, so a test can check that
 * none reached the add-on's output. Not a test file itself.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFluxCsv } from '@homeiq/shared';
import { expect } from 'vitest';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from '../../dev/supervisor/index.js';
import { until } from '../../dev/until.js';
import { AddonRun, call, CONFIG, prepare, registerSiblings, writeOptions } from './influxdb-addon.js';

export const OPTIONS = {
  log_level: 'info',
  org: 'homeassistant',
  bucket: 'homeassistant',
  retention_days: 365,
  retention_5m_days: 730,
  retention_1h_days: 0,
  memory_profile: 'small',
};
/** Three days ago: inside every retention the tests set. */
export const T0 = Math.floor(Date.now() / 1000) - 3 * 86_400;

/** What `POST /api/tokens` gives a sibling. */
export interface SiblingToken {
  token: string;
  org: string;
  orgId: string;
  bucket: string;
  buckets: { raw: string; downsampled: string[] };
}

/** The add-on and its callers on the loopback block `127.0.N`: each test file has its own. */
export const addressesOf = (block: string) => ({
  influxdb: `${block}.1`,
  ingestor: `${block}.2`,
  admin: `${block}.3`,
  stranger: `${block}.4`,
  unregistered: `${block}.9`,
});

/** A test file's addresses and the add-on's two URLs there: the manager API and InfluxDB's own. */
export const endpointsOf = (block: string) => {
  const IP = addressesOf(block);
  return { IP, MANAGER: `http://${IP.influxdb}:8326`, INFLUX: `http://${IP.influxdb}:8086` };
};

export class InfluxdbInstall {
  readonly ip: ReturnType<typeof addressesOf>;
  readonly manager: string;
  readonly influx: string;
  /** Every secret seen (tokens, the operator's credentials): none may reach the add-on's output. */
  readonly secrets = new Set<string>();
  /** Timings a test records; printed when the installation is disposed. */
  readonly measured: Record<string, number> = {};
  readonly runs: AddonRun[] = [];
  /** The data dir (`/data`); a test may move it (backup and restore). */
  dataDir: string;

  private constructor(
    block: string,
    readonly tmp: string,
    private readonly influxd: string,
    readonly emulator: SupervisorEmulator,
    readonly self: RegisteredAddon,
  ) {
    this.ip = addressesOf(block);
    const { MANAGER, INFLUX } = endpointsOf(block);
    this.manager = MANAGER;
    this.influx = INFLUX;
    this.dataDir = join(tmp, 'data');
    this.secrets.add(self.token);
  }

  /** Builds the bundle (and reuses the cached influxd); `block` is the file's own `127.0.N`; options: OPTIONS. */
  static async create(block: string): Promise<InfluxdbInstall> {
    const influxd = await prepare();
    const tmp = await mkdtemp(join(tmpdir(), 'homeiq-influxdb-e2e-'));
    const emulator = await startSupervisorEmulator({});
    const self = emulator.registerAddon({ configPath: CONFIG, ip: `${block}.1` });
    const install = new InfluxdbInstall(block, tmp, influxd, emulator, self);
    await registerSiblings(emulator, tmp, install.ip);
    await writeOptions(install.dataDir, OPTIONS);
    return install;
  }

  /** Kills what still runs, stops the emulator, removes the data, prints the measurements. */
  async dispose(): Promise<void> {
    for (const r of this.runs) await r.dispose();
    await this.emulator.stop();
    await rm(this.tmp, { recursive: true, force: true });
    console.log(`homeiq-influxdb measurements: ${JSON.stringify(this.measured)}`);
  }

  start(dir = this.dataDir): AddonRun {
    const run = new AddonRun({ ...this.self.env(), HOMEIQ_DATA_DIR: dir, HOMEIQ_INFLUXD_BIN: this.influxd });
    this.runs.push(run);
    return run;
  }

  /** What the Supervisor does at an add-on start: write the options it holds to `/data/options.json`. */
  async startFromSupervisorOptions(dir = this.dataDir): Promise<AddonRun> {
    await writeOptions(dir, await this.supervisorOptions());
    return this.start(dir);
  }

  /** Waits for a 200 /health with influxd and setup green; returns the ms since the process started. */
  async healthy(run: AddonRun, timeoutMs = 60_000): Promise<number> {
    // An exit ends the wait at once, with the add-on's output.
    const exited = run.exited.then(() => {
      throw new Error(`exited ${run.child.exitCode}:\n${run.output()}`);
    });
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      until(
        'homeiq-influxdb healthy',
        async () => {
          if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}:\n${run.output()}`);
          const r = await call(`${this.manager}/health`, this.ip.unregistered);
          return r.status === 200 && r.json().checks.some((c: { name: string }) => c.name === 'setup')
            ? true
            : undefined;
        },
        { ms: timeoutMs, everyMs: 50 },
      ),
    ]);
    return Date.now() - run.startedAt;
  }

  /**
   * Starts the add-on, waits until it is healthy and has the siblings' tokens issued: an installation in use, for
   * the files whose tests begin after the first start (addon-onboarding.test.ts checks each of these steps).
   */
  async startInUse(): Promise<{ run: AddonRun; operatorToken: string; ingestor: SiblingToken; admin: SiblingToken }> {
    const run = this.start();
    await this.healthy(run);
    const { operatorToken } = await this.credentials();
    return { run, operatorToken, ingestor: await this.token(this.ip.ingestor), admin: await this.token(this.ip.admin) };
  }

  /** The operator's credentials the add-on keeps in the data dir (remembered as secrets). */
  async credentials(): Promise<{ password: string; operatorToken: string }> {
    const creds = JSON.parse(await readFile(join(this.dataDir, 'homeiq', 'credentials.json'), 'utf8'));
    this.secrets.add(creds.password);
    this.secrets.add(creds.operatorToken);
    return creds;
  }

  async token(from: string): Promise<SiblingToken> {
    const r = await call(`${this.manager}/api/tokens`, from, { method: 'POST' });
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    this.secrets.add(body.token);
    return body;
  }

  /** Line protocol (seconds) from the ingestor's address; the HTTP status. */
  async write(tok: string, bucket: string, lines: string): Promise<number> {
    return (
      await call(`${this.influx}/api/v2/write?org=homeassistant&bucket=${bucket}&precision=s`, this.ip.ingestor, {
        method: 'POST',
        token: tok,
        body: lines,
        headers: { 'Content-Type': 'text/plain' },
      })
    ).status;
  }

  async query(tok: string, flux: string): Promise<{ status: number; rows: Record<string, string>[]; text: string }> {
    const r = await call(`${this.influx}/api/v2/query?org=homeassistant`, this.ip.admin, {
      method: 'POST',
      token: tok,
      body: flux,
      headers: { 'Content-Type': 'application/vnd.flux' },
    });
    return { status: r.status, rows: r.status === 200 ? parseFluxCsv(r.text) : [], text: r.text };
  }

  /** The add-on's options as the emulator (the Supervisor) holds them; `set` changes them like the Configuration tab. */
  async supervisorOptions(set?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const headers = { Authorization: `Bearer ${this.self.token}` };
    if (set) {
      const w = await call(`${this.emulator.url}/addons/self/options`, this.ip.influxdb, {
        method: 'POST',
        headers,
        body: { options: set },
      });
      expect(w.status, w.text).toBe(200);
    }
    const r = await call(`${this.emulator.url}/addons/self/options/config`, this.ip.influxdb, { headers });
    expect(r.status, r.text).toBe(200);
    return r.json().data;
  }

  /** No secret seen in any run's output. */
  expectNoSecretPrinted(): void {
    const all = this.runs.map((r) => r.output()).join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const s of this.secrets) expect(all.includes(s), 'a secret reached the log').toBe(false);
  }
}
