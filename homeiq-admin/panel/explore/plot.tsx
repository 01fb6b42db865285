import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { type PlotBand, chartPng, cssVar, drawBands } from './bands.js';
import { num, stats } from './export.js';
import type { PlotSeries } from './series.js';

export interface PlotHandle {
  /** The chart, its bands and its legend as one PNG, under `title`. */
  png(title: string): Promise<Blob>;
}

export interface PlotProps {
  series: PlotSeries[];
  bands: PlotBand[];
  startMs: number;
  endMs: number;
  height: number;
  /** Drag across the chart: the range selected, in Unix ms. */
  onZoom?: ((startMs: number, endMs: number) => void) | undefined;
  handle?: ((h: PlotHandle | undefined) => void) | undefined;
}

/** The index of the last time ≤ t (−1 before the first). */
function before(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The index of the time nearest to t, or −1 without times. */
function nearest(times: readonly number[], t: number): number {
  const i = before(times, t);
  if (i < 0) return times.length > 0 ? 0 : -1;
  if (i + 1 < times.length && (times[i + 1] as number) - t < t - (times[i] as number)) return i + 1;
  return i;
}

/** One x array (seconds) for every series; a series has `undefined` at the others' times, which uPlot spans. */
function align(series: readonly PlotSeries[]): uPlot.AlignedData {
  const all = new Set<number>();
  for (const s of series) for (const t of s.times) all.add(t);
  const xs = [...all].sort((a, b) => a - b);
  const at = new Map(xs.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const col: Array<number | undefined> = new Array(xs.length).fill(undefined);
    s.times.forEach((t, i) => {
      col[at.get(t) as number] = s.values[i];
    });
    return col;
  });
  return [xs.map((t) => t / 1e6), ...columns] as uPlot.AlignedData;
}

/**
 * The Explore chart: uPlot with one y-axis per unit (alternating sides), drag to zoom, a legend with the value
 * under the cursor and min/mean/max/last of what is shown (click a row to hide its line), and timeline bands
 * for states below, on the same time axis.
 */
export function Plot({ series, bands, startMs, endMs, height, onZoom, handle }: PlotProps) {
  const box = useRef<HTMLDivElement>(null);
  const bandCanvas = useRef<HTMLCanvasElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [cursorUs, setCursorUs] = useState<number | undefined>(undefined);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const cursorRef = useRef<number | undefined>(undefined);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  const summary = useMemo(() => series.map((s) => stats(s.values)), [series]);

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const text = cssVar('--muted', '#888');
    const grid = cssVar('--divider', 'rgba(127,127,127,.2)');
    const units = [...new Set(series.map((s) => s.unit))];
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    let frame = 0;
    const hover = (us: number | undefined): void => {
      cursorRef.current = us;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setCursorUs(us));
    };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: series.length > 0 ? height : 50,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 7 } },
      scales: {
        x: { time: true, range: () => [startMs / 1000, endMs / 1000] },
        ...Object.fromEntries(units.map((_, i) => [`y${i}`, { auto: true }])),
      },
      axes: [
        axis,
        ...units.map(
          (unit, i): uPlot.Axis => ({
            ...axis,
            scale: `y${i}`,
            side: i % 2 === 0 ? 3 : 1,
            grid: { ...axis.grid, show: i === 0 },
            label: unit || undefined,
            labelSize: unit ? 16 : 0,
            size: 52,
            values: (_u, splits) => splits.map((v) => num(v)),
          }),
        ),
      ],
      series: [
        {},
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            scale: `y${units.indexOf(s.unit)}`,
            stroke: s.color,
            width: s.dashed ? 1.25 : 1.75,
            ...(s.dashed ? { dash: [6, 4] } : {}),
            // uPlot marks the points itself where they are far enough apart to be seen (a sparse series).
            spanGaps: false,
          }),
        ),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 4 && zoom.current) {
              const a = u.posToVal(u.select.left, 'x');
              const b = u.posToVal(u.select.left + u.select.width, 'x');
              zoom.current(Math.round(a * 1000), Math.round(b * 1000));
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [
          (u) => {
            const left = u.cursor.left ?? -1;
            hover(left >= 0 ? u.posToVal(left, 'x') * 1e6 : undefined);
          },
        ],
        draw: [
          (u) => {
            if (bandCanvas.current) drawBands(bandCanvas.current, u, bands, endMs * 1000, cursorRef.current);
          },
        ],
      },
    };
    const u = new uPlot(opts, align(series), el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: opts.height }));
    ro.observe(el);
    handle?.({
      png: (title) =>
        chartPng(u, bands.length > 0 ? bandCanvas.current : null, title, [
          ...series.map((s, i) => {
            const st = summary[i];
            return {
              color: s.color,
              text: `${s.label}${s.unit ? ` (${s.unit})` : ''}: min ${num(st?.min)}, mean ${num(st?.mean)}, max ${num(st?.max)}, last ${num(st?.last)}`,
            };
          }),
          ...bands.map((b) => ({ color: b.color, text: `${b.label}: last ${b.states.at(-1) ?? '–'}` })),
        ]),
    });
    return () => {
      cancelAnimationFrame(frame);
      ro.disconnect();
      u.destroy();
      plot.current = null;
      handle?.(undefined);
    };
  }, [series, bands, startMs, endMs, height, handle, summary]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    series.forEach((s, i) => {
      u.setSeries(i + 1, { show: !hidden.has(s.key) });
    });
  }, [hidden, series]);

  useEffect(() => {
    const u = plot.current;
    if (u && bandCanvas.current && bands.length > 0) drawBands(bandCanvas.current, u, bands, endMs * 1000, cursorUs);
  }, [cursorUs, bands, endMs]);

  const onBandMove = (e: MouseEvent): void => {
    const u = plot.current;
    if (!u) return;
    const dpr = devicePixelRatio || 1;
    const x = (e.offsetX - u.bbox.left / dpr) / (u.bbox.width / dpr);
    const min = u.scales['x']?.min ?? 0;
    const max = u.scales['x']?.max ?? 1;
    cursorRef.current = x >= 0 && x <= 1 ? (min + x * (max - min)) * 1e6 : undefined;
    setCursorUs(cursorRef.current);
  };
  const toggle = (key: string): void =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <div class="plot">
      <div class="chart" ref={box} />
      {bands.length > 0 && (
        <canvas class="bands" ref={bandCanvas} onMouseMove={onBandMove} onMouseLeave={() => setCursorUs(undefined)} />
      )}
      <div class="scroll">
        <table class="legend">
          <thead>
            <tr>
              <th>Entity</th>
              <th class="num" title="the value nearest to the cursor">
                {cursorUs === undefined ? 'At cursor' : new Date(cursorUs / 1000).toLocaleString()}
              </th>
              <th class="num">Min</th>
              <th class="num">Mean</th>
              <th class="num">Max</th>
              <th class="num">Last</th>
            </tr>
          </thead>
          <tbody>
            {series.map((s, i) => {
              const st = summary[i];
              const at = cursorUs === undefined ? -1 : nearest(s.times, cursorUs);
              return (
                <tr
                  key={s.key}
                  data-series={s.key}
                  class={hidden.has(s.key) ? 'off' : ''}
                  onClick={() => toggle(s.key)}
                  title="click to hide or show"
                >
                  <td>
                    <span class={`swatch${s.dashed ? ' dashed' : ''}`} style={{ borderColor: s.color }} />
                    {s.label}
                    {s.unit && <span class="muted"> {s.unit}</span>}
                  </td>
                  <td class="num hover">{at >= 0 ? num(s.values[at]) : '–'}</td>
                  <td class="num">{num(st?.min)}</td>
                  <td class="num">{num(st?.mean)}</td>
                  <td class="num">{num(st?.max)}</td>
                  <td class="num">{num(st?.last)}</td>
                </tr>
              );
            })}
            {bands.map((b) => {
              const at = cursorUs === undefined ? -1 : before(b.times, cursorUs);
              return (
                <tr key={b.key} data-band={b.key}>
                  <td>
                    <span class="swatch band" style={{ background: b.color }} />
                    {b.label}
                  </td>
                  <td class="num hover">{at >= 0 ? b.states[at] : '–'}</td>
                  <td class="muted" colSpan={3}>
                    {b.times.length} {b.times.length === 1 ? 'change' : 'changes'} shown
                  </td>
                  <td class="num">{b.states.at(-1) ?? '–'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
