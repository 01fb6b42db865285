/**
 * The panel's Migrate view in real Chromium, through the ingress emulator, against the running stack (simulated home,
 * real influxd, the three add-ons) and a real InfluxDB 1.8 holding points in HA's schema: a wrong password says so,
 * a check lists the entities and the range, a migration of two picked entities runs with a progress bar to the
 * report. The admin's relay of `/api/migration*` needs the CSRF token for changes. Screenshots go to
 * .artifacts/screenshots/ (gitignored).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationStatus } from '../../../homeiq-admin/src/api-types.js';
import { encodeHaCompatible } from '../../../homeiq-ingestor/src/points/ha-compatible.js';
import { startDevStack, type DevStack } from '../../../dev/stack.js';
import { startInfluxdb1, type RealInfluxdb1 } from '../../../dev/peers/influxdb1.js';
import { launchChromium } from '../../../dev/browser.js';
import { screenshot } from '../../harness/panel-page.js';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const USER = { username: 'reader', password: 'reader-password' };

let stack: DevStack;
let v1: RealInfluxdb1;
let dataRoot: string;
let browser: Browser;
let csrf: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-admin-migrate-'));
  [stack, v1] = await Promise.all([
    startDevStack({ dataRoot, port: 0, addressBlock: '127.0.26' }),
    startInfluxdb1({ release: '1.8' }),
  ]);
  await v1.createDatabase('home_assistant');
  await v1.createUser(USER, [{ privilege: 'READ', db: 'home_assistant' }]);
  // A day of a cellar's entities, every five minutes, written as HA's integration writes them.
  const lines: string[] = [];
  const t0 = Date.parse('2026-01-10T00:00:00Z');
  const opts = { maxStringLength: 16_384, excludeAttributes: new Set<string>(), layout: 'ha_compatible' as const };
  for (let i = 0; i < 288; i += 1) {
    const at = new Date(t0 + i * 300_000).toISOString().replace('Z', '000+00:00');
    const states = [
      {
        id: 'sensor.cellar_temperature',
        state: (12 + (i % 20) / 10).toFixed(1),
        attributes: { unit_of_measurement: '°C', device_class: 'temperature' },
      },
      { id: 'sensor.cellar_humidity', state: String(60 + (i % 7)), attributes: { unit_of_measurement: '%' } },
      { id: 'switch.cellar_fan', state: i % 3 === 0 ? 'on' : 'off', attributes: { friendly_name: 'Cellar fan' } },
      { id: 'input_select.cellar_mode', state: i % 2 ? 'dry' : 'normal', attributes: { options: ['dry', 'normal'] } },
    ];
    for (const s of states) {
      const state = { entity_id: s.id, state: s.state, attributes: s.attributes, last_updated: at };
      lines.push(encodeHaCompatible(state, at, opts).line as string);
    }
  }
  await v1.write('home_assistant', lines.join('\n'));
  const page = await (await fetch(stack.panelUrl)).text();
  csrf = /"csrf":"([^"]+)"/.exec(page)?.[1] ?? '';
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await v1?.dispose();
  await rm(dataRoot, { recursive: true, force: true });
});

const source = (password = USER.password) => ({
  kind: 'influxdb1',
  url: v1.url,
  database: 'home_assistant',
  username: USER.username,
  password,
});

describe("the panel's migration API", () => {
  it('relays status, needs the CSRF token for changes, and passes the ingestor\u2019s refusals on', async () => {
    const status = await fetch(`${stack.panelUrl}api/migration`);
    expect(status.status).toBe(200);
    expect(((await status.json()) as MigrationStatus).state).toBe('off');
    const post = (path: string, body: unknown, token = csrf): Promise<Response> =>
      fetch(`${stack.panelUrl}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { 'X-HomeIQ-CSRF': token } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post('api/migration/probe', { source: source() }, '')).status).toBe(403);
    expect((await post('api/migration', { source: source() }, 'forged')).status).toBe(403);
    const bad = await post('api/migration/probe', { source: { ...source(), url: 'ftp://x' } });
    expect(bad.status).toBe(400);
    const refused = await post('api/migration/probe', { source: source('wrong') });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: string }).error).toBe(
      "HomeIQ Ingestor: the source InfluxDB refused user 'reader' (401: authorization failed)",
    );
  });
});

describe('Migrate view in Chromium', () => {
  async function open(viewport = DESKTOP): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${stack.panelUrl}#/migrate`);
    await page.locator('#migration-state').waitFor({ timeout: 20_000 });
    return page;
  }

  it('checks the source, picks two entities, shows the progress and the per-entity report', async () => {
    const page = await open();
    expect(await page.locator('.tabs a[aria-current="page"], .tabs a.active').first().textContent()).toBe('Migrate');
    await page.getByLabel('URL').fill(v1.url);
    await page.getByLabel('User').fill(USER.username);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Check source' }).click();
    await page.locator('#migration-message', { hasText: "refused user 'reader'" }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'migrate-refused');

    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Check source' }).click();
    await page.locator('#migration-probe').waitFor({ timeout: 20_000 });
    expect(await page.locator('#migration-message').textContent()).toMatch(
      /^Found 4 entities of Home Assistant in InfluxDB 1\.8/,
    );
    await page.getByLabel(/selected/).check();
    for (const id of ['sensor.cellar_temperature', 'switch.cellar_fan']) {
      await page.getByLabel('filter entities').fill(id);
      await page.locator('label.pick', { hasText: id }).first().locator('input').check();
    }
    await page.getByText('selected (2)').waitFor();
    await page.getByLabel(/At most points\/s/).fill('100');
    await page.getByRole('button', { name: 'Start migration' }).click();
    await page.locator('#migration-eta', { hasText: /about .* left|estimating/ }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'migrate-running');
    await page.locator('#migration-state[data-state="done"]').waitFor({ timeout: 60_000 });
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(await page.locator('#migration-counts dd[data-count="written"]').textContent()).toBe('576');
    const rows = await page
      .locator('#migration-report tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-entity'), tr.children[2]?.textContent]));
    expect(rows).toEqual([
      ['sensor.cellar_temperature', '288'],
      ['switch.cellar_fan', '288'],
    ]);
    expect(await page.locator('#migration-notes li[data-kind="state_from_value"]').count()).toBe(1);
    await screenshot(page, 'migrate');
    await page.close();

    const phone = await open(PHONE);
    await phone.locator('#migration-state[data-state="done"]').waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(phone, 'migrate-phone');
    await phone.close();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
