import { parseOptions } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { ExternalTarget } from './influx/targets.js';
import { ingestorOptionsSchema } from './options.js';

const base = {
  log_level: 'info',
  event_types: [],
  target: 'external',
  batch_size: 5000,
  flush_interval_ms: 1000,
  spool_max_mb: 1024,
  ha_compatible: false,
};
const parse = (external: Record<string, string>) => parseOptions(ingestorOptionsSchema, { ...base, external });

describe('ingestor options: the external InfluxDB', () => {
  it('takes InfluxDB 2.x (also 1.8 through its compatibility API) as url, org, bucket and token', () => {
    const o = parse({ url: 'http://influx:8086', org: '-', bucket: 'home_assistant/autogen', token: 'u:p' });
    expect(ExternalTarget.fromOptions(o.external).describe()).toEqual({
      kind: 'external',
      api: 'v2',
      url: 'http://influx:8086',
      org: '-',
      bucket: 'home_assistant/autogen',
    });
  });

  it('takes an InfluxDB 1.x database, with or without a retention policy and credentials', () => {
    const o = parse({
      url: 'http://a0d7b954-influxdb:8086',
      database: 'home_assistant',
      retention_policy: 'autogen',
      username: 'homeassistant',
      password: 'secret',
    });
    const t = ExternalTarget.fromOptions(o.external);
    expect(t.describe()).toEqual({
      kind: 'external',
      api: 'v1',
      url: 'http://a0d7b954-influxdb:8086',
      database: 'home_assistant',
      retentionPolicy: 'autogen',
    });
    expect(JSON.stringify(t.describe())).not.toContain('secret');
    expect(parse({ url: 'http://influx:8086', database: 'db' }).external).toEqual({
      url: 'http://influx:8086',
      database: 'db',
    });
  });

  it('names the option and the fix when 1.x and 2.x settings are mixed or incomplete', () => {
    expect(() => parse({ url: 'http://i:8086', database: 'db', bucket: 'b', token: 't' })).toThrow(
      /'external\.bucket' is for InfluxDB 2\.x; with external\.database \(InfluxDB 1\.x\) leave org, bucket and token out.*'external\.token'/,
    );
    expect(() => parse({ url: 'http://i:8086', database: 'db', username: 'u' })).toThrow(
      /'external\.password' is missing: set it with external\.username, or leave both out when InfluxDB 1\.x has no authentication/,
    );
    expect(() => parse({ url: 'http://i:8086', database: 'db', password: 'p-secret' })).toThrow(
      /'external\.username' is missing: set it with external\.password/,
    );
    expect(() => parse({ url: 'http://i:8086', org: 'o', bucket: 'b', token: 't', retention_policy: 'rp' })).toThrow(
      /'external\.retention_policy' is for InfluxDB 1\.x and needs external\.database too/,
    );
    expect(() => parse({ url: 'http://i:8086', org: 'o' })).toThrow(
      /'external\.bucket' is required when target is external \(or set external\.database for an InfluxDB 1\.x database\)/,
    );
    expect(() => parse({ database: 'db' })).toThrow(/'external\.url' is required when target is external/);
  });
});

describe('ingestor options: the external URL', () => {
  it('refuses a URL that is not http(s), such as a host name without http://, naming the option and the fix', () => {
    for (const url of ['a0d7b954-influxdb:8086', 'ftp://influx:8086', 'file:///etc/passwd', 'javascript:alert(1)'])
      expect(() => parse({ url, database: 'db' }), url).toThrow(
        /'external\.url' must be an http\(s\) URL such as https:\/\/influx\.example\.com:8086/,
      );
    expect(parse({ url: 'https://influx.example.com:8086/influxdb', database: 'db' }).external.url).toBe(
      'https://influx.example.com:8086/influxdb',
    );
  });

  it('refuses credentials in the URL, which the log and the panel show: they belong in their own options', () => {
    const run = () => parse({ url: 'http://homeassistant:s3cret-pw@influx:8086', database: 'db' });
    expect(run).toThrow(
      /'external\.url' must not contain a user name or password; set external\.username and external\.password/,
    );
    // The refusal itself does not repeat the password.
    expect(run).not.toThrow(/s3cret-pw/);
  });
});
