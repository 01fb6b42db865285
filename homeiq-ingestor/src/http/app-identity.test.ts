/**
 * The ingestor's internal HTTP API with its real identity check: the app is served on its own loopback address,
 * callers connect from the addresses the Supervisor emulator reports for the add-ons, and the check asks the
 * emulator, which may move an add-on or stop answering.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStream } from './event-stream.js';
import { REPO_ROOT } from '../../../dev/addon-process.js';
import { serveIngestorApiOnStores, type StoredApi } from '../../../tests/harness/ingestor-api.js';

const IP = {
  ingestor: '127.0.51.1',
  admin: '127.0.51.3',
  influxdb: '127.0.51.2',
  stranger: '127.0.51.4',
  unregistered: '127.0.51.9',
  adminMoved: '127.0.51.13',
};

let api: StoredApi;

beforeAll(async () => {
  api = await serveIngestorApiOnStores(
    IP,
    new EventStream({ bufferSize: 10, maxQueuedBytes: 64 * 1024, heartbeatMs: 100 }),
  );
  // An add-on that is not a HomeIQ sibling.
  const other = join(api.dir, 'other.yaml');
  await writeFile(other, 'name: other\nversion: "1.0.0"\nslug: some-other-addon\ndescription: test\narch: [amd64]\n');
  api.emulator.registerAddon({ configPath: other, ip: IP.stranger });
}, 60_000);

afterAll(() => api?.stop());

describe('ingestor HTTP API: identity through the Supervisor', () => {
  it('answers /health to anyone and everything else only to the admin sibling', async () => {
    for (const from of [IP.admin, IP.stranger, IP.unregistered, IP.influxdb])
      expect((await api.call('/health', from)).status).toBe(200);
    expect((await api.call('/api/status', IP.admin)).status).toBe(200);
    expect((await api.call('/metrics', IP.admin)).status).toBe(200);
    expect((await api.call('/api/quarantine', IP.admin)).status).toBe(200);
    // No enricher, as with ha_compatible: no area names to give (the admin then shows area ids).
    expect((await api.call('/api/registry/areas', IP.admin)).json().error).toMatch(
      /not read while ha_compatible is on/,
    );
    for (const from of [IP.stranger, IP.unregistered, IP.influxdb, IP.ingestor]) {
      for (const path of [
        '/api/status',
        '/metrics',
        '/api/quarantine',
        '/api/registry/areas',
        '/api/events/stream',
        '/nope',
      ]) {
        const r = await api.call(path, from);
        expect(r.status, `${path} from ${from}`).toBe(403);
      }
      expect((await api.call('/api/quarantine/discard', from, { method: 'POST', body: { all: true } })).status).toBe(
        403,
      );
    }
  });

  it('follows the Supervisor: an admin add-on reinstalled at a new address is trusted there only', async () => {
    const { emulator } = api;
    const adminConfig = join(REPO_ROOT, 'homeiq-admin/config.yaml');
    emulator.unregisterAddon(api.admin.slug);
    expect((await api.call('/api/status', IP.admin)).status).toBe(403);
    const moved = emulator.registerAddon({ configPath: adminConfig, ip: IP.adminMoved });
    expect((await api.call('/api/status', IP.adminMoved)).status).toBe(200);
    expect((await api.call('/api/status', IP.admin)).status).toBe(403);
    emulator.unregisterAddon(moved.slug);
    emulator.registerAddon({ configPath: adminConfig, ip: IP.admin });
    expect((await api.call('/api/status', IP.admin)).status).toBe(200);
  });
});

// Last in this file: it stops the emulator.
describe('ingestor HTTP API: Supervisor unreachable', () => {
  it('answers 503 (cannot tell who calls) while /health still answers', async () => {
    await api.emulator.stop();
    expect((await api.call('/api/status', IP.admin)).status).toBe(503);
    expect((await api.call('/api/quarantine', IP.admin)).json().error).toMatch(
      /cannot check the caller with the Supervisor/,
    );
    expect((await api.call('/health', IP.admin)).status).toBe(200);
  });
});
