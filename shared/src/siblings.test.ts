import { describe, expect, it } from 'vitest';
import { hostnameOf, repositoryPrefix, siblingOf, siblingSlug } from './siblings.js';

describe('siblings', () => {
  it('derives a sibling store slug and hostname from our own', () => {
    expect(siblingSlug('a1b2c3d4_homeiq-ingestor', 'homeiq-ingestor', 'homeiq-influxdb')).toBe(
      'a1b2c3d4_homeiq-influxdb',
    );
    expect(siblingSlug('local_homeiq-admin', 'homeiq-admin', 'homeiq-ingestor')).toBe('local_homeiq-ingestor');
    expect(hostnameOf('a1b2c3d4_homeiq-influxdb')).toBe('a1b2c3d4-homeiq-influxdb');
    expect(hostnameOf('local_my_addon')).toBe('local-my-addon');
  });

  it('recognises siblings of the same repository only', () => {
    expect(siblingOf('a1b2c3d4_homeiq-influxdb', 'homeiq-influxdb', 'a1b2c3d4_homeiq-admin')).toBe('homeiq-admin');
    expect(siblingOf('a1b2c3d4_homeiq-influxdb', 'homeiq-influxdb', 'ffffffff_homeiq-admin')).toBeUndefined();
    expect(siblingOf('a1b2c3d4_homeiq-influxdb', 'homeiq-influxdb', 'a1b2c3d4_homeiq-influxdb')).toBeUndefined();
    expect(siblingOf('a1b2c3d4_homeiq-influxdb', 'homeiq-influxdb', 'a1b2c3d4_other')).toBeUndefined();
  });

  it('refuses a store slug that is not ours', () => {
    expect(() => repositoryPrefix('a1b2c3d4_something', 'homeiq-admin')).toThrow(/does not end in '_homeiq-admin'/);
    expect(() => repositoryPrefix('_homeiq-admin', 'homeiq-admin')).toThrow();
  });
});
