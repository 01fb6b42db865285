import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExploreResult } from '../../../homeiq-admin/src/api-types.js';
import { microsToRfc3339, rfc3339ToMicros } from '../../../homeiq-admin/src/explore/time.js';
import { startDevStack, type DevStack } from '../../../dev/stack.js';
import { wave, writeHistory, type HistoryEntity } from '../../../dev/synthetic-history.js';
import { flux } from '../../../dev/influx-query.js';
import { launchChromium } from '../../../dev/browser.js';
import { saveArtifact, screenshot, openPanel, type PanelWatch } from '../../harness/panel-page.js';

// Explore and the query console in real Chromium, through the ingress emulator, on the running stack with two
// weeks of history written into its real influxd (raw points and the summaries the tasks would have made),
// besides the demo home's live states. Screenshots go to .artifacts/screenshots/ (gitignored).
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const FITS = 'document.documentElement.scrollWidth <= window.innerWidth';
const H = 3_600_000;
const D = 24 * H;
const NOW = Math.floor(Date.now() / H) * H;
const TEMP = 'sensor.history_temperature';
const HUMID = 'sensor.history_humidity';
const MODE = 'input_select.history_mode';
const MODES = ['eco', 'comfort', 'away'];
const HISTORY: HistoryEntity[] = [
  {
    entityId: TEMP,
    unit: '°C',
    deviceClass: 'temperature',
    area: 'garden',
    name: 'History temperature',
    at: wave(12, 4, 0, 1),
  },
  {
    entityId: HUMID,
    unit: '%',
    deviceClass: 'humidity',
    area: 'garden',
    name: 'History humidity',
    at: wave(60, 12, 0, 2),
  },
  { entityId: MODE, name: 'History mode', at: (ms) => MODES[Math.floor(ms / (5 * H)) % 3] as string },
];

let stack: DevStack;
let dataRoot: string;
let browser: Browser;
let influx: { url: string; token: string; org: string };
const watch: PanelWatch = { pageErrors: [], foreignRequests: [] };

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-admin-explore-'));
  stack = await startDevStack({ dataRoot, port: 0, addressBlock: '127.0.23' });
  const creds = JSON.parse(await readFile(join(dataRoot, 'influxdb', 'homeiq', 'credentials.json'), 'utf8')) as {
    operatorToken: string;
  };
  influx = { url: 'http://127.0.23.12:8086', token: creds.operatorToken, org: 'homeassistant' };
  await writeHistory(
    { ...influx, raw: 'homeassistant', summaries: { '5m': 'homeassistant_5m', '1h': 'homeassistant_1h' } },
    { entities: HISTORY, startMs: NOW - 15 * D, endMs: NOW, rawEveryMs: 5 * 60_000, summariesUntilMs: NOW - H },
  );
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await rm(dataRoot, { recursive: true, force: true });
});

async function open(hash: string, opts: { viewport?: typeof DESKTOP; dark?: boolean } = {}): Promise<Page> {
  const page = await openPanel(browser, stack.panelUrl, hash, watch, {
    ...opts,
    viewport: opts.viewport ?? DESKTOP,
    acceptDownloads: true,
  });
  page.setDefaultTimeout(20_000);
  return page;
}

/** The chart's caption once the answer for the current selection is drawn. */
async function planShown(page: Page, pattern: RegExp): Promise<string> {
  const caption = page.locator('#explore-plan', { hasText: pattern });
  await caption.waitFor({ timeout: 30_000 });
  await expect.poll(() => caption.textContent()).not.toMatch(/^Updating/);
  return (await caption.textContent()) ?? '';
}

async function downloaded(page: Page, button: string): Promise<{ name: string; body: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), body: await readFile(path) };
}

/** The CSV the panel exported, as columns of [time µs, text] by header. */
function csvColumns(text: string): Map<string, Array<[number, string]>> {
  const lines = text.trimEnd().split('\r\n');
  const head = (lines[0] ?? '').split(',');
  const cols = new Map<string, Array<[number, string]>>(head.slice(1).map((h) => [h, []]));
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const t = rfc3339ToMicros(cells[0] ?? '');
    expect(microsToRfc3339(t)).toBe(cells[0]);
    head.slice(1).forEach((h, i) => {
      const v = cells[i + 1] ?? '';
      if (v !== '') cols.get(h)?.push([t, v]);
    });
  }
  return cols;
}

/** What InfluxDB holds for the same entity, read with Flux directly. */
async function fluxPoints(bucket: string, id: string, field: string, start: string, stop: string) {
  const rows = await flux(
    influx.url,
    influx.org,
    influx.token,
    `from(bucket: "${bucket}") |> range(start: ${start}, stop: ${stop}) |> filter(fn: (r) => r.entity_id == "${id}" and r._field == "${field}") |> keep(columns: ["_time", "_value"]) |> sort(columns: ["_time"])`,
  );
  return rows.map((r): [number, string] => [rfc3339ToMicros(r['_time'] ?? ''), r['_value'] ?? '']);
}

describe('Explore in Chromium', () => {
  const fixed = { from: NOW - 3 * H, to: NOW - H };
  const bookmark = `#/explore?e=${TEMP},${HUMID},${MODE}&from=${new Date(fixed.from).toISOString()}&to=${new Date(fixed.to).toISOString()}&w=none`;

  it('picks entities by searching, draws two units on two axes, a timeline band, and a legend with hover values', {
    timeout: 120_000,
  }, async () => {
    const page = await open('#/explore');
    const search = page.getByLabel('search entities to chart');
    // By area name, device class, unit: each search finds the history entities.
    await search.fill('garden temperature');
    await page.locator(`.results [data-entity="${TEMP}"]`).click();
    await search.fill('humidity %');
    await page.locator(`.results [data-entity="${HUMID}"]`).click();
    await search.fill('history timeline');
    await page.locator(`.results [data-entity="${MODE}"]`).click();
    await search.fill('');
    await page.getByRole('button', { name: '7d', exact: true }).click();
    expect(await page.evaluate('location.hash')).toBe(`#/explore?e=${TEMP},${HUMID},${MODE}&r=7d`);
    const caption = await planShown(
      page,
      /From 5-minute summaries from homeassistant_5m \(mean\), mean per \d+m \(chosen for 7 days at \d+ px\)/,
    );
    expect(caption).toMatch(/[1-9][\d,]* points in \d+ ms/);
    // x, °C and %: three axes; two lines and one band in the legend.
    expect(await page.locator('.plot .u-axis').count()).toBe(3);
    expect(await page.locator('.legend tr[data-series]').count()).toBe(2);
    expect(await page.locator(`.legend tr[data-band="${MODE}"]`).count()).toBe(1);
    await page.locator('.plot canvas.bands').waitFor();
    // The legend's numbers are those of the series the server sent.
    const api = (await (
      await fetch(
        `${stack.panelUrl}api/explore?entities=${TEMP}&start=${NOW - 7 * D}&end=${NOW}&width=1200&source=5m&every=15m`,
      )
    ).json()) as ExploreResult;
    const values = api.series[0]?.values ?? [];
    expect(values.length).toBeGreaterThan(600);
    const cells = await page.locator(`.legend tr[data-series="${TEMP}"] td`).allTextContents();
    expect(Number(cells[2])).toBeGreaterThanOrEqual(Number(Math.min(...values).toPrecision(4)) - 0.01);
    expect(Number(cells[4])).toBeLessThanOrEqual(Number(Math.max(...values).toPrecision(4)) + 0.01);
    // Hover: the header names the time, each row its value there, the band its state.
    const box = (await page.locator('.plot .u-over').boundingBox()) as {
      x: number;
      y: number;
      width: number;
      height: number;
    };
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.locator('.legend th').nth(1).textContent()).not.toBe('At cursor');
    expect(await page.locator(`.legend tr[data-series="${TEMP}"] td.hover`).textContent()).toMatch(/^-?\d/);
    expect(MODES).toContain(await page.locator(`.legend tr[data-band="${MODE}"] td.hover`).textContent());
    await screenshot(page, 'explore');

    // Compare: the previous week dashed, with its own legend rows.
    await page.getByLabel('Compare with the previous period').check();
    await expect.poll(() => page.locator('.legend tr[data-series]').count(), { timeout: 30_000 }).toBe(4);
    expect(await page.locator('.legend tr[data-series]').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('History temperature (7 days earlier)')]),
    );
    expect(await page.evaluate('location.hash')).toContain('cmp=1');
    await screenshot(page, 'explore-compare');

    // Zoom: a drag across the middle asks for that range at a finer window.
    await page.mouse.move(box.x + box.width * 0.45, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.55, box.y + 40, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => page.evaluate('location.hash')).toMatch(/from=.*&to=.*cmp=1/);
    await planShown(page, /From raw points from homeassistant, mean per/);
    const zoomed = await page.evaluate('location.hash');
    // Home Assistant opens the panel without a fragment: Explore comes back to the last chart.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('link', { name: 'Explore', exact: true }).click();
    await expect.poll(() => page.evaluate('location.hash')).toBe(zoomed);
    await planShown(page, /From raw points from homeassistant, mean per/);
    await page.close();
  });

  it('exports exactly what is shown: CSV against Flux (raw points and hourly summaries), PNG of the chart', async () => {
    const page = await open(bookmark);
    await planShown(page, /From raw points from homeassistant, not aggregated/);
    const csv = await downloaded(page, 'CSV');
    expect(csv.name).toMatch(/^homeiq-explore-\d{8}T\d{4}-\d{8}T\d{4}\.csv$/);
    const cols = csvColumns(csv.body.toString('utf8'));
    expect([...cols.keys()]).toEqual([TEMP, HUMID, MODE]);
    const start = new Date(fixed.from).toISOString();
    const stop = new Date(fixed.to).toISOString();
    for (const id of [TEMP, HUMID]) {
      const want = await fluxPoints('homeassistant', id, 'value', start, stop);
      expect(want.length).toBe(24);
      expect(cols.get(id)?.map(([t, v]) => [t, Number(v)])).toEqual(want.map(([t, v]) => [t, Number(v)]));
    }
    // The band: the state held at the start (the last one before it), then every change from there. (Every
    // fifth hour the window starts on a mode change: its first point then is a change.)
    const held = (await fluxPoints('homeassistant', MODE, 'state', new Date(fixed.from - D).toISOString(), start)).at(
      -1,
    );
    const states = await fluxPoints('homeassistant', MODE, 'state', start, stop);
    const changes = states.filter(([, s], i) => s !== (i === 0 ? held?.[1] : states[i - 1]?.[1]));
    expect(cols.get(MODE)?.[0]).toEqual([fixed.from * 1000, held?.[1]]);
    expect(cols.get(MODE)?.slice(1)).toEqual(changes);
    const png = await downloaded(page, 'PNG');
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
    expect(png.body.readUInt32BE(16)).toBeGreaterThan(1000);
    await saveArtifact('explore-export.png', png.body);

    // Ten days of hourly summaries as they are stored: the CSV matches the 1h bucket.
    await page.goto(
      `${stack.panelUrl}#/explore?e=${TEMP},${HUMID}&from=${new Date(NOW - 10 * D).toISOString()}&to=${new Date(NOW - 2 * D).toISOString()}&src=1h&w=none`,
    );
    await planShown(page, /From hourly summaries from homeassistant_1h \(mean\)\. /);
    const hourly = csvColumns((await downloaded(page, 'CSV')).body.toString('utf8'));
    const ns = (ms: number): string => `${new Date(ms).toISOString().slice(0, -1)}000001Z`;
    for (const id of [TEMP, HUMID]) {
      const want = await fluxPoints('homeassistant_1h', id, 'mean', ns(NOW - 10 * D), ns(NOW - 2 * D));
      expect(want.length).toBe(8 * 24);
      expect(hourly.get(id)?.map(([t, v]) => [t, Number(v)])).toEqual(want.map(([t, v]) => [t, Number(v)]));
    }
    await page.close();
  });

  it('a bookmark restores the whole selection', async () => {
    const page = await open(bookmark);
    await planShown(page, /From raw points from homeassistant, not aggregated/);
    expect(await page.locator('.chip').evaluateAll((c) => c.map((x) => x.getAttribute('data-entity')))).toEqual([
      TEMP,
      HUMID,
      MODE,
    ]);
    expect(await page.getByLabel('aggregation window').inputValue()).toBe('none');
    expect(await page.locator('.legend tr[data-series]').count()).toBe(2);
    const from = await page.locator('form.dates input').first().inputValue();
    expect(new Date(from).getTime()).toBe(fixed.from);
    // The link to open in a new tab (to bookmark it) is this very address.
    expect(await page.locator('#explore-link').getAttribute('href')).toBe(`${stack.panelUrl}${bookmark}`);
    await page.close();
  });

  it('phone width and dark mode', async () => {
    const phone = await open(bookmark, { viewport: PHONE });
    await planShown(phone, /From raw points/);
    await phone.locator('.plot canvas').first().waitFor();
    expect(await phone.evaluate(FITS)).toBe(true);
    await screenshot(phone, 'explore-phone');
    await phone.close();
    const dark = await open(bookmark.replace('&w=none', '&cmp=1'), { dark: true });
    await planShown(dark, /From raw points/);
    expect(await dark.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(17, 17, 17)');
    await screenshot(dark, 'explore-dark');
    await dark.close();
  });

  it("query console: Flux and InfluxQL answers as table and chart, InfluxDB's errors, refusals", {
    timeout: 120_000,
  }, async () => {
    const page = await open('#/explore/query');
    const editor = page.getByLabel('query', { exact: true });
    await expect.poll(() => editor.inputValue(), { timeout: 20_000 }).toContain('from(bucket: "homeassistant")');
    await editor.fill(`from(bucket: "homeassistant")
  |> range(start: -2d)
  |> filter(fn: (r) => r.entity_id == "${TEMP}" and r._field == "value")
  |> aggregateWindow(every: 1h, fn: mean, createEmpty: false)`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('#query-summary', { hasText: /^4[89] rows in 1 table,/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#query-answer .plot canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#query-answer .result th').allTextContents()).toEqual(
      expect.arrayContaining(['_time', '_value', 'entity_id']),
    );
    expect(await page.evaluate('location.hash')).toMatch(/^#\/explore\/query\?lang=flux&q=from/);
    await screenshot(page, 'explore-query');

    await editor.fill('from(bucket: "nope") |> range(start: -1h)');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('#query-error').waitFor({ timeout: 20_000 });
    // Word for word what InfluxDB answers the panel's own token.
    const token = JSON.parse(await readFile(join(dataRoot, 'admin', 'influxdb-token.json'), 'utf8')) as {
      token: string;
    };
    const direct = await fetch(`${influx.url}/api/v2/query?org=${influx.org}`, {
      method: 'POST',
      headers: { Authorization: `Token ${token.token}`, 'Content-Type': 'application/vnd.flux' },
      body: 'from(bucket: "nope") |> range(start: -1h)',
    });
    const message = ((await direct.json()) as { message: string }).message;
    expect(message).toContain('could not find bucket "nope"');
    expect(await page.locator('#query-error').textContent()).toBe(`InfluxDB: ${message}`);
    await editor.fill('import "http"\nhttp.post(url: "http://example.com")');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('#query-error', { hasText: /^Not run: the console does not run import "http"/ }).waitFor();

    await page.getByLabel('query language').selectOption('influxql');
    await editor.fill(
      `SELECT mean("value") FROM "sensor" WHERE "entity_id" = '${TEMP}' AND time > now() - 2d GROUP BY time(1h) fill(none)`,
    );
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('#query-summary', { hasText: /^4[89] rows in 1 table,/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#query-answer .plot canvas').count()).toBeGreaterThan(0);
    await editor.fill('SELECT FROM "sensor"');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page
      .locator('#query-error', { hasText: /^InfluxDB: failed to parse query: found FROM, expected identifier/ })
      .waitFor({ timeout: 20_000 });

    const url = (await page.evaluate('location.hash')) as string;
    // Back to the console later: the last query is there again, not run until asked.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('link', { name: 'Explore', exact: true }).click();
    await page.getByRole('link', { name: 'Query console' }).click();
    await expect.poll(() => editor.inputValue()).toBe('SELECT FROM "sensor"');
    expect(await page.locator('#query-error, #query-answer').count()).toBe(0);

    // A bookmarked query runs on opening; dark mode.
    const dark = await open(
      url.replace(
        /q=[^&]*/,
        `q=${encodeURIComponent(`SELECT last("value") FROM "sensor" WHERE "entity_id" = '${HUMID}'`)}`,
      ),
      { dark: true },
    );
    await dark.locator('#query-summary', { hasText: /^1 row in 1 table,/ }).waitFor({ timeout: 30_000 });
    await screenshot(dark, 'explore-query-dark');
    await dark.close();
    await page.close();
  });

  it('loaded nothing outside the ingress prefix and threw no errors', () => {
    expect(watch.foreignRequests).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });
});
