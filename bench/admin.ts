// Admin panel bench: p95 of the overview API through the ingress emulator against the full dev stack
// (real InfluxDB, ingestor and simulated home), and the gzipped size of the panel's JavaScript.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from '../tests/harness/addon-process.js';
import { startDevStack } from '../tests/dev/stack.js';

const GOALS = { overviewP95Ms: 100, panelJsGzipKiB: 150 };
const WARMUP = 20;
const REQUESTS = 300;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

export async function run(): Promise<void> {
  const dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-bench-admin-'));
  const stack = await startDevStack({
    dataRoot,
    port: 0,
    addressBlock: '127.0.31',
    say: (m) => console.log(`[stack] ${m}`),
  });
  try {
    const url = `${stack.panelUrl}api/overview`;
    // Let the ingestor write and the panel take its first samples, as a user opening the panel would find it.
    await new Promise((r) => setTimeout(r, 3000));
    for (let i = 0; i < WARMUP; i++) await (await fetch(url)).arrayBuffer();
    const ms: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`overview answered ${res.status}`);
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    const js = await readFile(join(REPO_ROOT, 'homeiq-admin', 'dist', 'panel', 'panel.js'));
    const gz = gzipSync(js, { level: 9 }).length;
    const result = {
      bench: 'admin',
      overviewRequests: REQUESTS,
      overviewP50Ms: Number(percentile(ms, 0.5).toFixed(2)),
      overviewP95Ms: Number(percentile(ms, 0.95).toFixed(2)),
      overviewMaxMs: Number((ms.at(-1) ?? NaN).toFixed(2)),
      panelJsBytes: js.length,
      panelJsGzipBytes: gz,
      panelJsGzipKiB: Number((gz / 1024).toFixed(1)),
      goals: GOALS,
      pass: percentile(ms, 0.95) <= GOALS.overviewP95Ms && gz / 1024 <= GOALS.panelJsGzipKiB,
    };
    console.log(
      `overview API through ingress: p50 ${result.overviewP50Ms} ms, p95 ${result.overviewP95Ms} ms (goal ≤ ${GOALS.overviewP95Ms} ms) over ${REQUESTS} requests`,
    );
    console.log(
      `panel JS: ${(js.length / 1024).toFixed(1)} KiB, ${result.panelJsGzipKiB} KiB gzipped (goal ≤ ${GOALS.panelJsGzipKiB} KiB)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await stack.stop();
    await rm(dataRoot, { recursive: true, force: true });
  }
}
