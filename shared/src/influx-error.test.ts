import { describe, expect, it } from 'vitest';
import { influxErrorMessage } from './influx-error.js';

describe('influxErrorMessage', () => {
  it("reads InfluxDB 2.x's message and 1.x's error, whole", () => {
    const long = `partial write: ${'x'.repeat(400)}`;
    expect(influxErrorMessage(JSON.stringify({ code: 'invalid', message: long }))).toBe(long);
    expect(influxErrorMessage(Buffer.from('{"error":"database not found: \\"home\\""}'))).toBe(
      'database not found: "home"',
    );
  });

  it('falls back to the text, cut at max characters', () => {
    expect(influxErrorMessage('<html>bad gateway</html>')).toBe('<html>bad gateway</html>');
    expect(influxErrorMessage('y'.repeat(500), 10)).toBe('y'.repeat(10));
    expect(influxErrorMessage('{"message":""}')).toBe('{"message":""}');
  });
});
