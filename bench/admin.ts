// Admin panel bench, against the full dev stack (real InfluxDB, ingestor and simulated home), through the
// ingress emulator: p95 of the overview API; p95 of an Explore chart of 10 entities over 2 years, after writing
// 2 years of history for them into the real influxd (raw points for the year the raw bucket keeps, 5-minute and
// hourly summaries for both years, as the downsampling tasks make them); and the gzipped size of the panel's JS.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ExploreResult } from '../homeiq-admin/src/api-types.js';
import { REPO_ROOT } from '../dev/addon-process.js';
import { wave, writeHistory, type HistoryEntity } from '../dev/synthetic-history.js';
import { startDevStack } from '../dev/stack.js';
import { launchChromium } from '../dev/browser.js';

const GOALS = { overviewP95Ms: 100, exploreP95Ms: 2000, panelJsGzipKiB: 150 };
const WARMUP = 20;
const REQUESTS = 300;
const EXPLORE_REQUESTS = 20;
const DAY = 86_400_000;
/** The raw bucket keeps 365 days by default (retention_days); the summaries 730 days and forever. */
const RAW_DAYS = 365;
const HISTORY_DAYS = 730;
/** One state change per entity every 5 minutes: a busy sensor; 105,120 raw points per entity per year. */
const RAW_EVERY_MS = 5 * 60_000;
/** A desktop browser's chart width. */
const WIDTH = 1200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

const round = (n: number): number => Number(n.toFixed(2));

/** `n` requests of `url`, one after another; each must answer 200. Sorted times in ms. */
async function timed(url: string, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b);
}

function benchEntities(): HistoryEntity[] {
  const kinds: Array<[string, string, string, number, number]> = [
    ['temperature', '°C', 'temperature', 20, 3],
    ['humidity', '%', 'humidity', 55, 12],
    ['power', 'W', 'power', 400, 150],
  ];
  return Array.from({ length: 10 }, (_, i) => {
    const [what, unit, deviceClass, base, daily] = kinds[i % kinds.length] as (typeof kinds)[number];
    return {
      entityId: `sensor.bench_${what}_${i}`,
      unit,
      deviceClass,
      name: `Bench ${what} ${i}`,
      at: wave(base, daily, daily * 2, i),
    };
  });
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
    await timed(url, WARMUP);
    const ms = await timed(url, REQUESTS);

    const entities = benchEntities();
    const now = Date.now();
    const creds = JSON.parse(await readFile(join(dataRoot, 'influxdb', 'homeiq', 'credentials.json'), 'utf8')) as {
      operatorToken: string;
    };
    console.log(`writing ${HISTORY_DAYS} days of history for ${entities.length} entities into influxd…`);
    const g0 = performance.now();
    const written = await writeHistory(
      {
        url: 'http://127.0.31.12:8086',
        token: creds.operatorToken,
        org: 'homeassistant',
        raw: 'homeassistant',
        summaries: { '5m': 'homeassistant_5m', '1h': 'homeassistant_1h' },
      },
      {
        entities,
        startMs: now - HISTORY_DAYS * DAY,
        endMs: now,
        rawEveryMs: RAW_EVERY_MS,
        rawFromMs: now - RAW_DAYS * DAY + DAY,
      },
    );
    const generateS = (performance.now() - g0) / 1000;
    console.log(`wrote ${JSON.stringify(written)} lines in ${generateS.toFixed(1)} s`);
    const ids = entities.map((e) => e.entityId).join(',');
    const chart = (extra = ''): string =>
      `${stack.panelUrl}api/explore?entities=${ids}&start=${now - HISTORY_DAYS * DAY}&end=${now}&width=${WIDTH}${extra}`;
    // What the panel draws: the automatic choice must use the summaries for every entity.
    const first = performance.now();
    const answer = (await (await fetch(chart())).json()) as ExploreResult;
    const firstMs = performance.now() - first;
    const points = answer.series.reduce((n, s) => n + s.times.length, 0);
    if (
      answer.series.length !== entities.length ||
      answer.series.some((s) => s.times.length < 700 || s.notes.length > 0)
    )
      throw new Error(`the explore answer is not the chart expected: ${JSON.stringify(answer.plan)}`);
    const explore = await timed(chart(), EXPLORE_REQUESTS);
    // For comparison: the same chart from the raw bucket alone (what a panel without summaries would read).
    const raw = await timed(chart('&source=raw'), 5);
    // And as the user sees it: a bookmark of that chart opened in Chromium, until the chart is drawn.
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: WIDTH + 80, height: 900 } });
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await page.goto(`${stack.panelUrl}#/explore?e=${ids}&r=2y`);
      await page.locator('#explore-plan:not(:has-text("Updating"))').waitFor({ timeout: 30_000 });
      await page.locator('.plot .u-over').waitFor();
      seen.push(performance.now() - t0);
      await page.goto('about:blank');
    }
    seen.sort((a, b) => a - b);
    await browser.close();

    const js = await readFile(join(REPO_ROOT, 'homeiq-admin', 'dist', 'panel', 'panel.js'));
    const gz = gzipSync(js, { level: 9 }).length;
    const result = {
      bench: 'admin',
      overviewRequests: REQUESTS,
      overviewP50Ms: round(percentile(ms, 0.5)),
      overviewP95Ms: round(percentile(ms, 0.95)),
      overviewMaxMs: round(ms.at(-1) ?? NaN),
      exploreEntities: entities.length,
      exploreDays: HISTORY_DAYS,
      exploreLinesWritten: written,
      exploreGenerateS: round(generateS),
      explorePlan: answer.plan.label,
      explorePoints: points,
      exploreFirstMs: round(firstMs),
      exploreRequests: EXPLORE_REQUESTS,
      exploreP50Ms: round(percentile(explore, 0.5)),
      exploreP95Ms: round(percentile(explore, 0.95)),
      exploreRawBucketP50Ms: round(percentile(raw, 0.5)),
      exploreInBrowserP50Ms: round(percentile(seen, 0.5)),
      exploreInBrowserMaxMs: round(seen.at(-1) ?? NaN),
      panelJsBytes: js.length,
      panelJsGzipBytes: gz,
      panelJsGzipKiB: Number((gz / 1024).toFixed(1)),
      goals: GOALS,
      pass:
        percentile(ms, 0.95) <= GOALS.overviewP95Ms &&
        percentile(explore, 0.95) <= GOALS.exploreP95Ms &&
        gz / 1024 <= GOALS.panelJsGzipKiB,
    };
    console.log(
      `overview API through ingress: p50 ${result.overviewP50Ms} ms, p95 ${result.overviewP95Ms} ms (goal ≤ ${GOALS.overviewP95Ms} ms) over ${REQUESTS} requests`,
    );
    console.log(
      `explore, ${entities.length} entities × ${HISTORY_DAYS} days (${answer.plan.label}, ${points} points): first ${result.exploreFirstMs} ms, p50 ${result.exploreP50Ms} ms, p95 ${result.exploreP95Ms} ms (goal ≤ ${GOALS.exploreP95Ms} ms) over ${EXPLORE_REQUESTS} requests; from the raw bucket alone p50 ${result.exploreRawBucketP50Ms} ms`,
    );
    console.log(
      `explore in Chromium, from opening the bookmark to the chart drawn: p50 ${result.exploreInBrowserP50Ms} ms, max ${result.exploreInBrowserMaxMs} ms over ${seen.length} loads`,
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
