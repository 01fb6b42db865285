import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { EXPLORE_MAX_ENTITIES, type ExploreCatalog, type ExploreResult } from '../../src/api-types.js';
import { count } from '../../src/overview/format.js';
import { spanText } from '../../src/explore/time.js';
import { exploreCsv } from '../explore/csv.js';
import { download, exportName } from '../explore/export.js';
import { EntityPicker } from '../explore/picker.js';
import type { PlotBand } from '../explore/bands.js';
import { Plot, type PlotHandle } from '../explore/plot.js';
import { PALETTE, type PlotSeries } from '../explore/series.js';
import { formatSelection, parseSelection, resolveRange, type Selection } from '../explore/selection.js';
import { LAST_CHART, remember, remembered } from '../explore/storage.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Notice, Problems } from '../ui.js';
import { ChartControls } from '../explore/controls.js';
import { QueryConsoleView } from './query.js';

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
        <ChartControls
          sel={sel}
          range={range}
          update={update}
          ready={ready}
          exportable={data !== undefined}
          onRefresh={() => setTick((t) => t + 1)}
          onCsv={saveCsv}
          onPng={() => void savePng()}
        />
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
