import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../dev/browser.js';
import { startDevStack, type DevStack } from '../../../dev/stack.js';
import { screenshot, openPanel, type PanelWatch } from '../../harness/panel-page.js';

// The panel in real Chromium (Debian's, scripts/setup-browser.sh), through the ingress emulator's prefix,
// against the running stack. Screenshots go to .artifacts/screenshots/ (gitignored).
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
/** Evaluated in the page: no horizontal scrolling on a phone. */
const FITS = 'document.documentElement.scrollWidth <= window.innerWidth';

let stack: DevStack;
let dataRoot: string;
let browser: Browser;
const watch: PanelWatch = { pageErrors: [], foreignRequests: [] };

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-admin-panel-'));
  stack = await startDevStack({ dataRoot, port: 0, addressBlock: '127.0.22' });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await rm(dataRoot, { recursive: true, force: true });
});

function open(view: string, opts: { viewport?: typeof DESKTOP; dark?: boolean } = {}): Promise<Page> {
  return openPanel(browser, stack.panelUrl, `#/${view}`, watch, { ...opts, viewport: opts.viewport ?? DESKTOP });
}

describe('the panel in Chromium', () => {
  it('Overview: six lines, green once events flow, with live numbers (light, dark, phone)', async () => {
    const page = await open('overview');
    await page.getByText('Everything is working').waitFor({ timeout: 45_000 });
    await page
      .locator('[data-check="ingestion"]', { hasText: /events\/s now, [1-9][\d,]* state changes stored/ })
      .waitFor({ timeout: 30_000 });
    expect(await page.locator('.check').count()).toBe(6);
    expect(await page.locator('[data-check="home-assistant"]').textContent()).toBe(
      `connected to Home Assistant ${stack.homeAssistant.version}`,
    );
    expect(await page.locator('[data-check="influxdb"]').textContent()).toContain('influxd 2.9.1');
    expect(await page.locator('.bar .user').textContent()).toBe('Signed in as Test Admin');
    await page.locator('.check.green .spark canvas').waitFor({ timeout: 20_000 });
    await screenshot(page, 'overview');
    await page.close();
    const dark = await open('overview', { dark: true });
    await dark.getByText('Everything is working').waitFor({ timeout: 15_000 });
    expect(await dark.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(17, 17, 17)');
    await screenshot(dark, 'overview-dark');
    await dark.close();
    const phone = await open('overview', { viewport: PHONE });
    await phone.getByText('Everything is working').waitFor({ timeout: 15_000 });
    expect(await phone.evaluate(FITS)).toBe(true);
    await screenshot(phone, 'overview-phone');
    await phone.close();
  });

  it('Live: events stream in, the domain filter narrows them, pause holds them', async () => {
    const page = await open('live');
    await page.locator('#live-state', { hasText: 'live' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('#live tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(3);
    await page.getByLabel('domain').selectOption('sensor');
    await expect.poll(() => page.locator('#live tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(2);
    const entities = await page
      .locator('#live tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entity') ?? ''));
    expect(entities.every((e) => e.startsWith('sensor.'))).toBe(true);
    await page.getByRole('button', { name: 'Pause' }).click();
    const before = await page.locator('#live tbody tr').count();
    await page.getByRole('button', { name: /Resume \(\d+ new\)/ }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#live tbody tr').count()).toBe(before);
    await screenshot(page, 'live');
    await page.getByRole('button', { name: /Resume/ }).click();
    await expect.poll(() => page.locator('#live tbody tr').count(), { timeout: 10_000 }).toBeGreaterThan(before);
    await page.close();
  });

  it('Storage: buckets, tasks and series; a retention change and a task run from the page', async () => {
    const page = await open('storage');
    const row = page.locator('tr[data-bucket="homeassistant_5m"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await page.locator('#buckets tbody tr').count()).toBe(3);
    await page.locator('#top tbody tr').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('#top tbody tr td').first().textContent()).toMatch(/^[a-z_]+$/);
    await row.locator('input').fill('500');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.getByText('homeassistant_5m now keeps data 500 days').waitFor({ timeout: 15_000 });
    await expect.poll(() => row.locator('input').inputValue(), { timeout: 10_000 }).toBe('500');
    await page
      .locator('#tasks tr', { hasText: 'homeiq-downsample-5m' })
      .getByRole('button', { name: 'Run now' })
      .click();
    await page.getByText(/homeiq-downsample-5m: success in \d+ ms/).waitFor({ timeout: 60_000 });
    await screenshot(page, 'storage');
    await page.close();
  });

  it('Entities: searchable table with real states, and a history chart whose range picks the bucket', async () => {
    const page = await open('entities');
    await page.locator('tr[data-entity="sensor.living_room_temperature"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#entities tbody tr').count()).toBeGreaterThan(5);
    const idsShown = (): Promise<string[]> =>
      page.locator('#entities tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entity') ?? ''));
    const areaOf = (id: string): Promise<string | null> =>
      page.locator(`tr[data-entity="${id}"] td.area`).textContent();
    // The demo home's areas, by name (the id on hover): from the entity's device, its own, none.
    await expect.poll(() => areaOf('sensor.living_room_temperature'), { timeout: 30_000 }).toBe('Living room');
    expect(await page.locator('tr[data-entity="sensor.living_room_temperature"] td.area').getAttribute('title')).toBe(
      'living_room',
    );
    await page
      .locator('tr[data-entity="sensor.solar_power"] td.area', { hasText: 'Garden' })
      .waitFor({ timeout: 30_000 });
    await expect.poll(() => areaOf('sun.sun'), { timeout: 30_000 }).toBe('–');
    // Search by area name.
    await page.getByLabel('search entities').fill('living room');
    await expect
      .poll(() => page.locator('#entities td.area').allTextContents())
      .toSatisfy((areas: string[]) => areas.length > 0 && areas.every((a) => a === 'Living room'));
    expect(await idsShown()).toContain('sensor.living_room_temperature');
    await page.getByLabel('search entities').fill('');
    // Filter by area with the select, which lists names and filters by id: the garden has the outdoor sensors, no more.
    const options = await page.getByLabel('area').locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['all areas', 'Garden', 'Hallway', 'Living room', 'no area']));
    expect(await page.getByLabel('area').locator('option', { hasText: 'Garden' }).getAttribute('value')).toBe('garden');
    await page.getByLabel('area').selectOption({ label: 'Garden' });
    await expect
      .poll(async () => (await idsShown()).sort(), { timeout: 30_000 })
      .toEqual(['sensor.outdoor_temperature', 'sensor.solar_power']);
    await page.getByLabel('area').selectOption({ label: 'no area' });
    await expect.poll(idsShown).toContain('sun.sun');
    expect(await idsShown()).not.toContain('sensor.living_room_temperature');
    await page.getByLabel('area').selectOption({ label: 'all areas' });
    await page.getByLabel('search entities').fill('temperature');
    await expect.poll(async () => (await idsShown()).every((id) => id.includes('temperature'))).toBe(true);
    const ids = await idsShown();
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.includes('temperature'))).toBe(true);
    await page.locator('tr[data-entity="sensor.living_room_temperature"]').click();
    await page.locator('.detail .source[data-bucket="homeassistant"]').waitFor({ timeout: 20_000 });
    await page.locator('.detail canvas').first().waitFor();
    expect(await page.locator('.detail .source').textContent()).toMatch(
      /From homeassistant \(value, mean per 2m\), \d+ points/,
    );
    await page.getByRole('button', { name: '1h', exact: true }).click();
    await page
      .locator('.detail .source', { hasText: /From homeassistant \(value\), \d+ points/ })
      .waitFor({ timeout: 20_000 });
    await screenshot(page, 'entities');
    await page.getByRole('button', { name: '7d', exact: true }).click();
    await page.locator('.detail .source', { hasText: /mean per 5m|homeassistant_5m/ }).waitFor({ timeout: 20_000 });
    await page.close();
    const phone = await open('entities/sensor.living_room_temperature', { viewport: PHONE });
    await phone.locator('.detail canvas').first().waitFor({ timeout: 20_000 });
    expect(await phone.evaluate(FITS)).toBe(true);
    // No room for an Area column on a phone: the area goes under the entity id.
    expect(await phone.locator('#entities th', { hasText: 'Area' }).isVisible()).toBe(false);
    const under = phone.locator('tr[data-entity="sensor.living_room_temperature"] .show-sm');
    expect(await under.isVisible()).toBe(true);
    expect(await under.textContent()).toBe('Living room');
    await screenshot(phone, 'entities-phone');
    await phone.close();
  });

  it("Quarantine: the ingestor's quarantine, empty on a healthy stack", async () => {
    const page = await open('quarantine');
    await page.getByText('The quarantine is empty: InfluxDB accepted every point.').waitFor({ timeout: 20_000 });
    expect(await page.getByRole('button', { name: 'Retry all' }).isDisabled()).toBe(true);
    await screenshot(page, 'quarantine');
    await page.close();
  });

  it('Grafana: connection details from the influxdb add-on, and the token request answered', async () => {
    const page = await open('grafana');
    await page.locator('#grafana', { hasText: '-homeiq-influxdb:8086' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#grafana').textContent()).toContain('homeassistant_1h');
    await page.getByRole('button', { name: 'Create a read-only token' }).click();
    // The influxdb add-on of the same release issues one; the panel shows it once.
    await page.locator('code.token').waitFor({ timeout: 20_000 });
    expect(((await page.locator('code.token').textContent()) ?? '').trim()).toMatch(/^\S{40,}$/);
    // InfluxQL: the database and its retention policies, and a password for the read-only user on request.
    expect(await page.locator('#influxql').textContent()).toMatch(
      /Database\s*homeassistant.*User\s*homeiq-reader.*autogen.*5m.*1h/s,
    );
    await page.getByRole('button', { name: 'Create InfluxQL credentials' }).click();
    const creds = page.locator('#influxql-credentials');
    await creds.waitFor({ timeout: 20_000 });
    expect(await creds.textContent()).toMatch(/^User homeiq-reader, password \S{30,}$/);
    await screenshot(page, 'grafana');
    await page.close();
  });

  it('loaded nothing outside the ingress prefix and threw no errors', () => {
    expect(watch.foreignRequests).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });
});
