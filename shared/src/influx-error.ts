import { parseJson } from './json-text.js';

/**
 * InfluxDB's own words for an error answer (docs/INFLUXDB.md): the `message` of a 2.x body (`{"code","message"}`)
 * or the `error` of a 1.x or InfluxQL body (`{"error"}`), whole; else the first `max` characters of the text.
 */
export function influxErrorMessage(body: string | Uint8Array, max = 300): string {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  try {
    const parsed = parseJson(text) as { message?: unknown; error?: unknown } | null;
    const said = parsed?.message ?? parsed?.error;
    if (typeof said === 'string' && said !== '') return said;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text.slice(0, max);
}
