import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../dev/browser.js';
import type { Entities, ImportView } from '../../../homeiq-admin/src/api-types.js';
import { startDevStack, type DevStack } from '../../../dev/stack.js';
import { until } from '../../../dev/until.js';
import { screenshot } from '../../harness/panel-page.js';

// View 5, History import: the panel's /api/import (through the ingress emulator, CSRF-guarded) to the ingestor's
// import control, against the running stack (simulated home with its recorder, real influxd); then the view in real
// Chromium. Screenshots go to .artifacts/screenshots/ (gitignored).
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let stack: DevStack;
let dataRoot: string;
let browser: Browser;
let csrf: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-admin-import-'));
  stack = await startDevStack({ dataRoot, port: 0, addressBlock: '127.0.24' });
  const page = await (await fetch(stack.panelUrl)).text();
  csrf = /"csrf":"([^"]+)"/.exec(page)?.[1] ?? '';
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await rm(dataRoot, { recursive: true, force: true });
});

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${stack.panelUrl}${path}`);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

function send(method: string, body?: unknown, token = csrf): Promise<Response> {
  return fetch(`${stack.panelUrl}api/import`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { 'X-HomeIQ-CSRF': token } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const status = (): Promise<ImportView> => get<ImportView>('api/import');

describe('History import through the admin API', () => {
  it("shows the ingestor's import state; changes need the CSRF token; bad requests say why", async () => {
    const s = await until('the import status as expected', status, {
      ok: (v) => v.connected,
      ms: 60_000,
      everyMs: 500,
    });
    expect(s.import.state).toBe('off');
    expect((await send('POST', { days: 1 }, '')).status).toBe(403);
    expect((await send('POST', { days: 1 }, 'forged')).status).toBe(403);
    expect((await send('DELETE', undefined, '')).status).toBe(403);
    const bad = await send('POST', { days: 0 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid request');
    expect((await send('POST', { days: 1, entities: ['sensor.x"; drop'] })).status).toBe(400);
    expect((await status()).import.state).toBe('off');
  });

  it('imports the last day of the recorder into InfluxDB: progress to 100 %, points written', async () => {
    // Let the demo home record a few changes per entity first (the newest of each is the snapshot's point).
    await new Promise((r) => setTimeout(r, 3000));
    const r = await send('POST', { days: 1 });
    expect(r.status).toBe(202);
    expect(((await r.json()) as ImportView).import).toMatchObject({ days: 1, origin: 'request' });
    const done = await until('the import status as expected', status, {
      ok: (v) => v.import.state === 'done',
      ms: 60_000,
      everyMs: 500,
    });
    expect(done.import.progress).toBe(1);
    // Points the ingestor's digests know as written are skipped; older changes of the demo home's busy entities are written again.
    expect(done.import.points).toBeGreaterThan(0);
    expect(done.import.completedAt).toBeDefined();
  });

  it('a long import runs with an ETA and is cancelled by DELETE', async () => {
    expect((await send('POST', { days: 3650 })).status).toBe(202);
    const running = await until('the import status as expected', status, {
      ok: (v) => v.import.state === 'running' && v.import.progress > 0 && v.import.etaSeconds !== undefined,
      ms: 30_000,
      everyMs: 500,
    });
    expect(running.import.etaSeconds).toBeGreaterThan(0);
    const d = await send('DELETE');
    expect(d.status).toBe(200);
    expect(await d.json()).toMatchObject({ cancelled: true, import: { state: 'cancelled' } });
    const after = await status();
    expect(after.import.state).toBe('cancelled');
    expect(after.import.progress).toBeLessThan(1);
  });
});

describe('History import view in Chromium', () => {
  async function open(viewport = DESKTOP): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${stack.panelUrl}#/import`);
    await page.locator('#import-state').waitFor({ timeout: 20_000 });
    return page;
  }

  it('picks a range and entities, shows the progress bar with an ETA, then the result', async () => {
    const page = await open();
    expect(await page.locator('.tabs a.active').textContent()).toBe('History import');
    // The cancelled import from above is shown as such.
    expect(await page.locator('#import-state').getAttribute('data-state')).toBe('cancelled');

    // A long import of everything: the bar moves and an ETA appears; cancel from the page.
    await page.getByLabel('days').fill('3650');
    await page.getByRole('button', { name: /^(Start|Restart) import$/ }).click();
    await page.locator('#import-eta', { hasText: /about .* left/ }).waitFor({ timeout: 30_000 });
    const now = Number(await page.getByRole('progressbar').getAttribute('aria-valuenow'));
    expect(now).toBeGreaterThanOrEqual(0);
    await screenshot(page, 'import-running');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#import-state[data-state="cancelled"]').waitFor({ timeout: 15_000 });

    // Then the last 7 days of two picked entities.
    const ids = (
      await until('api/entities as expected', () => get<Entities>('api/entities'), {
        ok: (e) => e.entities.length >= 2,
        ms: 60_000,
        everyMs: 500,
      })
    ).entities
      .map((e) => e.entityId)
      .sort();
    const [a, b] = ids as [string, string];
    await page.getByRole('button', { name: '7 days' }).click();
    await page.getByLabel(/selected/).check();
    await page.getByLabel('filter entities').fill(a);
    await page.locator('label.pick', { hasText: a }).first().locator('input').check();
    await page.getByLabel('filter entities').fill(b);
    await page.locator('label.pick', { hasText: b }).first().locator('input').check();
    await page.getByText('selected (2)').waitFor();
    await page.getByRole('button', { name: /^(Start|Restart) import$/ }).click();
    await page.locator('#import-state[data-state="done"]').waitFor({ timeout: 60_000 });
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    const result = await page.locator('#import-result').textContent();
    expect(result).toContain('last 7 days');
    expect(result).toMatch(/Entities2/);
    const s = await status();
    expect(s.import).toMatchObject({ state: 'done', days: 7, entities: [a, b].sort(), progress: 1 });
    expect(await page.locator('#import-result dd[data-points]').getAttribute('data-points')).toBe(
      String(s.import.points),
    );
    await screenshot(page, 'import');
    await page.close();

    const phone = await open(PHONE);
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(phone, 'import-phone');
    await phone.close();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
