export interface PngSize {
  width: number;
  height: number;
}
export function pngSize(buf: Buffer): PngSize | undefined;
export function readPngSize(file: string): PngSize | undefined;
export function imageSizeProblem(kind: 'icon' | 'logo', size: PngSize | undefined): string | undefined;
