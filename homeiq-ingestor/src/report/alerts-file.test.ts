import { createLogger, LogSecrets } from '@homeiq/shared';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAlertsFile, writeAlertsFile } from './alerts-file.js';

let dir: string;
const lines: string[] = [];
const log = createLogger({ level: 'warning', name: 'test', secrets: new LogSecrets(), write: (l) => lines.push(l) });
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-alerts-file-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const alert = { id: 'homeiq_influxdb', title: 'T', message: 'M', since: 1, raisedAt: 2, dismissed: false };

describe('alerts.json', () => {
  it('round-trips; missing is the first start, silently', async () => {
    const file = join(dir, 'ok.json');
    expect(await readAlertsFile(file, log)).toBeUndefined();
    await writeAlertsFile(file, { alerts: [alert] }, log);
    expect(await readAlertsFile(file, log)).toEqual({ alerts: [alert] });
    expect(lines).toEqual([]);
  });

  it('is read by shape: an id that is not one of ours, bad JSON or a huge file is ignored with one line each', async () => {
    const cases: Array<[string, (file: string) => Promise<void>]> = [
      // Restored, it would be created in HA, then dismissed when it clears: someone else's notification.
      ['foreign id', (f) => writeFile(f, JSON.stringify({ alerts: [{ ...alert, id: 'invalid_config' }] }))],
      ['not JSON', (f) => writeFile(f, '{"alerts": [')],
      ['wrong shape', (f) => writeFile(f, JSON.stringify({ alerts: 'none' }))],
      [
        'huge',
        async (f) => {
          await writeFile(f, '');
          await truncate(f, 3 * 1024 * 1024);
        },
      ],
    ];
    for (const [name, make] of cases) {
      const file = join(dir, `${name.replace(' ', '-')}.json`);
      await make(file);
      lines.length = 0;
      expect(await readAlertsFile(file, log), name).toBeUndefined();
      expect(lines.length, name).toBe(1);
      expect(lines[0], name).toContain(`ignoring ${file}`);
    }
  });
});
