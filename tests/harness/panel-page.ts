import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from '../../dev/addon-process.js';

/** Where the browser tests put their screenshots (gitignored; CI keeps them as the run's artifact). */
export const SCREENSHOTS = join(REPO_ROOT, '.artifacts', 'screenshots');

/**
 * Saves `name`.png of the whole page, scrolled to the top first: a full-page capture of a scrolled page draws
 * the sticky tab bar where the scroll left it, over the content.
 */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}

/** Saves a file the page exported (a PNG download) beside the screenshots. */
export async function saveArtifact(name: string, body: Buffer): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await writeFile(join(SCREENSHOTS, name), body);
}

/** What the panel's pages did wrong, collected across a test file and checked at its end. */
export interface PanelWatch {
  pageErrors: string[];
  /** Requests outside the ingress prefix: the panel may load nothing else (the iframe's only route to the add-on). */
  foreignRequests: string[];
}

export interface PanelPageOptions {
  viewport: { width: number; height: number };
  dark?: boolean;
  acceptDownloads?: boolean;
}

/** Opens `panelUrl` + `hash` in a new page whose errors and foreign requests go to `watch`. */
export async function openPanel(
  browser: Browser,
  panelUrl: string,
  hash: string,
  watch: PanelWatch,
  opts: PanelPageOptions,
): Promise<Page> {
  const page = await browser.newPage({
    viewport: opts.viewport,
    colorScheme: opts.dark ? 'dark' : 'light',
    acceptDownloads: opts.acceptDownloads ?? false,
  });
  page.on('pageerror', (e) => watch.pageErrors.push(e.message));
  page.on('request', (r) => {
    const url = r.url();
    // data: and blob: URLs are made in the page (icons, exports) and leave nothing.
    if (!url.startsWith(panelUrl) && !url.startsWith('data:') && !url.startsWith('blob:'))
      watch.foreignRequests.push(url);
  });
  await page.goto(`${panelUrl}${hash}`);
  return page;
}
