/**
 * A crash in the middle of onboarding, against a real influxd: InfluxDB was set up with our operator token,
 * but the process died before the org id reached credentials.json. The next start must finish the job.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateCredentials } from '../../../homeiq-influxdb/src/credentials.js';
import { buildInfluxd, startInfluxd, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { DEFAULTS, manager } from './provisioning.js';

const IP = { ours: '127.0.33.5', foreign: '127.0.33.6' };

let binary: string;
let tmp: string;
const peers: RealInfluxd[] = [];

beforeAll(async () => {
  binary = await buildInfluxd();
  tmp = await mkdtemp(join(tmpdir(), 'homeiq-influxdb-onboarding-'));
}, 600_000);

afterAll(async () => {
  for (const p of peers) await p.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('a restart after a crash between onboarding and saving the org id completes credentials.json', async () => {
  const dataDir = join(tmp, 'ours');
  const inf = await startInfluxd({ binary, host: IP.ours, dataDir: join(dataDir, 'influxdb2') });
  peers.push(inf);
  // What #provision does up to the crash: credentials on disk (no org id), then POST /api/v2/setup.
  const crashed = manager(dataDir, inf.url);
  const creds = generateCredentials();
  await crashed.store.save(creds);
  const setup = await crashed.api.setup({
    username: creds.username,
    password: creds.password,
    token: creds.operatorToken,
    org: DEFAULTS.org,
    bucket: DEFAULTS.bucket,
    retentionPeriodSeconds: 365 * 86_400,
  });

  const restart = manager(dataDir, inf.url);
  await restart.provisioning.start();
  const s = restart.provisioning.current();
  expect(s.orgId).toBe(setup.orgId);
  expect(s.raw.id).toBe(setup.bucketId);
  expect(s.downsampled.map((b) => b.name)).toEqual(['homeassistant_5m', 'homeassistant_1h']);
  const onDisk = JSON.parse(await readFile(restart.store.file, 'utf8'));
  expect(onDisk).toMatchObject({ operatorToken: creds.operatorToken, orgId: setup.orgId, rawBucketId: setup.bucketId });
  expect(restart.lines.join('\n')).toMatch(/completed credentials\.json/);

  // And the start after that is an ordinary one.
  const again = manager(dataDir, inf.url);
  await again.provisioning.start();
  expect(again.provisioning.current().orgId).toBe(setup.orgId);
});

it('credentials without an org id whose token InfluxDB refuses still mean: set up by someone else', async () => {
  const dataDir = join(tmp, 'foreign');
  const inf = await startInfluxd({ binary, host: IP.foreign, dataDir: join(dataDir, 'influxdb2') });
  peers.push(inf);
  await inf.setup({ org: DEFAULTS.org });
  const m = manager(dataDir, inf.url);
  await m.store.save(generateCredentials());
  await expect(m.provisioning.start()).rejects.toThrow(/InfluxDB rejects the stored operator token/);
});
