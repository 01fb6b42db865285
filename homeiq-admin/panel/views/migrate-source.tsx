import type { ComponentChildren } from 'preact';

/** The source part of the Migrate view: which InfluxDB, where, and its credentials (kept in the page only). */

export type Kind = 'influxdb1' | 'influxdb2';

export interface SourceFields {
  url: string;
  database: string;
  retentionPolicy: string;
  username: string;
  password: string;
  org: string;
  bucket: string;
  token: string;
}

/** The community InfluxDB add-on's database name, HA's integration's default. */
export const EMPTY_SOURCE: SourceFields = {
  url: '',
  database: 'home_assistant',
  retentionPolicy: '',
  username: '',
  password: '',
  org: '',
  bucket: '',
  token: '',
};

/** A labelled input: `id` ties the label to it. */
export function Field({ label, id, children }: { label: string; id: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

export function SourceForm({
  kind,
  setKind,
  src,
  setSrc,
}: {
  kind: Kind;
  setKind: (k: Kind) => void;
  src: SourceFields;
  setSrc: (s: SourceFields) => void;
}) {
  const set = (k: keyof SourceFields) => (e: Event) => setSrc({ ...src, [k]: (e.target as HTMLInputElement).value });
  return (
    <>
      <div class="choice" role="radiogroup" aria-label="source kind">
        <label>
          <input type="radio" name="kind" checked={kind === 'influxdb1'} onChange={() => setKind('influxdb1')} />{' '}
          InfluxDB 1.x
        </label>
        <label>
          <input type="radio" name="kind" checked={kind === 'influxdb2'} onChange={() => setKind('influxdb2')} />{' '}
          InfluxDB 2.x
        </label>
      </div>
      <div class="form" id="migration-source">
        <Field label="URL" id="migration-url">
          <input id="migration-url" value={src.url} onInput={set('url')} placeholder="http://a0d7b954-influxdb:8086" />
        </Field>
        {kind === 'influxdb1' ? (
          <>
            <Field label="Database" id="migration-database">
              <input id="migration-database" value={src.database} onInput={set('database')} />
            </Field>
            <Field label="Retention policy (empty: the default)" id="migration-rp">
              <input id="migration-rp" value={src.retentionPolicy} onInput={set('retentionPolicy')} />
            </Field>
            <Field label="User" id="migration-user">
              <input id="migration-user" value={src.username} onInput={set('username')} autocomplete="off" />
            </Field>
            <Field label="Password" id="migration-password">
              <input
                id="migration-password"
                type="password"
                value={src.password}
                onInput={set('password')}
                autocomplete="new-password"
              />
            </Field>
          </>
        ) : (
          <>
            <Field label="Organization" id="migration-organization">
              <input id="migration-organization" value={src.org} onInput={set('org')} />
            </Field>
            <Field label="Bucket" id="migration-bucket">
              <input id="migration-bucket" value={src.bucket} onInput={set('bucket')} />
            </Field>
            <Field label="Token" id="migration-token">
              <input
                id="migration-token"
                type="password"
                value={src.token}
                onInput={set('token')}
                autocomplete="new-password"
              />
            </Field>
          </>
        )}
      </div>
    </>
  );
}
