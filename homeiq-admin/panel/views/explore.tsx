import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  EXPLORE_MAX_ENTITIES,
  type ExploreCatalog,
  type ExploreResult,
  type ExploreSource,
} from '../../src/api-types.js';
import { count } from '../../src/overview/format.js';
import { spanText } from '../../src/explore/time.js';
import { download, exploreCsv, exportName } from '../explore/export.js';
import { EntityPicker } from '../explore/picker.js';
import type { PlotBand } from '../explore/bands.js';
import { PALETTE, Plot, type PlotHandle, type PlotSeries } from '../explore/plot.js';
import { formatSelection, parseSelection, QUICK_RANGES, resolveRange, type Selection } from '../explore/selection.js';
import { LAST_CHART, remember, remembered } from '../explore/storage.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Notice, Problems } from '../ui.js';
import { QueryConsoleView } from './query.js';

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

interface Route {
  sub: 'chart' | 'query';
  query: string;
}

function readRoute(): Route {
  const m = /^#\/explore(\/query)?(?:\?(.*))?$/.exec(location.hash);
  return { sub: m?.[1] ? 'query' : 'chart', query: m?.[2] ?? '' };
}

/**
 * Explore: a chart of any entities over any range (the selection lives in the fragment, so it can be
 * bookmarked), and the read-only query console.
 */
export function ExploreView() {
  const [route, setRoute] = useState(readRoute);
  const lastChart = useRef(route.sub === 'chart' ? route.query : '');
  if (route.sub === 'chart') lastChart.current = route.query;
  useEffect(() => {
    const on = (): void => setRoute(readRoute());
    addEventListener('hashchange', on);
    addEventListener('popstate', on);
    return () => {
      removeEventListener('hashchange', on);
      removeEventListener('popstate', on);
    };
  }, []);
  /** Changes the fragment without a page event; `push` keeps the previous one in the history (Back undoes it). */
  const navigate = useCallback((hash: string, push = false): void => {
    if (location.hash === hash) return;
    if (push) history.pushState(null, '', hash);
    else history.replaceState(null, '', hash);
    setRoute(readRoute());
  }, []);
  const chartHref = `#/explore${lastChart.current ? `?${lastChart.current}` : ''}`;
  return (
    <>
      <nav class="subtabs" aria-label="Explore">
        <a href={chartHref} aria-current={route.sub === 'chart' ? 'page' : undefined}>
          Chart
        </a>
        <a href="#/explore/query" aria-current={route.sub === 'query' ? 'page' : undefined}>
          Query console
        </a>
      </nav>
      {route.sub === 'query' ? (
        <QueryConsoleView query={route.query} navigate={navigate} />
      ) : (
        <ExploreChart query={route.query} navigate={navigate} />
      )}
    </>
  );
}

function ExploreChart({ query, navigate }: { query: string; navigate: (hash: string, push?: boolean) => void }) {
  const catalog = useApi<ExploreCatalog>('api/explore/entities', 60_000);
  const sel = useMemo(() => parseSelection(query), [query]);
  const update = (next: Partial<Selection>, push = false): void =>
    navigate(`#/explore?${formatSelection({ ...sel, ...next })}`, push);
  // Home Assistant opens the panel without a fragment: Explore comes back to the last chart shown here.
  useEffect(() => {
    if (query === '') {
      const last = remembered(LAST_CHART);
      if (last) navigate(`#/explore?${last}`);
    } else if (sel.entities.length > 0) remember(LAST_CHART, formatSelection(sel));
  }, [query, sel, navigate]);
  const area = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = area.current;
    if (!el) return undefined;
    // Whole 50 px steps, so that a scrollbar appearing does not ask for the chart again.
    const measure = (): void => setWidth(Math.max(100, Math.round(el.clientWidth / 50) * 50));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const [tick, setTick] = useState(0);
  const known = useMemo(() => new Map((catalog.data?.entities ?? []).map((e) => [e.entityId, e])), [catalog.data]);
  const firsts = sel.entities.map((id) => known.get(id)?.first).filter((f): f is number => f !== undefined);
  const first = firsts.length > 0 ? Math.min(...firsts) : undefined;
  const range = useMemo(() => resolveRange(sel.range, Date.now(), first), [sel.range, first, tick]);
  const ready = sel.entities.length > 0 && width > 0 && (sel.range !== 'all' || catalog.data !== undefined);
  const path = ready
    ? `api/explore?entities=${sel.entities.join(',')}&start=${range.start}&end=${range.end}&width=${width}&source=${sel.source}&every=${encodeURIComponent(sel.every)}${sel.compare ? '&compare=1' : ''}`
    : undefined;
  const result = useApi<ExploreResult>(path);
  const data = ready ? result.data : undefined;
  const colorOf = useCallback(
    (id: string): string => PALETTE[Math.max(0, sel.entities.indexOf(id)) % PALETTE.length] as string,
    [sel.entities],
  );
  const label = useCallback((id: string): string => known.get(id)?.name ?? id, [known]);
  const { series, bands } = useMemo(() => {
    const s: PlotSeries[] = [];
    const b: PlotBand[] = [];
    for (const x of data?.series ?? []) {
      const base = { label: label(x.entityId), unit: x.unit ?? '', color: colorOf(x.entityId) };
      s.push({ key: x.entityId, ...base, times: x.times, values: x.values });
      const prev = data?.previous?.series.find((p) => p.entityId === x.entityId);
      if (prev && data?.previous) {
        s.push({
          key: `${x.entityId} previous`,
          ...base,
          label: `${base.label} (${spanText(data.previous.shiftMs)} earlier)`,
          times: prev.times,
          values: prev.values,
          dashed: true,
        });
      }
    }
    for (const x of data?.bands ?? [])
      b.push({
        key: x.entityId,
        label: label(x.entityId),
        color: colorOf(x.entityId),
        times: x.times,
        states: x.states,
      });
    return { series: s, bands: b };
  }, [data, label, colorOf]);
  const handle = useRef<PlotHandle | undefined>(undefined);
  const setHandle = useCallback((h: PlotHandle | undefined) => {
    handle.current = h;
  }, []);
  const [exportError, setExportError] = useState<string | undefined>();
  const savePng = async (): Promise<void> => {
    if (!handle.current || !data) return;
    try {
      const title = `HomeIQ · ${new Date(data.start).toLocaleString()} – ${new Date(data.end).toLocaleString()} · ${data.plan.label}`;
      download(await handle.current.png(title), exportName(data.start, data.end, 'png'));
    } catch (err) {
      setExportError((err as Error).message);
    }
  };
  const saveCsv = (): void => {
    if (data) download(new Blob([exploreCsv(data)], { type: 'text/csv' }), exportName(data.start, data.end, 'csv'));
  };
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
  const points = series.reduce((n, s) => n + s.times.length, 0);
  const notes = [
    ...(data?.series ?? []).flatMap((s) => s.notes.map((n) => `${label(s.entityId)}: ${n}`)),
    ...(data?.bands ?? [])
      .filter((b) => b.truncated)
      .map((b) => `${label(b.entityId)}: only the first ${count(b.times.length)} changes; choose a window`),
  ];

  return (
    <>
      <ErrorBanner error={catalog.error} />
      <Notice id="elsewhere" text={catalog.data?.elsewhere} />
      <Problems problems={catalog.data?.problems.filter((p) => p.what !== 'area names')} />
      <Card class="explore">
        <EntityPicker
          entities={catalog.data?.entities ?? []}
          selected={sel.entities}
          colorOf={colorOf}
          max={EXPLORE_MAX_ENTITIES}
          onChange={(entities) => update({ entities })}
        />
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
              <input
                type="datetime-local"
                value={from}
                onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
              />
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
          <button type="button" onClick={() => setTick((t) => t + 1)} disabled={!ready}>
            Refresh
          </button>
          <button type="button" onClick={saveCsv} disabled={!data}>
            CSV
          </button>
          <button type="button" onClick={() => void savePng()} disabled={!data}>
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
        <ErrorBanner error={result.error ?? exportError} />
        <div ref={area} class="plot-area">
          {sel.entities.length === 0 ? (
            <p class="muted hint">
              Search for entities above and pick any number; each unit gets its own axis, states without a number become
              a timeline. Drag across the chart to zoom in.
            </p>
          ) : data ? (
            <>
              <p
                class="muted source"
                id="explore-plan"
                data-source={data.plan.source}
                data-every={data.plan.every ?? ''}
                data-points={points}
              >
                {result.loading ? 'Updating… ' : ''}
                {`From ${data.plan.label}. ${count(points)} points in ${count(data.tookMs)} ms.`}
              </p>
              {notes.length > 0 && (
                <ul class="notes small muted">
                  {notes.map((n) => (
                    <li key={n}>{n}</li>
                  ))}
                </ul>
              )}
              <Plot
                series={series}
                bands={bands}
                startMs={data.start}
                endMs={data.end}
                height={320}
                onZoom={(a, b) => update({ range: { from: a, to: b } }, true)}
                handle={setHandle}
              />
            </>
          ) : (
            !result.error && <p class="muted loading">Loading the chart…</p>
          )}
        </div>
      </Card>
    </>
  );
}
