/**
 * The Flux tasks that roll the raw bucket's numeric `value` field up into the downsampled buckets.
 * Pure: the provisioner compares these scripts with what InfluxDB has and updates them on every start.
 */
export interface DownsampleTier {
  /** Window and schedule, a Flux duration: `5m`, `1h`. */
  every: '5m' | '1h';
  /** Bucket suffix: `<raw>_5m`. */
  suffix: string;
}

export const TIERS: readonly DownsampleTier[] = [
  { every: '5m', suffix: '_5m' },
  { every: '1h', suffix: '_1h' },
];

export interface TaskSpec {
  name: string;
  every: string;
  description: string;
  flux: string;
}

export function taskName(tier: DownsampleTier): string {
  return `homeiq-downsample-${tier.every}`;
}

export function downsampledBucket(raw: string, tier: DownsampleTier): string {
  return `${raw}${tier.suffix}`;
}

const FNS = ['mean', 'min', 'max', 'count'] as const;

/**
 * Each run aggregates the two last *complete* windows before its scheduled time (the range is aligned to
 * window boundaries, so a window is never written from partial data; re-running a window overwrites the
 * same points, so overlap and manual runs are harmless). The offset waits for late writes. Only numeric
 * values are aggregated (`types.isNumeric`); ints become floats so mixed series aggregate together.
 * Output: the same measurement and tags, fields `mean`, `min`, `max`, `count`, time = window end.
 */
export function downsampleTask(org: string, raw: string, tier: DownsampleTier): TaskSpec {
  const name = taskName(tier);
  const dest = downsampledBucket(raw, tier);
  const offset = tier.every === '5m' ? '30s' : '2m';
  const lines = [
    'import "date"',
    'import "experimental"',
    'import "types"',
    '',
    `option task = {name: ${q(name)}, every: ${tier.every}, offset: ${offset}}`,
    '',
    `stop = date.truncate(t: now(), unit: ${tier.every})`,
    `start = experimental.subDuration(d: ${tier.every === '5m' ? '10m' : '2h'}, from: stop)`,
    `data = from(bucket: ${q(raw)})`,
    '  |> range(start: start, stop: stop)',
    '  |> filter(fn: (r) => r._field == "value" and types.isNumeric(v: r._value))',
    '  |> map(fn: (r) => ({r with _value: float(v: r._value)}))',
    ...FNS.flatMap((fn) => [
      '',
      'data',
      `  |> aggregateWindow(every: ${tier.every}, fn: ${fn}, createEmpty: false)`,
      `  |> set(key: "_field", value: ${q(fn)})`,
      `  |> to(bucket: ${q(dest)}, org: ${q(org)})`,
    ]),
  ];
  return {
    name,
    every: tier.every,
    description: `HomeIQ: ${tier.every} mean/min/max/count of numeric "value" from ${raw} into ${dest} (managed by homeiq-influxdb; edits are overwritten on start)`,
    flux: `${lines.join('\n')}\n`,
  };
}

/** A Flux string literal. Names are validated by the options schema, so this is belt and braces. */
function q(s: string): string {
  return JSON.stringify(s);
}
