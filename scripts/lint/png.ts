// Reads a PNG's size from its IHDR chunk (no image library needed).
import { openSync, readSync, closeSync } from 'node:fs';

export interface PngSize {
  width: number;
  height: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** { width, height } of a PNG buffer, or undefined if it is not a PNG. */
export function pngSize(buf: Buffer): PngSize | undefined {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(SIGNATURE)) return undefined;
  if (buf.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

export function readPngSize(file: string): PngSize | undefined {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(24);
    const n = readSync(fd, buf, 0, 24, 0);
    return pngSize(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Problem text for an icon (128×128) or logo (about 250×100, ±20% each side); undefined if fine. */
export function imageSizeProblem(kind: 'icon' | 'logo', size: PngSize | undefined): string | undefined {
  if (!size) return 'is not a PNG file';
  const { width, height } = size;
  if (kind === 'icon') return width === 128 && height === 128 ? undefined : `is ${width}×${height}, expected 128×128`;
  const ok = width >= 200 && width <= 300 && height >= 80 && height <= 120;
  return ok ? undefined : `is ${width}×${height}, expected about 250×100 (200–300 × 80–120)`;
}
