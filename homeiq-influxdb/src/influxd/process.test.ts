import { describe, expect, it } from 'vitest';
import { influxdArgs } from './launch.js';

// The add-on's image runs the official influxd, which serves its web UI unless told not to; the test peer is
// built without the UI's files, so only the flag itself can show that DOCS.md's "the web UI is off" holds.
describe('influxd flags', () => {
  it('turn off the web UI and usage reporting, and keep influxd on our address and in our data dir', () => {
    const args = influxdArgs('/data/influxdb2', '172.30.33.5', 8086, 'info');
    expect(args).toContain('--ui-disabled');
    expect(args).toContain('--reporting-disabled');
    expect(args).toContain('--http-bind-address=172.30.33.5:8086');
    const paths = args.filter((x) => /-path=/.test(x));
    expect(paths).toHaveLength(3);
    for (const p of paths) expect(p).toMatch(/=\/data\/influxdb2\//);
  });
});
