import { describe, expect, it } from 'vitest';
import { HttpError } from './http-server.js';
import { normalizeAddress, SiblingIdentity, type IdentitySupervisor } from './sibling-identity.js';
import { SupervisorError, type AddonInfo } from './supervisor-client.js';

/** A Supervisor that knows our slug and some siblings' addresses; `down` makes every call fail like a network error. */
function supervisor(
  addresses: Record<string, string>,
  state: { down?: boolean; calls?: number } = {},
): IdentitySupervisor {
  const info = (slug: string, ip: string): AddonInfo => ({ slug, ip_address: ip }) as AddonInfo;
  return {
    selfInfo: async () => {
      if (state.down) throw new Error('connect ECONNREFUSED');
      return info('a1b2c3d4_homeiq-ingestor', '172.30.33.1');
    },
    addonInfo: async (slug) => {
      state.calls = (state.calls ?? 0) + 1;
      if (state.down) throw new Error('connect ECONNREFUSED');
      const ip = addresses[slug];
      if (ip === undefined) throw new SupervisorError(`App ${slug} does not exist`, 404);
      return info(slug, ip);
    },
  };
}

describe('SiblingIdentity', () => {
  it('names the sibling whose Supervisor-reported address is the caller, for our repository prefix only', async () => {
    const id = new SiblingIdentity(
      supervisor({ 'a1b2c3d4_homeiq-admin': '172.30.33.3', 'ffffffff_homeiq-admin': '172.30.33.9' }),
      'homeiq-ingestor',
      ['homeiq-admin'],
    );
    expect(await id.identify('172.30.33.3')).toBe('homeiq-admin');
    expect(await id.identify('::ffff:172.30.33.3')).toBe('homeiq-admin');
    expect(await id.identify('172.30.33.9')).toBeUndefined(); // the admin add-on of another repository
    expect(await id.identify(undefined)).toBeUndefined();
    await expect(id.require('172.30.33.3', ['homeiq-admin'])).resolves.toBe('homeiq-admin');
    await expect(id.require('172.30.33.1', ['homeiq-admin'])).rejects.toMatchObject({ status: 403 });
  });

  it('treats an uninstalled sibling as nobody, and only allows the callers asked for', async () => {
    const id = new SiblingIdentity(supervisor({ 'a1b2c3d4_homeiq-influxdb': '172.30.33.2' }), 'homeiq-ingestor', [
      'homeiq-admin',
      'homeiq-influxdb',
    ]);
    expect(await id.identify('172.30.33.2')).toBe('homeiq-influxdb');
    await expect(id.require('172.30.33.2', ['homeiq-admin'])).rejects.toMatchObject({ status: 403 });
    expect(await id.identify('172.30.33.3')).toBeUndefined();
  });

  it('answers 503 when the Supervisor cannot be asked, and asks again on every request', async () => {
    const state: { down?: boolean; calls?: number } = {};
    const id = new SiblingIdentity(supervisor({ 'a1b2c3d4_homeiq-admin': '172.30.33.3' }, state), 'homeiq-ingestor', [
      'homeiq-admin',
    ]);
    await id.identify('172.30.33.3');
    await id.identify('172.30.33.3');
    expect(state.calls).toBe(2);
    state.down = true;
    const err = await id.require('172.30.33.3', ['homeiq-admin']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 503 });
  });

  it('normalises IPv4-mapped IPv6 addresses', () => {
    expect(normalizeAddress('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeAddress('fe80::1')).toBe('fe80::1');
  });
});
