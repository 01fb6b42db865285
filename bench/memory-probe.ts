// A module preloaded into an add-on (`--import`) that prints its memory every 5 s on stderr as `[mem] {json}`:
// process.memoryUsage() and the V8 heap's used size per space, so a bench can tell what grows (the V8 heap,
// buffers outside it, or neither: code and the allocator) and read the last figures from the add-on's lines.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PROBE = `import v8 from 'node:v8';
setInterval(() => {
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => [s.space_name, s.space_size]));
  process.stderr.write('[mem] ' + JSON.stringify({ ...process.memoryUsage(), spaces }) + '\\n');
}, 5000).unref();
`;

export interface MemoryLine {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Bytes reserved per V8 heap space (new_space, old_space, large_object_space, code_space, …). */
  spaces?: Record<string, number>;
}

/** Writes the probe to a temp folder; returns the Node flag that preloads it. */
export async function memoryProbeFlag(): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'homeiq-bench-mem-')), 'memory-usage.mjs');
  await writeFile(file, PROBE);
  return `--import=${file}`;
}

/** The last `[mem]` line among an add-on's output lines. */
export function lastMemoryLine(lines: readonly string[]): MemoryLine | undefined {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i] as string;
    if (line.startsWith('[mem] ')) return JSON.parse(line.slice(6)) as MemoryLine;
  }
  return undefined;
}
