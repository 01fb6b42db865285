import type { IngressUser } from './ingress.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The panel's first page. Server-rendered and relative-linked (`<base>` is the ingress prefix), so it works
 * under any ingress path; it refreshes its data from `api/overview` without a framework.
 */
export function overviewPage(base: string, user: IngressUser | undefined): string {
  const hello = user ? `Signed in as ${esc(user.displayName || user.name)}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${esc(base)}/">
<title>HomeIQ</title>
<style>
:root{color-scheme:light dark;--bg:#fafafa;--card:#fff;--text:#212121;--muted:#727272;--green:#43a047;--amber:#ffa600;--red:#db4437;--accent:#03a9f4}
@media (prefers-color-scheme:dark){:root{--bg:#111;--card:#1c1c1c;--text:#e1e1e1;--muted:#9b9b9b}}
body{margin:0;font:14px/1.5 Roboto,system-ui,sans-serif;background:var(--bg);color:var(--text)}
header{background:var(--accent);color:#fff;padding:12px 16px;font-size:20px}
header small{display:block;font-size:12px;opacity:.85}
main{display:grid;gap:16px;padding:16px;grid-template-columns:repeat(auto-fit,minmax(280px,1fr))}
.card{background:var(--card);border-radius:12px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
.card h2{margin:0 0 8px;font-size:16px}.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.green{background:var(--green)}.amber{background:var(--amber)}.red{background:var(--red)}.muted{color:var(--muted)}
ul{margin:8px 0 0;padding-left:18px}
</style></head>
<body><header>HomeIQ<small>${hello}</small></header>
<main id="cards"><div class="card muted">Loading…</div></main>
<script>
const NAMES={'homeiq-ingestor':'Ingestor','homeiq-influxdb':'InfluxDB','homeiq-admin':'Panel'};
const esc=(s)=>String(s??'').replace(/[&<>"']/g,(c)=>'&#'+c.charCodeAt(0)+';');
function card(s){const st=s.health?s.health.status:(s.problem?'red':'amber');
const checks=(s.health?s.health.checks:[]).map(c=>'<li><span class="dot '+esc(c.status)+'"></span>'+esc(c.reason)+(c.hint?' <span class="muted">— '+esc(c.hint)+'</span>':'')+'</li>').join('');
return '<section class="card"><h2><span class="dot '+esc(st)+'"></span>'+esc(NAMES[s.slug]||s.slug)+(s.version?' <span class="muted">'+esc(s.version)+'</span>':'')+'</h2>'+
(s.problem?'<div>'+esc(s.problem)+'</div>':'')+(checks?'<ul>'+checks+'</ul>':'')+'</section>';}
async function refresh(){try{const r=await fetch('api/overview');const o=await r.json();document.getElementById('cards').innerHTML=o.siblings.map(card).join('');}
catch(e){document.getElementById('cards').innerHTML='<div class="card red">Cannot reach the HomeIQ panel server: '+esc(e.message)+'</div>';}}
refresh();setInterval(refresh,5000);
</script></body></html>`;
}
