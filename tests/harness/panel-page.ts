import type { Browser, Page } from 'playwright-core';

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
