import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartProps {
  times: number[];
  values: Array<number | null>;
  label: string;
  height: number;
  /** A small chart without axes (the overview's events/s). */
  spark?: boolean;
  unit?: string | undefined;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** uPlot in a Preact component: created once per shape, data swapped in place, width follows the container. */
export function Chart({ times, values, label, height, spark, unit }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const accent = cssVar('--accent') || '#03a9f4';
    const grid = cssVar('--divider') || 'rgba(127,127,127,.2)';
    const text = cssVar('--muted') || '#888';
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: !spark },
      cursor: spark ? { show: false } : { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: spark
        ? [{ show: false }, { show: false }]
        : [
            axis,
            { ...axis, size: unit ? 72 : 56, values: (_u, ticks) => ticks.map((v) => `${v}${unit ? ` ${unit}` : ''}`) },
          ],
      series: [{}, { label, stroke: accent, width: 2, fill: `${accent}22`, spanGaps: false, points: { show: false } }],
    };
    const u = new uPlot(opts, [times, values], el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [height, spark, label, unit]);

  useEffect(() => {
    plot.current?.setData([times, values]);
  }, [times, values]);

  return <div class={spark ? 'chart spark' : 'chart'} ref={box} />;
}
