import { useEffect, useState } from 'preact/hooks';
import type { ExploreSource } from '../../src/api-types.js';
import { QUICK_RANGES, type Selection } from './selection.js';

const SOURCES: Array<[ExploreSource, string]> = [
  ['auto', 'automatic'],
  ['raw', 'raw points'],
  ['5m', '5-minute summaries'],
  ['1h', 'hourly summaries'],
];
const WINDOWS: Array<[string, string]> = [
  ['auto', 'automatic'],
  ['none', 'none (stored points)'],
  ['1m', '1 minute'],
  ['5m', '5 minutes'],
  ['15m', '15 minutes'],
  ['1h', '1 hour'],
  ['6h', '6 hours'],
  ['1d', '1 day'],
  ['7d', '7 days'],
];

/** `datetime-local` text for Unix ms, in the browser's time zone. */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export interface ChartControlsProps {
  sel: Selection;
  /** The range shown, Unix ms. */
  range: { start: number; end: number };
  /** Changes the selection; `push` keeps the previous one in the history (Back undoes it). */
  update: (next: Partial<Selection>, push?: boolean) => void;
  /** A chart can be asked for (entities picked, width known). */
  ready: boolean;
  /** A chart is shown, so it can be saved. */
  exportable: boolean;
  onRefresh: () => void;
  onCsv: () => void;
  onPng: () => void;
}

/** The chart's toolbars: quick ranges, dates, zoom out; data source, window, compare; refresh, export, link. */
export function ChartControls({ sel, range, update, ready, exportable, onRefresh, onCsv, onPng }: ChartControlsProps) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  useEffect(() => {
    setFrom(localInput(range.start));
    setTo(localInput(range.end));
  }, [range.start, range.end]);
  const applyDates = (e: Event): void => {
    e.preventDefault();
    const a = new Date(from).getTime();
    const b = new Date(to).getTime();
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) update({ range: { from: a, to: b } }, true);
  };
  const zoomOut = (): void => {
    const span = range.end - range.start;
    const end = Math.min(Date.now(), range.end + span / 2);
    update({ range: { from: Math.round(end - 2 * span), to: Math.round(end) } }, true);
  };
  return (
    <>
      <div class="toolbar">
        <fieldset class="ranges" aria-label="range">
          {QUICK_RANGES.map((r) => (
            <button
              type="button"
              key={r}
              class={r === sel.range ? 'active' : ''}
              aria-pressed={r === sel.range}
              onClick={() => update({ range: r })}
            >
              {r}
            </button>
          ))}
        </fieldset>
        <form class="dates" onSubmit={applyDates}>
          <label>
            From{' '}
            <input type="datetime-local" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            To <input type="datetime-local" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Show</button>
          <button type="button" onClick={zoomOut} disabled={sel.entities.length === 0}>
            Zoom out
          </button>
        </form>
      </div>
      <div class="toolbar">
        <label>
          Data{' '}
          <select
            value={sel.source}
            aria-label="data source"
            onChange={(e) => update({ source: (e.target as HTMLSelectElement).value as ExploreSource })}
          >
            {SOURCES.map(([v, t]) => (
              <option key={v} value={v}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Window{' '}
          <select
            value={sel.every}
            aria-label="aggregation window"
            onChange={(e) => update({ every: (e.target as HTMLSelectElement).value })}
          >
            {[
              ...WINDOWS,
              ...(WINDOWS.some(([v]) => v === sel.every) ? [] : [[sel.every, sel.every] as [string, string]]),
            ].map(([v, t]) => (
              <option key={v} value={v}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={sel.compare}
            onChange={(e) => update({ compare: (e.target as HTMLInputElement).checked })}
          />
          Compare with the previous period
        </label>
        <span class="spacer" />
        <button type="button" onClick={onRefresh} disabled={!ready}>
          Refresh
        </button>
        <button type="button" onClick={onCsv} disabled={!exportable}>
          CSV
        </button>
        <button type="button" onClick={onPng} disabled={!exportable}>
          PNG
        </button>
        <a
          class="button"
          href={location.href}
          target="_blank"
          rel="noopener"
          id="explore-link"
          title="this chart's own address: open it in a new tab to bookmark or share it"
        >
          Link to this chart
        </a>
      </div>
    </>
  );
}
