import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium (installed by scripts/setup-browser.sh), or the Chromium-based browser `$HOMEIQ_CHROMIUM` names
 * (GitHub's runners have Google Chrome but no Debian chromium package), headless. Background networking, component updates
 * and sync are off: this machine's network is closed, and Chromium's own connections would be refused or hang.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['HOMEIQ_CHROMIUM'] ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
