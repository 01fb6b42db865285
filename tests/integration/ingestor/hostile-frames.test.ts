/**
 * Hostile input from the Home Assistant side, against the built ingestor bundle on Node 24 (HA simulator →
 * Supervisor emulator → bundle → real influxd):
 * - junk frames and malformed messages (the `[{"type":"event"}]` that once killed the process) are counted,
 *   logged once per kind and left out; the connection stays up and the next states are recorded;
 * - attribute names that V8's JSON.parse mixes up (`\` then `\n`) arrive in InfluxDB as their own fields;
 * - an uncaught exception ends the process within 5 s with one FATAL line, even while a stop would hang
 *   (InfluxDB accepts connections and never answers), instead of waiting out the 110 s stop budget.
 */
import { httpRequestRaw, parseJson } from '@homeiq/shared';
import { createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, launchRegistered, REPO_ROOT, tailOf, type AddonProcess } from '../../../dev/addon-process.js';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { startSupervisorEmulator, type RegisteredAddon } from '../../../dev/supervisor/index.js';
import { flux } from '../../../dev/influx-query.js';
import { until, type UntilOptions } from '../../../dev/until.js';

const IP = '127.0.0.51';
const ADMIN_IP = '127.0.0.53';
const CONFIG = join(REPO_ROOT, 'homeiq-ingestor/config.yaml');

let ha: HaSimulator;
let influx: RealInfluxd;
let setup: InfluxSetup;
let supervisor: Awaited<ReturnType<typeof startSupervisorEmulator>>;
let proc: AddonProcess | undefined;
const dirs: string[] = [];
/** Waits show the ingestor's last output lines when they time out. */
const INGESTOR: UntilOptions = { ms: 30_000, everyMs: 50, context: () => tailOf(proc, 40) };

async function api(path: string): Promise<string> {
  const res = await httpRequestRaw(`http://${IP}:8325${path}`, { localAddress: ADMIN_IP, timeoutMs: 10_000 });
  return res.body.toString('utf8');
}

async function launch(addon: RegisteredAddon, extraEnv: Record<string, string> = {}): Promise<AddonProcess> {
  const p = await launchRegistered({ name: 'ingestor', supervisorUrl: supervisor.url, addon, extraEnv });
  dirs.push(p.dataDir);
  proc = p;
  await until(
    'the ingestor connected to HA',
    async () => {
      const s = parseJson(await api('/api/status')) as { homeAssistant: { connected: boolean } };
      return s.homeAssistant.connected;
    },
    INGESTOR,
  );
  await p.waitForLine(/\bstarted\b/);
  return p;
}

beforeAll(async () => {
  await buildBundles('ingestor');
  influx = await startInfluxd();
  setup = await influx.setup();
  ha = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
  supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token } });
  supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: ADMIN_IP });
}, 600_000);

afterAll(async () => {
  await proc?.stop('SIGKILL');
  await supervisor?.stop();
  await ha?.stop();
  await influx?.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const JUNK = [
  '[{"type":"event"}]', // an event message without its event: the frame that killed 0.1
  '{"type":"event","id":1,"event":{"event_type":5,"data":{},"time_fired":"x"}}',
  '{"type":"event","id":1,"event":{"event_type":"state_changed","time_fired":"2026-01-01T00:00:00Z","data":[]}}',
  '{"type":"event","id":"1","event":{"event_type":"x","data":{},"time_fired":"t"}}',
  '{"type":"result"}',
  '{"type":"result","id":7,"success":"yes"}',
  '{"type":"pong","id":null}',
  '{"type":"auth_ok","ha_version":42}',
  '[1,"two",null,{"no":"type"}]',
  'not json at all',
  '{"type":',
  '"a string"',
  'null',
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  // A state_changed whose new_state is not a state: valid as a message, refused by the encoder (bad_event).
  '{"type":"event","id":1,"event":{"event_type":"state_changed","time_fired":"2026-01-01T00:00:00Z","data":{"new_state":{"entity_id":7}}}}',
];

describe('hostile Home Assistant frames', () => {
  it('are counted, logged once per kind and left out; the connection stays up and recording goes on', async () => {
    const addon = supervisor.registerAddon({
      configPath: CONFIG,
      ip: IP,
      options: {
        target: 'external',
        external: { url: influx.url, org: setup.org, bucket: setup.bucket, token: setup.token },
        flush_interval_ms: 100,
      },
    });
    try {
      await junkRun(addon);
    } finally {
      await proc?.stop('SIGTERM');
      supervisor.unregisterAddon(addon.slug);
    }
  }, 180_000);

  async function junkRun(addon: RegisteredAddon): Promise<void> {
    const p = await launch(addon);
    for (let round = 0; round < 3; round += 1) for (const f of JUNK) ha.sendRaw(f);
    // V8's key bug: once an object `{"p":…,"\\":…}` was parsed, `{"p":…,"\n":…}` reads its second key as `\`
    // (the shape after `p` has one way on, the key `\`, and V8 takes it for any escaped key that starts like it).
    ha.setState('sensor.keys_a', '1', { hostile_prefix: 1, '\\': 'backslash' });
    ha.setState('sensor.keys_b', '2', { hostile_prefix: 1, '\n': 'line feed' });
    ha.setState('sensor.after_junk', '42', { friendly_name: 'After junk' });
    await until(
      'the states sent after the junk are in InfluxDB',
      async () => {
        const rows = await flux(
          influx.url,
          setup.org,
          setup.token,
          `from(bucket: "${setup.bucket}") |> range(start: 0) |> filter(fn: (r) => r._measurement == "sensor")`,
        );
        return ['sensor.keys_a', 'sensor.keys_b', 'sensor.after_junk'].every((id) =>
          rows.some((r) => r['entity_id'] === id),
        );
      },
      INGESTOR,
    );
    const fields = await flux(
      influx.url,
      setup.org,
      setup.token,
      `from(bucket: "${setup.bucket}") |> range(start: 0) |> filter(fn: (r) => r.entity_id =~ /^sensor.keys_/ and r._field =~ /^attr_[^h]/)`,
    );
    // The encoder writes `\` in a name as ⧵ and a control character as � (DOCS.md "What it writes").
    expect(fields.map((r) => [r['entity_id'], r['_field'], r['_value']]).sort()).toEqual([
      ['sensor.keys_a', 'attr_⧵_str', 'backslash'],
      ['sensor.keys_b', 'attr_\uFFFD_str', 'line feed'],
    ]);

    expect(p.child.exitCode).toBeNull();
    let metrics = '';
    const count = (re: RegExp): number => Number(re.exec(metrics)?.[1] ?? 0);
    await until(
      'every junk frame counted',
      async () => {
        metrics = await api('/metrics');
        return count(/^homeiq_ha_bad_frames_total (\d+)$/m) >= 12 && count(/kind="no_type"\} (\d+)$/m) >= 15;
      },
      INGESTOR,
    );
    expect(count(/^homeiq_ha_bad_frames_total (\d+)$/m)).toBe(3 * 4); // not json, torn, a string, null
    for (const [kind, n] of [
      ['event', 3 * 4],
      ['result', 3 * 2],
      ['pong', 3],
      ['auth', 3],
      ['no_type', 3 * 5], // four elements of the array, and the 100,000-deep array
    ] as const)
      expect(count(new RegExp(`^homeiq_ha_invalid_messages_total\\{kind="${kind}"\\} (\\d+)$`, 'm')), kind).toBe(n);
    expect(count(/^homeiq_ha_handler_errors_total (\d+)$/m)).toBe(0);
    expect(count(/^homeiq_input_problems_total\{kind="bad_event"\} (\d+)$/m)).toBe(3);
    // Logged once per kind, never as a crash.
    const warned = p.lines.filter((l) => /malformed '(\w+)' message/.test(l));
    expect(warned).toHaveLength(5);
    expect(p.lines.filter((l) => /not a Home Assistant message/.test(l))).toHaveLength(1);
    expect(p.lines.some((l) => /FATAL|uncaught/.test(l))).toBe(false);
    const status = parseJson(await api('/api/status')) as {
      homeAssistant: { connects: number; invalidMessages: Record<string, number> };
    };
    expect(status.homeAssistant.connects).toBe(1);
    expect(status.homeAssistant.invalidMessages['event']).toBe(12);
  }

  it('an uncaught exception: one FATAL line and exit within 5 s, although the stop would hang', async () => {
    // An InfluxDB that accepts connections and never answers: the writer's last request would wait for it.
    const held: Socket[] = [];
    const blackHole: Server = createServer((s) => void held.push(s));
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.54', () => r()));
    const port = (blackHole.address() as { port: number }).port;
    const addon = supervisor.registerAddon({
      configPath: CONFIG,
      ip: IP,
      options: {
        target: 'external',
        external: { url: `http://127.0.0.54:${port}`, org: 'o', bucket: 'b', token: 't' },
        flush_interval_ms: 50,
      },
    });
    try {
      // The failure is planted from outside the product: on SIGUSR2, a callback that throws.
      const plant = 'process.on("SIGUSR2", () => setImmediate(() => { throw new Error("planted failure"); }));';
      const p = await launch(addon, { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(plant)}` });
      for (let i = 0; i < 50; i += 1) ha.setState(`sensor.pending_${i}`, String(i));
      await until('a write request hanging on the black hole', () => held.length > 0, INGESTOR);
      const t0 = Date.now();
      p.child.kill('SIGUSR2');
      const code = await p.exited;
      const ms = Date.now() - t0;
      expect(code).toBe(1);
      expect(ms).toBeLessThan(5000);
      const fatal = p.lines.filter((l) => /\bFATAL\b/.test(l));
      expect(fatal, p.lines.join('\n')).toHaveLength(1);
      expect(fatal[0]).toMatch(/uncaught exception.*planted failure/);
    } finally {
      supervisor.unregisterAddon(addon.slug);
      for (const s of held) s.destroy();
      blackHole.close();
    }
  }, 120_000);
});
