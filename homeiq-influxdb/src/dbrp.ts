import type { Logger } from '@homeiq/shared';
import { TIERS } from './downsample.js';
import type { Bucket } from './influx/api.js';
import type { CompatApi } from './influx/compat-api.js';

/** How InfluxQL reaches one HomeIQ bucket: `SELECT … FROM "<database>"."<retentionPolicy>"."<measurement>"`. */
export interface DatabaseMapping {
  database: string;
  retentionPolicy: string;
  bucket: string;
  /** The retention policy a query uses when it names none. */
  default: boolean;
}

/**
 * The mappings HomeIQ keeps (docs: DOCS.md "InfluxQL"): the raw bucket is database `<bucket>` (retention policy
 * `autogen`, the default), and its summaries are that database's retention policies `5m` and `1h`, so one
 * InfluxQL data source reaches all three, the way 1.x setups keep downsampled data. Each summary bucket is also
 * a database of its own name. Defaults come first: InfluxDB makes the first mapping of a database its default.
 */
export function databaseMappings(
  raw: Bucket,
  downsampled: readonly Bucket[],
): (DatabaseMapping & { bucketId: string })[] {
  const m = (database: string, retentionPolicy: string, b: Bucket, isDefault: boolean) => ({
    database,
    retentionPolicy,
    bucket: b.name,
    bucketId: b.id,
    default: isDefault,
  });
  const tiers = TIERS.flatMap((t, i) => {
    const b = downsampled[i];
    return b ? [{ rp: t.every, b }] : [];
  });
  return [
    m(raw.name, 'autogen', raw, true),
    ...tiers.map(({ b }) => m(b.name, 'autogen', b, true)),
    ...tiers.map(({ rp, b }) => m(raw.name, rp, b, false)),
  ];
}

/**
 * Brings InfluxDB's stored DBRP mappings in line with {@link databaseMappings}: creates what is missing, moves a
 * mapping that points at another bucket (a bucket deleted and created again), and sets the default flags.
 * Mappings of other databases (an earlier `bucket` option's, the user's own) are left alone.
 */
export async function reconcileDatabaseMappings(
  compat: CompatApi,
  orgId: string,
  wanted: readonly (DatabaseMapping & { bucketId: string })[],
  log: Logger,
): Promise<DatabaseMapping[]> {
  const same = (a: { database: string; retention_policy: string }, w: DatabaseMapping): boolean =>
    a.database === w.database && a.retention_policy === w.retentionPolicy;
  const stored = (await compat.dbrps(orgId)).filter((m) => !m.virtual);
  let changes = 0;
  for (const w of wanted) {
    const found = stored.find((m) => same(m, w));
    if (found?.bucketID === w.bucketId) continue;
    if (found) {
      log.info(`InfluxQL ${w.database}.${w.retentionPolicy} pointed at another bucket; it now reads ${w.bucket}`);
      await compat.deleteDbrp(found.id, orgId);
    }
    await compat.createDbrp({
      orgID: orgId,
      bucketID: w.bucketId,
      database: w.database,
      retention_policy: w.retentionPolicy,
      default: w.default,
    });
    changes += 1;
  }
  // Creating a default flips the database's other mappings; read back and put every flag where it belongs.
  for (const m of (await compat.dbrps(orgId)).filter((x) => !x.virtual)) {
    const w = wanted.find((x) => same(m, x));
    if (w && m.default !== w.default) {
      await compat.setDbrpDefault(m.id, orgId, w.default);
      changes += 1;
    }
  }
  if (changes > 0)
    log.info(
      `InfluxQL databases: ${[...new Set(wanted.map((w) => w.database))].join(', ')} (${changes} mapping change(s))`,
    );
  return wanted.map(({ bucketId: _, ...rest }) => rest);
}
