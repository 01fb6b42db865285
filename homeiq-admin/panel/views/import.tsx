import { useMemo, useState } from 'preact/hooks';
import type { Entities, ImportStatus, ImportView as ImportResponse } from '../../src/api-types.js';
import { count } from '../../src/overview/format.js';
import { api, boot } from '../api.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Loading } from '../ui.js';

const PRESETS = [1, 7, 30, 90, 365];
const SHOWN = 200;

const STATE_TEXT: Record<ImportStatus['state'], string> = {
  off: 'No import has run.',
  pending: 'Waiting to run (it starts as soon as the ingestor is connected to Home Assistant).',
  running: 'Importing…',
  done: 'Done.',
  failed: 'Stopped by an error; it resumes on the next connection to Home Assistant, or start it again.',
  cancelled: 'Cancelled. What was imported stays.',
};

function duration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const when = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

function Progress({ s }: { s: ImportStatus }) {
  const pct = Math.round(s.progress * 1000) / 10;
  return (
    <>
      <div
        class="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-label="import progress"
      >
        <span class={`progress-fill ${s.state}`} style={{ width: `${pct}%` }} />
      </div>
      <p id="import-progress" class="summary">
        <strong>{pct}%</strong>
        {s.state === 'running' && (
          <span id="import-eta">
            {s.etaSeconds !== undefined ? `about ${duration(s.etaSeconds)} left` : 'estimating the time left…'}
          </span>
        )}
        <span class="muted">{count(s.points)} new points written</span>
      </p>
    </>
  );
}

/** View 5: import Home Assistant's recorder history (a range, all or some entities), with progress, ETA and the result. */
export function ImportView() {
  const { data, error, reload } = useApi<ImportResponse>('api/import', 1000);
  const entities = useApi<Entities>('api/entities');
  const [days, setDays] = useState(7);
  const [all, setAll] = useState(true);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [filter, setFilter] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const ids = useMemo(() => (entities.data?.entities ?? []).map((e) => e.entityId).sort(), [entities.data]);
  const shown = useMemo(
    () => ids.filter((id) => id.includes(filter.trim().toLowerCase())).slice(0, SHOWN),
    [ids, filter],
  );

  const start = async (): Promise<void> => {
    if (!all && picked.size === 0) return setMessage('Pick at least one entity, or import all of them.');
    setBusy(true);
    try {
      await api<ImportResponse>('api/import', {
        method: 'POST',
        body: all ? { days } : { days, entities: [...picked].sort() },
      });
      setMessage(`Import of the last ${days} days started (${all ? 'all entities' : `${picked.size} entities`}).`);
      reload();
    } catch (err) {
      setMessage((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async (): Promise<void> => {
    setBusy(true);
    try {
      const r = await api<{ cancelled: boolean }>('api/import', { method: 'DELETE' });
      setMessage(r.cancelled ? 'Import cancelled.' : 'No import was running.');
      reload();
    } catch (err) {
      setMessage((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (id: string): void => {
    const next = new Set(picked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setPicked(next);
  };

  if (!data) return error ? <ErrorBanner error={error} /> : <Loading what="the history import" />;
  const s = data.import;
  const active = s.state === 'running' || s.state === 'pending';
  return (
    <>
      <ErrorBanner error={error} />
      {message && (
        <div class="banner" role="status" id="import-message">
          {message}
        </div>
      )}
      <div class="grid">
        <Card title="Import Home Assistant's history">
          <p class="hint">
            Copies what Home Assistant's recorder kept (every change, with attributes) into InfluxDB, at the original
            times. Points InfluxDB already holds are skipped, and any point lands on its own timestamp, so an import
            never duplicates anything. Home Assistant keeps history for its <code>purge_keep_days</code> (10 by
            default): older days have nothing to import.
          </p>
          <h3>Range</h3>
          <fieldset class="ranges" aria-label="range">
            {PRESETS.map((d) => (
              <button
                type="button"
                key={d}
                class={d === days ? 'active' : ''}
                onClick={() => setDays(d)}
                aria-pressed={d === days}
              >
                {d === 1 ? '1 day' : `${d} days`}
              </button>
            ))}
            <label class="inline">
              last{' '}
              <input
                type="number"
                min={1}
                max={3650}
                value={days}
                aria-label="days"
                onInput={(e) =>
                  setDays(Math.max(1, Math.min(3650, Math.round(Number((e.target as HTMLInputElement).value) || 1))))
                }
              />{' '}
              days
            </label>
          </fieldset>
          <h3>Entities</h3>
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
              <div class="states" id="import-entities">
                {entities.error && <p class="error">{entities.error}</p>}
                {shown.map((id) => (
                  <label key={id} class="pick">
                    <input type="checkbox" checked={picked.has(id)} onChange={() => toggle(id)} /> <code>{id}</code>
                  </label>
                ))}
                {ids.length === 0 && !entities.error && <p class="muted">No entity has been recorded yet.</p>}
              </div>
            </>
          )}
          <div class="filters">
            <button
              type="button"
              class="active"
              onClick={() => void start()}
              disabled={!boot.csrf || busy || (!all && picked.size === 0)}
            >
              {active ? 'Restart import' : 'Start import'}
            </button>
            <button type="button" onClick={() => void cancel()} disabled={!boot.csrf || busy || !active}>
              Cancel
            </button>
          </div>
          {!boot.csrf && (
            <p class="hint">Open HomeIQ from the Home Assistant sidebar as an administrator to start an import.</p>
          )}
        </Card>
        <Card title="Progress" class={`import-state ${s.state}`}>
          <p id="import-state" data-state={s.state} class="reason">
            {STATE_TEXT[s.state]}
            {!data.connected && s.state !== 'off' && s.state !== 'done'
              ? ' The ingestor is not connected to Home Assistant right now.'
              : ''}
          </p>
          {s.state !== 'off' && <Progress s={s} />}
          {s.lastError && <p class="error">{s.lastError}</p>}
          {s.state !== 'off' && (
            <dl class="facts" id="import-result">
              <div>
                <dt>Range</dt>
                <dd>
                  last {s.days} {s.days === 1 ? 'day' : 'days'}
                </dd>
              </div>
              <div>
                <dt>From</dt>
                <dd>{when(s.from)}</dd>
              </div>
              <div>
                <dt>To</dt>
                <dd>{when(s.to)}</dd>
              </div>
              <div>
                <dt>Reached</dt>
                <dd>{when(s.reached)}</dd>
              </div>
              <div>
                <dt>Entities</dt>
                <dd>{s.entities ? count(s.entities.length) : 'all'}</dd>
              </div>
              <div>
                <dt>New points written</dt>
                <dd data-points={s.points}>{count(s.points)}</dd>
              </div>
              <div>
                <dt>Started by</dt>
                <dd>{s.origin === 'option' ? 'the history_import_days option' : 'the panel'}</dd>
              </div>
              <div>
                <dt>Finished</dt>
                <dd>{when(s.completedAt)}</dd>
              </div>
            </dl>
          )}
        </Card>
      </div>
    </>
  );
}
