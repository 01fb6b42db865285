/**
 * What homeiq-influxdb's `POST /api/tokens` hands a sibling (docs/CONVENTIONS.md "Token hand-over"): a
 * least-privilege token and where to use it. The sibling keeps it in its data dir (shared/src/sibling-token.ts).
 */
export interface TokenGrant {
  sibling: 'homeiq-ingestor' | 'homeiq-admin';
  token: string;
  org: string;
  orgId: string;
  /** The raw bucket (the ingestor writes there). */
  bucket: string;
  buckets: { raw: string; downsampled: string[] };
  /** influxd's port on the sibling's address. */
  port: number;
  influxdbVersion: string;
}
