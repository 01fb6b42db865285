import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { GrafanaInfo } from '../../src/api-types.js';
import { api, boot } from '../api.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Loading } from '../ui.js';

/** A button that asks the server for a secret once and shows it (secrets are never stored in the page). */
function Ask<T>({ label, path, show }: { label: string; path: string; show: (r: T) => ComponentChildren }) {
  const [result, setResult] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const ask = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await api<T>(path, { method: 'POST', body: {} }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={ask} disabled={!boot.csrf || busy}>
        {busy ? 'Asking…' : label}
      </button>
      <ErrorBanner error={error} />
      {result && show(result)}
    </>
  );
}

function Fact({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function GrafanaView() {
  const { data, error } = useApi<GrafanaInfo>('api/grafana');
  if (!data) return error ? <ErrorBanner error={error} /> : <Loading what="the connection details" />;
  const q = data.influxql;
  return (
    <>
      <Card title="Connect Grafana to HomeIQ">
        <p>
          In Grafana add an <strong>InfluxDB</strong> data source. It can query in <strong>Flux</strong> or in{' '}
          <strong>InfluxQL</strong> (the language of InfluxDB 1.x dashboards); both read the same data.
        </p>
        <p class="hint">{data.hostPortNote}</p>
      </Card>
      <Card title="Flux data source">
        <dl class="facts wide" id="grafana">
          <Fact term="Query language">Flux</Fact>
          <Fact term="URL (Grafana add-on)">
            <code>{data.url}</code>
          </Fact>
          <Fact term="Organization">
            <code>{data.org ?? '—'}</code>
          </Fact>
          <Fact term="Buckets">
            {data.buckets.map((b) => (
              <code key={b}>{b} </code>
            ))}
          </Fact>
          <Fact term="Token">a read-only token (below)</Fact>
        </dl>
        <p class="hint">{data.tokenNote}</p>
        <Ask<{ token: string }>
          label="Create a read-only token"
          path="api/grafana/token"
          show={(r) => (
            <p>
              <code class="token">{r.token}</code>
            </p>
          )}
        />
        <h3>Example query</h3>
        <pre>
          <code>{data.example}</code>
        </pre>
      </Card>
      <Card title="InfluxQL data source">
        {q ? (
          <>
            <dl class="facts wide" id="influxql">
              <Fact term="Query language">InfluxQL</Fact>
              <Fact term="URL (Grafana add-on)">
                <code>{data.url}</code>
              </Fact>
              <Fact term="Database">
                <code>{q.database}</code>
              </Fact>
              <Fact term="User">
                <code>{q.username}</code>
              </Fact>
              <Fact term="Password">a new password (below)</Fact>
              <Fact term="HTTP Method">GET or POST</Fact>
              <Fact term="Retention policies">
                {q.retentionPolicies.map((rp) => (
                  <code key={rp}>{rp} </code>
                ))}
              </Fact>
            </dl>
            <p class="hint">
              <code>autogen</code> (the default) holds every state change; <code>5m</code> and <code>1h</code> hold the
              summaries (fields mean, min, max, count). The user can only read. Asking again gives it a new password,
              and the old one stops working. The read-only token above also works: as the password of any user, or as
              the header <code>Authorization: Token &lt;token&gt;</code>.
            </p>
            <Ask<{ username: string; password: string }>
              label="Create InfluxQL credentials"
              path="api/grafana/influxql-credentials"
              show={(r) => (
                <p id="influxql-credentials">
                  User <code>{r.username}</code>, password <code class="token">{r.password}</code>
                </p>
              )}
            />
            <h3>Example query</h3>
            <pre>
              <code>{q.example}</code>
            </pre>
          </>
        ) : (
          <p class="muted">This version of HomeIQ InfluxDB offers no InfluxQL; update it to query in InfluxQL.</p>
        )}
      </Card>
    </>
  );
}
