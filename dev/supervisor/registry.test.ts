import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_REPOSITORY_URL,
  hostnameFor,
  repositoryHash,
  startSupervisorEmulator,
  storeSlug,
  type SupervisorEmulator,
} from './index.js';
import { tempDir, writeAddonConfig } from './test-helpers.js';

describe('store slug and hostname derivation', () => {
  it('hashes the repository URL like the Supervisor (known community hash)', () => {
    // Fixed value from supervisor/store/const.py.
    expect(repositoryHash('https://github.com/hassio-addons/repository')).toBe('a0d7b954');
  });

  it('lower-cases the URL but hashes every other character', () => {
    expect(repositoryHash('https://GitHub.com/Hassio-Addons/Repository')).toBe('a0d7b954');
    expect(repositoryHash('https://github.com/hassio-addons/repository.git')).not.toBe('a0d7b954');
  });

  it('replaces every underscore, including those inside the config slug', () => {
    const slug = storeSlug('1a2b3c4d', 'my_test_addon');
    expect(slug).toBe('1a2b3c4d_my_test_addon');
    expect(hostnameFor(slug)).toBe('1a2b3c4d-my-test-addon');
  });
});

describe('registerAddon', () => {
  const tmp = tempDir();
  let emu: SupervisorEmulator;
  beforeAll(async () => {
    emu = await startSupervisorEmulator();
  });
  afterAll(async () => {
    await emu.stop();
    tmp.cleanup();
  });

  it('listens on 127.0.0.2', () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
  });

  it('derives slug and hostname from the default repository and hands out env', () => {
    const reg = emu.registerAddon({
      configPath: writeAddonConfig(tmp.dir, { slug: 'homeiq_ingestor' }),
      ip: '127.0.0.21',
    });
    const hash = repositoryHash(DEFAULT_REPOSITORY_URL);
    expect(reg.slug).toBe(`${hash}_homeiq_ingestor`);
    expect(reg.hostname).toBe(`${hash}-homeiq-ingestor`);
    expect(reg.token).toMatch(/^[0-9a-f]{112}$/);
    expect(reg.ingressEntry).toBeNull();
    expect(reg.env()).toMatchObject({
      SUPERVISOR_TOKEN: reg.token,
      HOMEIQ_SUPERVISOR_URL: emu.url,
      HOMEIQ_BIND_HOST: '127.0.0.21',
    });
  });

  it('gives ingress add-ons an ingress entry and URL', () => {
    const reg = emu.registerAddon({
      configPath: writeAddonConfig(tmp.dir, { slug: 'ui', ingress: true }),
      ip: '127.0.0.22',
    });
    expect(reg.ingressEntry).toMatch(/^\/api\/hassio_ingress\/[-_A-Za-z0-9]{43}$/);
    expect(emu.ingressUrl(reg.slug, '/x/y?z=1')).toBe(`${emu.url}${reg.ingressEntry}/x/y?z=1`);
  });

  it('allocates loopback addresses from 127.0.0.11 when none is given', () => {
    const reg = emu.registerAddon({ configPath: writeAddonConfig(tmp.dir, { slug: 'auto_ip' }) });
    expect(reg.ip).toBe('127.0.0.11');
  });

  it('refuses duplicate slugs, duplicate addresses and invalid configs', () => {
    expect(() =>
      emu.registerAddon({ configPath: writeAddonConfig(tmp.dir, { slug: 'ui' }), ip: '127.0.0.30' }),
    ).toThrow(/already registered/);
    expect(() =>
      emu.registerAddon({ configPath: writeAddonConfig(tmp.dir, { slug: 'other' }), ip: '127.0.0.22' }),
    ).toThrow(/already used/);
    expect(() =>
      emu.registerAddon({ configPath: writeAddonConfig(tmp.dir, { slug: 'bad', hassio_role: 'root' }) }),
    ).toThrow(/invalid add-on config/);
  });

  it('uses a custom repository URL for the hash', async () => {
    const other = await startSupervisorEmulator({ repositoryUrl: 'https://github.com/hassio-addons/repository' });
    try {
      const reg = other.registerAddon({ configPath: writeAddonConfig(tmp.dir, { slug: 'x_y' }), ip: '127.0.0.23' });
      expect(reg.slug).toBe('a0d7b954_x_y');
      expect(reg.hostname).toBe('a0d7b954-x-y');
    } finally {
      await other.stop();
    }
  });
});
