/** Test helpers: Flux queries against a real influxd, with an RFC 4180 CSV reader (values may hold commas, quotes, newlines). */

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      // Go's encoding/csv with UseCRLF (Flux's writer) turns a newline inside a field into \r\n; undo that.
      else if (c === '\r' && text[i + 1] === '\n') continue;
      else cell += c;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(cell);
      cell = '';
      if (row.some((x) => x.length > 0)) rows.push(row);
      row = [];
    } else cell += c;
  }
  if (cell.length > 0 || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Runs Flux and returns records as objects (header rows repeat per table; every row has the same columns for our queries). */
export async function flux(
  url: string,
  org: string,
  token: string,
  query: string,
): Promise<Array<Record<string, string>>> {
  const res = await fetch(`${url}/api/v2/query?org=${encodeURIComponent(org)}`, {
    method: 'POST',
    headers: { Authorization: `Token ${token}`, 'Content-Type': 'application/vnd.flux', Accept: 'application/csv' },
    body: query,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`flux query answered ${res.status}: ${text}`);
  const out: Array<Record<string, string>> = [];
  let header: string[] | undefined;
  for (const row of parseCsv(text)) {
    if (row[1] === 'result') {
      header = row;
      continue;
    }
    if (!header) continue;
    out.push(Object.fromEntries(header.map((h, i) => [h, row[i] ?? ''])));
  }
  return out;
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
