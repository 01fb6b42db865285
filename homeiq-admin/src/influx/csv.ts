/** One row of a Flux answer by column name (`result` names the yield; the `table` column is dropped). */
export type FluxRow = Record<string, string>;

/** RFC 4180 records: quoted fields may hold commas, quotes (`""`) and newlines. */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/**
 * Flux's CSV answer (`dialect: {header: true, annotations: []}`): tables with different columns are separated
 * by an empty line and each starts with its own header row.
 */
export function parseFluxCsv(text: string): FluxRow[] {
  const rows: FluxRow[] = [];
  let header: string[] | undefined;
  for (const rec of parseCsvRecords(text)) {
    if (rec.length === 1 && rec[0] === '') {
      header = undefined;
      continue;
    }
    if (!header) {
      header = rec;
      continue;
    }
    const row: FluxRow = {};
    for (let i = 0; i < header.length; i++) {
      const name = header[i] as string;
      if (name === '' || name === 'table') continue;
      row[name] = rec[i] ?? '';
    }
    rows.push(row);
  }
  return rows;
}
