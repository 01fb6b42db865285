import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { endpoint, InfluxSender } from './send.js';

describe('InfluxSender.encode', () => {
  const body = Buffer.from(
    Array.from({ length: 3000 }, (_, i) => `sensor,entity_id=sensor.t_${i % 40} state="${i}",value=${i} ${i}\n`).join(
      '',
    ),
  );

  it('gzips the body inline with one CPU and on the thread pool with more, to the same bytes', async () => {
    const one = await new InfluxSender({ cpus: () => 1 }).encode(body);
    const two = await new InfluxSender({ cpus: () => 2 }).encode(body);
    expect(gunzipSync(one).equals(body)).toBe(true);
    expect(gunzipSync(two).equals(body)).toBe(true);
    expect(one.length).toBeLessThan(body.length / 4);
  });

  it('rejects (never throws) when the body cannot be compressed', async () => {
    const bad = new InfluxSender({ cpus: () => 1, gzipLevel: 42 });
    await expect(bad.encode(body)).rejects.toThrow();
  });
});

describe('InfluxSender URLs', () => {
  it('keeps a path prefix of the target URL (InfluxDB behind a reverse proxy)', () => {
    expect(endpoint('https://h.example:8086', '/api/v2/write').href).toBe('https://h.example:8086/api/v2/write');
    expect(endpoint('https://h.example/influxdb', '/api/v2/write').href).toBe(
      'https://h.example/influxdb/api/v2/write',
    );
    expect(endpoint('https://h.example/influxdb/', '/ping').href).toBe('https://h.example/influxdb/ping');
    expect(endpoint('https://h.example/x/?a=1#f', '/ping').href).toBe('https://h.example/x/ping');
  });

  it('writes and pings under the prefix', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const sender = new InfluxSender();
    try {
      const target = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/influxdb`,
        org: 'o',
        bucket: 'b',
        token: 't',
      };
      expect(await sender.ping(target)).toBe(true);
      expect((await sender.post(target, await sender.encode(Buffer.from('m v=1 1\n')))).status).toBe(204);
      expect(paths).toEqual(['/influxdb/ping', '/influxdb/api/v2/write?org=o&bucket=b&precision=ns']);
    } finally {
      sender.close();
      await new Promise((r) => server.close(r));
    }
  });
});
