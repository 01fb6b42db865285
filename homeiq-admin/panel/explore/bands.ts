import type uPlot from 'uplot';

/**
 * What the Explore chart draws on canvases of its own, beside uPlot's: the timeline bands of states that are not
 * numbers, and the PNG export (chart, bands and legend on one image).
 */

/** A timeline band: `states[i]` from `times[i]` (µs) until the next time. */
export interface PlotBand {
  key: string;
  label: string;
  color: string;
  times: number[];
  states: string[];
}

/** Height of one timeline band's row (label and bar), CSS px. */
const BAND_ROW = 30;
const ON = new Set(['on', 'open', 'home', 'true', 'detected', 'playing', 'heat', 'cool', 'above_horizon', 'unlocked']);
const OFF = new Set(['off', 'closed', 'not_home', 'false', 'clear', 'idle', 'paused', 'below_horizon', 'locked']);
const MISSING = new Set(['unavailable', 'unknown', '']);

export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

const OTHER = ['#8e24aa', '#00897b', '#fb8c00', '#3949ab', '#c0ca33', '#6d4c41', '#d81b60', '#546e7a'];

function stateColor(state: string, color: string): string {
  const s = state.toLowerCase();
  if (ON.has(s)) return color;
  if (OFF.has(s)) return 'rgba(127,127,127,0.35)';
  if (MISSING.has(s)) return 'rgba(219,68,55,0.45)';
  return OTHER[hash(s) % OTHER.length] as string;
}

/** The timeline bands on their own canvas under the plot area, on the chart's time axis, with the cursor. */
export function drawBands(
  canvas: HTMLCanvasElement,
  u: uPlot,
  bands: readonly PlotBand[],
  endUs: number,
  cursorUs: number | undefined,
): void {
  const dpr = devicePixelRatio || 1;
  const width = u.width;
  const height = bands.length * BAND_ROW + 4;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.scale(dpr, dpr);
  const left = u.bbox.left / dpr;
  const plotWidth = u.bbox.width / dpr;
  const min = u.scales['x']?.min ?? 0;
  const max = u.scales['x']?.max ?? 1;
  const x = (us: number): number => left + ((us / 1e6 - min) / (max - min)) * plotWidth;
  const text = cssVar('--text', '#212121');
  ctx.font = '11px Roboto, system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  bands.forEach((b, row) => {
    const top = row * BAND_ROW + 2;
    ctx.fillStyle = cssVar('--muted', '#727272');
    ctx.fillText(b.label, left, top + 6, plotWidth);
    for (let i = 0; i < b.times.length; i++) {
      const x0 = Math.max(left, x(b.times[i] as number));
      const x1 = Math.min(left + plotWidth, x(i + 1 < b.times.length ? (b.times[i + 1] as number) : endUs));
      if (x1 <= x0) continue;
      const state = b.states[i] ?? '';
      ctx.fillStyle = stateColor(state, b.color);
      ctx.fillRect(x0, top + 13, Math.max(1, x1 - x0 - 0.5), 14);
      const w = ctx.measureText(state).width;
      if (x1 - x0 > w + 8) {
        ctx.fillStyle = text;
        ctx.fillText(state, x0 + 4, top + 20);
      }
    }
  });
  if (cursorUs !== undefined) {
    ctx.fillStyle = text;
    ctx.fillRect(Math.round(x(cursorUs)), 0, 1, height);
  }
}

/** The chart canvas, the bands (when drawn) and the legend's lines on one canvas, in the page's colours. */
export function chartPng(
  u: uPlot,
  bands: HTMLCanvasElement | null,
  title: string,
  legend: ReadonlyArray<{ color: string; text: string }>,
): Promise<Blob> {
  const dpr = devicePixelRatio || 1;
  const chart = u.ctx.canvas;
  const line = Math.round(18 * dpr);
  const head = Math.round(28 * dpr);
  const bandHeight = bands ? bands.height : 0;
  const c = document.createElement('canvas');
  c.width = chart.width;
  c.height = head + chart.height + bandHeight + legend.length * line + Math.round(8 * dpr);
  const ctx = c.getContext('2d');
  if (!ctx) return Promise.reject(new Error('this browser cannot draw the image'));
  ctx.fillStyle = cssVar('--card', '#fff');
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.fillStyle = cssVar('--text', '#212121');
  ctx.textBaseline = 'middle';
  ctx.font = `${Math.round(13 * dpr)}px Roboto, system-ui, sans-serif`;
  ctx.fillText(title, 8 * dpr, head / 2, c.width - 16 * dpr);
  ctx.drawImage(chart, 0, head);
  if (bands && bandHeight > 0) ctx.drawImage(bands, 0, head + chart.height);
  ctx.font = `${Math.round(12 * dpr)}px Roboto, system-ui, sans-serif`;
  legend.forEach((l, i) => {
    const y = head + chart.height + bandHeight + i * line + line / 2 + 4 * dpr;
    ctx.fillStyle = l.color;
    ctx.fillRect(8 * dpr, y - 5 * dpr, 10 * dpr, 10 * dpr);
    ctx.fillStyle = cssVar('--text', '#212121');
    ctx.fillText(l.text, 24 * dpr, y, c.width - 32 * dpr);
  });
  return new Promise((resolve, reject) => {
    c.toBlob((b) => (b ? resolve(b) : reject(new Error('the image could not be made'))), 'image/png');
  });
}
