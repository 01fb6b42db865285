import { useState } from 'preact/hooks';
import type { Quarantine } from '../../src/api-types.js';
import { bytes, count } from '../../src/overview/format.js';
import { api, boot } from '../api.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Loading } from '../ui.js';

export function QuarantineView() {
  const { data, error, reload } = useApi<Quarantine>('api/quarantine?limit=200', 15_000);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const act = async (what: 'retry' | 'discard', ids?: string[]): Promise<void> => {
    if (
      what === 'discard' &&
      !confirm(ids ? 'Delete this point for good?' : 'Delete every quarantined point for good?')
    )
      return;
    setBusy(true);
    try {
      const body = ids ? { ids } : {};
      if (what === 'retry') {
        const r = await api<{ requeued: number; kept: number }>('api/quarantine/retry', { method: 'POST', body });
        setMessage(
          `${count(r.requeued)} points sent back to the spool${r.kept ? `, ${count(r.kept)} kept (the spool is full)` : ''}`,
        );
      } else {
        const r = await api<{ discarded: number }>('api/quarantine/discard', { method: 'POST', body });
        setMessage(`${count(r.discarded)} points deleted`);
      }
      reload();
    } catch (err) {
      setMessage((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!data) return error ? <ErrorBanner error={error} /> : <Loading what="the quarantine" />;
  return (
    <>
      <ErrorBanner error={error} />
      {message && (
        <div class="banner" role="status">
          {message}
        </div>
      )}
      <Card title="Points InfluxDB rejected">
        <p id="quarantine-summary">
          {data.count > 0
            ? `${count(data.count)} points (${bytes(data.bytes)})`
            : data.dropped > 0
              ? 'The quarantine is empty'
              : 'The quarantine is empty: InfluxDB accepted every point'}
          {data.dropped > 0
            ? `; since the ingestor started, ${count(data.dropped)} rejected points were dropped because the quarantine was full (not kept)`
            : ''}
          .
        </p>
        <p class="hint">
          A point lands here when InfluxDB refuses it for good (a bad line, a type it will not take). The reason is
          InfluxDB's own. Fix the cause, then retry: the points go back into the spool and are written again. Discard
          deletes them for good.
        </p>
        <div class="filters">
          <button type="button" onClick={() => void act('retry')} disabled={!boot.csrf || busy || data.count === 0}>
            Retry all
          </button>
          <button type="button" onClick={() => void act('discard')} disabled={!boot.csrf || busy || data.count === 0}>
            Discard all
          </button>
        </div>
        {data.entries.length > 0 && (
          <div class="scroll">
            <table id="quarantine">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Status</th>
                  <th>Reason</th>
                  <th>Line</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.entries.map((e) => (
                  <tr key={e.id}>
                    <td>{new Date(e.at).toLocaleString()}</td>
                    <td>{e.status}</td>
                    <td>{e.reason}</td>
                    <td>
                      <code>{e.line}</code>
                    </td>
                    <td>
                      <button type="button" onClick={() => void act('retry', [e.id])} disabled={!boot.csrf || busy}>
                        Retry
                      </button>
                      <button type="button" onClick={() => void act('discard', [e.id])} disabled={!boot.csrf || busy}>
                        Discard
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
