import { useState } from 'preact/hooks';
import type { BucketRow, Storage, TaskRow, TaskRunResult } from '../../src/api-types.js';
import { ago, bytes, count, days } from '../../src/overview/format.js';
import { api, boot } from '../api.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Loading, Notice, Problems } from '../ui.js';

function RetentionEditor({ b, onDone }: { b: BucketRow; onDone: (msg: string) => void }) {
  const [value, setValue] = useState(String(b.retentionDays));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const updated = await api<BucketRow>(`api/buckets/${encodeURIComponent(b.name)}`, {
        method: 'PATCH',
        body: { retentionDays: Number(value) },
      });
      onDone(
        `${b.name} now keeps data ${days(updated.retentionDays)} (until the next start of HomeIQ InfluxDB; set the option to keep it)`,
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline" onSubmit={save}>
      <input
        type="number"
        min={0}
        max={36500}
        step={1}
        value={value}
        aria-label={`retention of ${b.name} in days`}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        disabled={!boot.csrf || busy}
      />
      <span class="muted">days</span>
      <button type="submit" disabled={!boot.csrf || busy || value === String(b.retentionDays)}>
        {busy ? 'Saving…' : 'Save'}
      </button>
      {error && <span class="error">{error}</span>}
    </form>
  );
}

/** Deletes a bucket HomeIQ no longer uses; asks once more before it does, since the data goes with it. */
function DeleteBucket({ b, onDone }: { b: BucketRow; onDone: (msg: string) => void }) {
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const remove = async (): Promise<void> => {
    setBusy(true);
    try {
      await api(`api/buckets/${encodeURIComponent(b.name)}`, { method: 'DELETE' });
      onDone(`${b.name} and its data are deleted`);
    } catch (err) {
      onDone(`${b.name}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
      setArmed(false);
    }
  };
  return armed ? (
    <span class="inline">
      <button type="button" class="danger" onClick={remove} disabled={!boot.csrf || busy}>
        {busy ? 'Deleting…' : `Delete ${b.name} and its data`}
      </button>
      <button type="button" onClick={() => setArmed(false)} disabled={busy}>
        Keep it
      </button>
    </span>
  ) : (
    <button type="button" onClick={() => setArmed(true)} disabled={!boot.csrf}>
      Delete…
    </button>
  );
}

function TaskRowView({ t, onDone }: { t: TaskRow; onDone: (msg: string) => void }) {
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    try {
      const r = await api<TaskRunResult>(`api/tasks/${encodeURIComponent(t.id)}/run`, { method: 'POST', body: {} });
      onDone(`${t.name}: ${r.status}${r.durationMs !== null ? ` in ${r.durationMs} ms` : ''}`);
    } catch (err) {
      onDone(`${t.name}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const status = t.lastRunStatus ?? 'not run yet';
  return (
    <tr>
      <td>{t.name}</td>
      <td>{t.every ?? '—'}</td>
      <td>
        <span
          class={`pill ${t.lastRunStatus === 'failed' ? 'red' : t.lastRunStatus === 'success' ? 'green' : 'amber'}`}
        >
          {status}
        </span>
        {t.lastRunError && <div class="error">{t.lastRunError}</div>}
      </td>
      <td title={t.lastRunAt ?? ''}>{t.lastRunStatus ? ago(t.lastRunAt) : '—'}</td>
      <td>
        <button type="button" onClick={run} disabled={!boot.csrf || busy}>
          {busy ? 'Running…' : 'Run now'}
        </button>
      </td>
    </tr>
  );
}

export function StorageView() {
  const { data, error, reload } = useApi<Storage>('api/storage', 30_000);
  const [message, setMessage] = useState<string | undefined>();
  const done = (msg: string): void => {
    setMessage(msg);
    reload();
  };
  if (!data) return error ? <ErrorBanner error={error} /> : <Loading what="buckets and tasks" />;
  const maxSeries = Math.max(1, ...(data.top ?? []).map((m) => m.series));
  return (
    <>
      <ErrorBanner error={error} />
      <Notice id="elsewhere" text={data.elsewhere} />
      <Problems problems={data.problems} />
      {message && (
        <div class="banner" role="status">
          {message}
        </div>
      )}
      <Card title="Buckets and retention">
        {data.buckets ? (
          <div class="scroll">
            <table id="buckets">
              <thead>
                <tr>
                  <th>Bucket</th>
                  <th>Holds</th>
                  <th class="num">Size</th>
                  <th class="num">Series</th>
                  <th>Keep data for (0 = forever)</th>
                </tr>
              </thead>
              <tbody>
                {data.buckets.map((b) => (
                  <tr key={b.name} data-bucket={b.name}>
                    <td>{b.name}</td>
                    <td>
                      {b.role === 'raw'
                        ? 'every event'
                        : b.role === 'downsampled'
                          ? `${b.name.split('_').pop() ?? ''} summaries`
                          : 'not used by HomeIQ (an earlier bucket option)'}
                    </td>
                    <td class="num">{bytes(b.sizeBytes)}</td>
                    <td class="num">{b.seriesCardinality === null ? '—' : count(b.seriesCardinality)}</td>
                    <td>
                      <RetentionEditor b={b} onDone={done} />
                      {b.role === 'other' && <DeleteBucket b={b} onDone={done} />}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">Unavailable.</p>
        )}
        <p class="hint">
          A retention set here applies at once but lasts until HomeIQ InfluxDB restarts; to keep it, change the add-on's
          retention option.
        </p>
      </Card>
      <Card title="Downsampling tasks">
        {data.tasks ? (
          <div class="scroll">
            <table id="tasks">
              <thead>
                <tr>
                  <th>Task</th>
                  <th>Every</th>
                  <th>Last run</th>
                  <th>When</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.tasks.map((t) => (
                  <TaskRowView key={t.id} t={t} onDone={done} />
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">Unavailable.</p>
        )}
      </Card>
      <Card title={`Series by measurement (written in the last ${data.topWindow})`}>
        {data.top ? (
          data.top.length === 0 ? (
            <p class="muted">No data in the raw bucket over the last {data.topWindow}.</p>
          ) : (
            <table id="top">
              <tbody>
                {data.top.map((m) => (
                  <tr key={m.measurement}>
                    <td>{m.measurement}</td>
                    <td class="bar-cell">
                      <span class="bar-fill" style={{ width: `${(100 * m.series) / maxSeries}%` }} />
                    </td>
                    <td class="num">{count(m.series)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        ) : (
          <p class="muted">Unavailable.</p>
        )}
      </Card>
    </>
  );
}
