import { useMemo, useState } from 'preact/hooks';
import type { Entities, ImportStatus, ImportView as ImportResponse } from '../../src/api-types.js';
import { count } from '../../src/overview/format.js';
import { api, boot } from '../api.js';
import { useApi } from '../hooks.js';
import { EntityChoice, Facts, ProgressBar, when } from '../progress.js';
import { Card, ErrorBanner, Loading } from '../ui.js';

const PRESETS = [1, 7, 30, 90, 365];

const STATE_TEXT: Record<ImportStatus['state'], string> = {
  off: 'No import has run.',
  pending: 'Waiting to run (it starts as soon as the ingestor is connected to Home Assistant).',
  running: 'Importing…',
  done: 'Done.',
  failed: 'Stopped by an error; it resumes on the next connection to Home Assistant, or start it again.',
  cancelled: 'Cancelled. What was imported stays.',
};

/** View 5: import Home Assistant's recorder history (a range, all or some entities), with progress, ETA and the result. */
export function ImportView() {
  const { data, error, reload } = useApi<ImportResponse>('api/import', 1000);
  const entities = useApi<Entities>('api/entities');
  const [days, setDays] = useState(7);
  const [all, setAll] = useState(true);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const ids = useMemo(() => (entities.data?.entities ?? []).map((e) => e.entityId).sort(), [entities.data]);

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
          <EntityChoice
            ids={ids}
            all={all}
            setAll={setAll}
            picked={picked}
            setPicked={setPicked}
            listId="import-entities"
          >
            {entities.error && <p class="error">{entities.error}</p>}
            {ids.length === 0 && !entities.error && <p class="muted">No entity has been recorded yet.</p>}
          </EntityChoice>
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
          {s.state !== 'off' && (
            <ProgressBar
              progress={s.progress}
              fill={s.state}
              running={s.state === 'running'}
              etaSeconds={s.etaSeconds}
              label="import progress"
              idPrefix="import"
            >
              <span class="muted">{count(s.points)} new points written</span>
            </ProgressBar>
          )}
          {s.lastError && <p class="error">{s.lastError}</p>}
          {s.state !== 'off' && (
            <Facts
              id="import-result"
              facts={[
                { dt: 'Range', dd: `last ${s.days} ${s.days === 1 ? 'day' : 'days'}` },
                { dt: 'From', dd: when(s.from) },
                { dt: 'To', dd: when(s.to) },
                { dt: 'Reached', dd: when(s.reached) },
                { dt: 'Entities', dd: s.entities ? count(s.entities.length) : 'all' },
                { dt: 'New points written', dd: count(s.points), data: ['points', String(s.points)] },
                { dt: 'Started by', dd: s.origin === 'option' ? 'the history_import_days option' : 'the panel' },
                { dt: 'Finished', dd: when(s.completedAt) },
              ]}
            />
          )}
        </Card>
      </div>
    </>
  );
}
