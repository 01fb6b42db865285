import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineBuffer } from './line-buffer.js';

describe("a window's line buffer", () => {
  it('holds exactly the UTF-8 bytes of any lines and their ends, growing from any size', () => {
    const line = fc.string({ unit: fc.constantFrom('a', ' ', '=', 'é', '€', '😀', '\ud800'), maxLength: 400 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.nat(300), (lines, capacity) => {
        const b = new LineBuffer(capacity);
        for (const l of lines) b.add(l);
        const batch = b.batch();
        const expected = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
        expect(batch.body.equals(expected)).toBe(true);
        expect(b.bytes).toBe(expected.length);
        expect(batch.count).toBe(lines.length);
        expect(batch.lines()).toEqual(lines.map((l) => Buffer.from(l, 'utf8').toString('utf8')));
      }),
      { numRuns: 1000 },
    );
  });
});
