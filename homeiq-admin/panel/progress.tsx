import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { duration } from '../src/overview/format.js';

/**
 * Pieces the History import and Migrate views share: the progress bar with the time left, the list of facts
 * under it, and the choice of all entities or some of them.
 */

/** `when` for a fact: local date and time, or a dash. */
export const when = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

/**
 * The bar (0…1), then the percentage, the time left while `running` (estimating until `etaSeconds` is known), and
 * `children` (counts).
 */
export function ProgressBar({
  progress,
  fill,
  running,
  etaSeconds,
  label,
  idPrefix,
  children,
}: {
  progress: number;
  /** `done`, `failed` or `cancelled` colour the bar. */
  fill: string;
  running: boolean;
  etaSeconds: number | undefined;
  label: string;
  idPrefix: string;
  children?: ComponentChildren;
}) {
  const pct = Math.round(progress * 1000) / 10;
  return (
    <>
      <div
        class="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-label={label}
      >
        <span class={`progress-fill ${fill}`} style={{ width: `${pct}%` }} />
      </div>
      <p id={`${idPrefix}-progress`} class="summary">
        <strong>{pct}%</strong>
        {running && (
          <span id={`${idPrefix}-eta`}>
            {etaSeconds !== undefined ? `about ${duration(etaSeconds)} left` : 'estimating the time left…'}
          </span>
        )}
        {children}
      </p>
    </>
  );
}

export interface Fact {
  dt: string;
  dd: ComponentChildren;
  /** `data-*` attribute of the value, e.g. `['count', 'written']`. */
  data?: [string, string];
  id?: string;
}

export function Facts({ id, facts }: { id: string; facts: Array<Fact | false | undefined> }) {
  return (
    <dl class="facts" id={id}>
      {facts.map(
        (f) =>
          f && (
            <div key={f.dt}>
              <dt>{f.dt}</dt>
              <dd id={f.id} {...(f.data ? { [`data-${f.data[0]}`]: f.data[1] } : {})}>
                {f.dd}
              </dd>
            </div>
          ),
      )}
    </dl>
  );
}

const SHOWN = 200;

/**
 * All entities, or the ones picked from a list filtered by text (the first SHOWN matches). `detail` is shown after
 * an id (e.g. the measurements it is in); at most `max` may be picked.
 */
export function EntityChoice({
  ids,
  all,
  setAll,
  picked,
  setPicked,
  listId,
  max = Number.POSITIVE_INFINITY,
  detail,
  children,
}: {
  ids: readonly string[];
  all: boolean;
  setAll: (all: boolean) => void;
  picked: ReadonlySet<string>;
  setPicked: (picked: Set<string>) => void;
  listId: string;
  max?: number;
  detail?: (id: string) => string | undefined;
  /** Shown in the list above the entities (an error, or that there is none). */
  children?: ComponentChildren;
}) {
  const [filter, setFilter] = useState('');
  const shown = useMemo(
    () => ids.filter((id) => id.includes(filter.trim().toLowerCase())).slice(0, SHOWN),
    [ids, filter],
  );
  const toggle = (id: string): void => {
    const next = new Set(picked);
    if (next.has(id)) next.delete(id);
    else if (next.size < max) next.add(id);
    setPicked(next);
  };
  return (
    <>
      <div class="choice" role="radiogroup" aria-label="entities">
        <label>
          <input type="radio" name="which" checked={all} onChange={() => setAll(true)} /> all
        </label>
        <label>
          <input type="radio" name="which" checked={!all} onChange={() => setAll(false)} /> selected ({picked.size})
        </label>
      </div>
      {!all && (
        <>
          <input
            class="search"
            type="search"
            placeholder="Filter entities"
            aria-label="filter entities"
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          />
          <div class="states" id={listId}>
            {children}
            {shown.map((id) => (
              <label key={id} class="pick">
                <input type="checkbox" checked={picked.has(id)} onChange={() => toggle(id)} /> <code>{id}</code>
                {detail?.(id) && <span class="muted small"> {detail(id)}</span>}
              </label>
            ))}
          </div>
        </>
      )}
    </>
  );
}
