/**
 * Where the ingestor writes, as its `/api/status` reports it (`target`), never with a token or password:
 * the HomeIQ InfluxDB add-on (`auto`), or the user's InfluxDB 2.x (or 1.8's compatibility API) or 1.x database.
 */
export type TargetDescription =
  | { kind: 'auto' }
  | { kind: 'external'; api: 'v2'; url: string; org: string; bucket: string }
  | { kind: 'external'; api: 'v1'; url: string; database: string; retentionPolicy: string | null };

/** Where the points go, in words: `http://host:8086 (InfluxDB 1.x database home_assistant)`. */
export function describeTarget(d: TargetDescription): string {
  if (d.kind === 'auto') return 'the HomeIQ InfluxDB add-on';
  if (d.api === 'v1')
    return `${d.url} (InfluxDB 1.x database ${d.database}${d.retentionPolicy ? `, retention policy ${d.retentionPolicy}` : ''})`;
  return `${d.url} (bucket ${d.bucket})`;
}
