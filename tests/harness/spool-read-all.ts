/** Test helper (not part of the add-on): every committed line from a cursor on, as a reader walking the spool sees it. */
import type { Cursor, Spool } from '../../homeiq-ingestor/src/spool/spool.js';

export async function readAll(spool: Spool, from: Cursor = spool.ackCursor): Promise<string[]> {
  const out: string[] = [];
  let cur = from;
  for (;;) {
    const { batch, next } = await spool.read(cur, 1000, 1 << 20);
    if (batch.count === 0) return out;
    out.push(...batch.lines());
    cur = next;
  }
}
