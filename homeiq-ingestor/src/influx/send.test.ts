import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InfluxSender } from './send.js';

describe('InfluxSender.encode', () => {
  const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => `sensor,entity_id=sensor.t_${i % 40} state="${i}",value=${i} ${i}\n`).join(''));

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
