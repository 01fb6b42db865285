import { describe, expect, it } from 'vitest';
import { frame, frameInto, framedLength, parseRecords } from './format.js';

describe('frameInto', () => {
  it('writes exactly what frame() makes, back to back in one buffer', () => {
    const lines = ['m f=1 1', 'sensor,unit=°C state="x\ny",attr_t_str="é😀" 2', '', 'x'.repeat(10_000)];
    const sizes = lines.map(framedLength);
    const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
    let pos = 0;
    lines.forEach((l, i) => {
      frameInto(buf, pos, l, sizes[i] as number);
      pos += sizes[i] as number;
    });
    expect(buf.equals(Buffer.concat(lines.map(frame)))).toBe(true);
    expect(parseRecords(buf).records).toEqual(lines);
  });
});
