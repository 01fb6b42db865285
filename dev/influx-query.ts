/** Test helpers: Flux queries against a real influxd, read with the product's one Flux CSV reader. */
import { type FluxCsvOptions, type FluxRow, parseFluxCsv } from '@homeiq/shared';

/**
 * Runs Flux and returns its rows as objects by column name (plus `result`). `read.exact` names the columns the
 * query escaped with `fluxExact`, for strings that must come back exactly. A Flux error table throws.
 */
export async function flux(
  url: string,
  org: string,
  token: string,
  query: string,
  read: FluxCsvOptions = {},
): Promise<FluxRow[]> {
  const res = await fetch(`${url}/api/v2/query?org=${encodeURIComponent(org)}`, {
    method: 'POST',
    headers: { Authorization: `Token ${token}`, 'Content-Type': 'application/vnd.flux', Accept: 'application/csv' },
    body: query,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`flux query answered ${res.status}: ${text}`);
  return parseFluxCsv(text, read);
}

/** Number of points with a `state` field (every HomeIQ-layout point has one). */
export async function countPoints(
  url: string,
  org: string,
  token: string,
  bucket: string,
  measurementFilter = 'true',
): Promise<number> {
  const rows = await flux(
    url,
    org,
    token,
    `from(bucket: "${bucket}") |> range(start: 0) |> filter(fn: (r) => r._field == "state" and (${measurementFilter})) |> group() |> count()`,
  );
  return Number(rows[0]?.['_value'] ?? 0);
}
