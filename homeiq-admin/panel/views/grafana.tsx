import { useState } from 'preact/hooks';
import type { GrafanaInfo } from '../../src/api-types.js';
import { api, boot } from '../api.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Loading } from '../ui.js';

export function GrafanaView() {
  const { data, error } = useApi<GrafanaInfo>('api/grafana');
  const [token, setToken] = useState<string | undefined>();
  const [tokenError, setTokenError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const ask = async (): Promise<void> => {
    setBusy(true);
    setTokenError(undefined);
    try {
      setToken((await api<{ token: string }>('api/grafana/token', { method: 'POST', body: {} })).token);
    } catch (err) {
      setTokenError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!data) return error ? <ErrorBanner error={error} /> : <Loading what="the connection details" />;
  return (
    <Card title="Connect Grafana to HomeIQ">
      <p>
        In Grafana add an <strong>InfluxDB</strong> data source with these settings:
      </p>
      <dl class="facts wide" id="grafana">
        <div>
          <dt>Query language</dt>
          <dd>Flux</dd>
        </div>
        <div>
          <dt>URL (Grafana add-on)</dt>
          <dd>
            <code>{data.url}</code>
          </dd>
        </div>
        <div>
          <dt>Organization</dt>
          <dd>
            <code>{data.org ?? '—'}</code>
          </dd>
        </div>
        <div>
          <dt>Buckets</dt>
          <dd>
            {data.buckets.map((b) => (
              <code key={b}>{b} </code>
            ))}
          </dd>
        </div>
      </dl>
      <p class="hint">{data.hostPortNote}</p>
      <h3>Token</h3>
      <p class="hint">{data.tokenNote}</p>
      <button type="button" onClick={ask} disabled={!boot.csrf || busy}>
        {busy ? 'Asking…' : 'Create a read-only token'}
      </button>
      <ErrorBanner error={tokenError} />
      {token && (
        <p>
          <code class="token">{token}</code>
        </p>
      )}
      <h3>Example query</h3>
      <pre>
        <code>{data.example}</code>
      </pre>
    </Card>
  );
}
