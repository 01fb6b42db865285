import { useMemo, useState } from 'preact/hooks';
import { RANGES, type Entities, type RangeName, type Series } from '../../src/api-types.js';
import { ago, count } from '../../src/overview/format.js';
import { Chart } from '../chart.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Loading, Notice } from '../ui.js';

/** Values of the area select that no area id can take (ids are slugs: `[a-z0-9_]`). */
const ALL = '*';
const NONE = '-';

function Detail({ entityId }: { entityId: string }) {
  const [range, setRange] = useState<RangeName>('24h');
  const { data, error, loading } = useApi<Series>(`api/series?entity=${encodeURIComponent(entityId)}&range=${range}`);
  const current = data && data.entityId === entityId && data.range === range ? data : undefined;
  return (
    <Card class="detail" title={entityId}>
      <fieldset class="ranges" aria-label="range">
        {RANGES.map((r) => (
          <button
            type="button"
            key={r}
            class={r === range ? 'active' : ''}
            aria-pressed={r === range}
            onClick={() => setRange(r)}
          >
            {r}
          </button>
        ))}
      </fieldset>
      <ErrorBanner error={error} />
      {!current ? (
        <Loading what="the history" />
      ) : (
        <>
          <p class="muted source" data-bucket={current.source.bucket}>
            {loading ? 'Updating… ' : ''}From <strong>{current.source.bucket}</strong> ({current.source.field}
            {current.source.aggregate ? `, ${current.source.aggregate}` : ''}), {count(current.times.length)} points.
            {current.source.note ? ` ${current.source.note}.` : ''}{' '}
            <a href={`#/explore?e=${entityId}&r=${range}`}>Open in Explore</a> to compare it with others or look further
            back.
          </p>
          {current.times.length > 0 ? (
            <Chart times={current.times} values={current.values} label={entityId} height={260} unit={current.unit} />
          ) : current.states.length > 0 ? (
            <div class="scroll states">
              <table>
                <tbody>
                  {current.states.map((s) => (
                    <tr key={s.time}>
                      <td title={s.time}>{new Date(s.time).toLocaleString()}</td>
                      <td>{s.state}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p class="muted">No data in this range.</p>
          )}
        </>
      )}
    </Card>
  );
}

export function EntitiesView() {
  const { data, error } = useApi<Entities>('api/entities', 30_000);
  const [q, setQ] = useState('');
  const [area, setArea] = useState(ALL);
  const [selected, setSelected] = useState<string | undefined>(
    () => decodeURIComponent(location.hash.split('/')[2] ?? '') || undefined,
  );
  // Option values stay area ids (what the points carry, stable across renames); the labels are the names.
  const areas = useMemo(() => {
    const names = new Map<string, string>();
    for (const e of data?.entities ?? []) if (e.area) names.set(e.area, e.areaName ?? e.area);
    return [...names].sort(([, a], [, b]) => a.localeCompare(b));
  }, [data]);
  const rows = useMemo(() => {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    return (data?.entities ?? []).filter(
      (e) =>
        (area === ALL || (area === NONE ? !e.area : e.area === area)) &&
        words.every((w) =>
          `${e.entityId} ${e.areaName ?? ''} ${e.area ?? ''} ${e.lastState}`.toLowerCase().includes(w),
        ),
    );
  }, [data, q, area]);
  const select = (id: string): void => {
    setSelected(id);
    history.replaceState(null, '', `#/entities/${encodeURIComponent(id)}`);
  };
  if (!data) return error ? <ErrorBanner error={error} /> : <Loading what="entities" />;
  return (
    <>
      <ErrorBanner error={error} />
      <Notice id="elsewhere" text={data.elsewhere} />
      {selected && <Detail entityId={selected} />}
      <Card title={`Entities (changed in the last ${data.window})`}>
        <div class="filters">
          <select value={area} onChange={(e) => setArea((e.target as HTMLSelectElement).value)} aria-label="area">
            <option value={ALL}>all areas</option>
            {areas.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
            <option value={NONE}>no area</option>
          </select>
          <input
            type="search"
            placeholder="entity, area or value"
            value={q}
            onInput={(e) => setQ((e.target as HTMLInputElement).value)}
            aria-label="search entities"
          />
        </div>
        <div class="scroll">
          <table id="entities" class="clickable">
            <thead>
              <tr>
                <th>Entity</th>
                <th class="hide-sm">Domain</th>
                <th
                  class="hide-sm"
                  title="the area's name in Home Assistant (its id, which the points carry, on hover)"
                >
                  Area
                </th>
                <th>Last value</th>
                <th>Last change</th>
                <th class="num">Events</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr
                  key={e.entityId}
                  class={e.entityId === selected ? 'selected' : ''}
                  onClick={() => select(e.entityId)}
                  data-entity={e.entityId}
                >
                  <td>
                    <a href={`#/entities/${encodeURIComponent(e.entityId)}`} onClick={(ev) => ev.preventDefault()}>
                      {e.entityId}
                    </a>
                    {e.area && <div class="small muted show-sm">{e.areaName ?? e.area}</div>}
                  </td>
                  <td class="hide-sm">{e.domain}</td>
                  <td class="area hide-sm" title={e.area}>
                    {e.area ? (e.areaName ?? e.area) : <span class="muted">–</span>}
                  </td>
                  <td>
                    {e.lastState}
                    {e.unit ? ` ${e.unit}` : ''}
                  </td>
                  <td title={e.lastChange}>{ago(e.lastChange)}</td>
                  <td class="num">{count(e.events)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="muted">
          {rows.length} of {data.entities.length} entities.
          {/* Area names are a nicety: without them the view works on ids, so say so quietly instead of a red banner. */}
          {data.problems.map((p) => (
            <span key={`${p.sibling}-${p.what}`} data-problem={p.what}>
              {' '}
              Could not read the {p.what}: {p.why}.
            </span>
          ))}
        </p>
      </Card>
    </>
  );
}
