import type { PanelAssets } from './assets.js';
import type { IngressUser } from './ingress.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the page hands the browser bundle (read from `<script id="boot">`). */
export interface Boot {
  csrf: string | null;
  user: IngressUser | null;
}

/**
 * The panel's one HTML page. `<base href>` is the ingress prefix, so every asset and API URL is relative and
 * works under any prefix; views are addressed by the fragment (`#/storage`), which never reaches the server.
 */
export function panelPage(base: string, boot: Boot, assets: PanelAssets): string {
  const user = boot.user ? `Signed in as ${esc(boot.user.displayName || boot.user.name)}` : 'Not signed in';
  // JSON inside <script>: `<` escaped so no value can close the element.
  const json = JSON.stringify(boot).replace(/</g, '\\u003c');
  const v = assets.version;
  const body = assets.missing
    ? `<main class="missing"><p>The panel's files are missing from this build (${esc(assets.missing)}).</p></main>`
    : '<div id="app"><p class="loading">Loading…</p></div>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<base href="${esc(base)}/">
<title>HomeIQ</title>
<link rel="stylesheet" href="assets/panel.css?v=${v}">
</head><body>
<header class="bar"><span class="title">HomeIQ</span><small class="user">${user}</small></header>
${body}
<script id="boot" type="application/json">${json}</script>
<script type="module" src="assets/panel.js?v=${v}"></script>
</body></html>`;
}
