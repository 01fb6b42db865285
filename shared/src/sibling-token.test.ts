import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TokenGrant } from './contracts/token-grant.js';
import { createLogger, LogSecrets } from './logger.js';
import { readTokenGrant, SiblingToken, TokenGrantError } from './sibling-token.js';

const grant = (token: string): TokenGrant => ({
  sibling: 'homeiq-ingestor',
  token,
  org: 'homeiq',
  orgId: '0123456789abcdef',
  bucket: 'homeassistant',
  buckets: { raw: 'homeassistant', downsampled: ['homeassistant_5m'] },
  port: 8086,
  influxdbVersion: '2.9.1',
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-sibling-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rig(answers: unknown[]) {
  const lines: string[] = [];
  const secrets = new LogSecrets();
  let asked = 0;
  const token = new SiblingToken({
    tokenFile: join(dir, 'influxdb-token.json'),
    ask: async () => {
      asked += 1;
      await new Promise((r) => setTimeout(r, 5));
      return answers.shift();
    },
    secrets,
    log: createLogger({ level: 'info', name: 't', secrets, write: (l) => lines.push(l) }),
    received: (g) => `received a token for ${g.bucket} (${g.token})`,
  });
  return { token, lines, secrets, asked: () => asked, file: join(dir, 'influxdb-token.json') };
}

describe('SiblingToken', () => {
  it('asks once, keeps the grant in a 0600 file, and never logs the token', async () => {
    const r = rig([grant('token-one-0123456789')]);
    const [a, b] = await Promise.all([r.token.get(), r.token.get()]);
    expect(a).toEqual(grant('token-one-0123456789'));
    expect(b).toBe(a);
    expect(r.asked()).toBe(1);
    expect(JSON.parse(await readFile(r.file, 'utf8'))).toEqual(grant('token-one-0123456789'));
    expect((await stat(r.file)).mode & 0o777).toBe(0o600);
    expect(r.lines.join('')).toContain('received a token for homeassistant ([redacted])');
    expect(r.lines.join('')).not.toContain('token-one-0123456789');
  });

  it('reads a kept grant without asking, and registers its token with the scrubber', async () => {
    const r = rig([]);
    await writeFile(r.file, JSON.stringify(grant('kept-token-0123456789')));
    expect((await r.token.get()).token).toBe('kept-token-0123456789');
    expect(r.asked()).toBe(0);
    expect(r.secrets.scrub('x kept-token-0123456789 y')).toBe('x [redacted] y');
  });

  it('asks again after a rejection, even while the file still holds the rejected token', async () => {
    const r = rig([grant('fresh-token-0123456789')]);
    await writeFile(r.file, JSON.stringify(grant('old-token-0123456789')));
    const first = await r.token.get();
    r.token.rejected(first.token);
    expect((await r.token.get()).token).toBe('fresh-token-0123456789');
    expect(r.asked()).toBe(1);
    expect(r.token.asks).toBe(1);
  });

  it('asks again when the kept file cannot be read as a grant (an older format)', async () => {
    const r = rig([grant('fresh-token-0123456789')]);
    await writeFile(r.file, JSON.stringify({ token: 'older-format-0123456789', port: 8086 }));
    expect((await r.token.get()).token).toBe('fresh-token-0123456789');
  });

  it('refuses an answer without the shape of a grant, writes nothing, and asks again next time', async () => {
    const r = rig([{ token: 'x' }, grant('good-token-0123456789')]);
    await expect(r.token.get()).rejects.toThrow(TokenGrantError);
    await expect(readFile(r.file)).rejects.toThrow(/ENOENT/);
    expect((await r.token.get()).token).toBe('good-token-0123456789');
  });
});

describe('readTokenGrant', () => {
  it('names the first field that is wrong', () => {
    expect(() => readTokenGrant({ ...grant('t-0123456789'), port: 'x' })).toThrow(/port:/);
    expect(() => readTokenGrant(null)).toThrow(/answer/);
  });
});
