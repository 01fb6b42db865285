import { useMemo, useState } from 'preact/hooks';
import { MIGRATION_MAX_ENTITIES, type MigrationProbe, type MigrationStatus } from '../../src/api-types.js';
import { count } from '../../src/overview/format.js';
import { api, boot } from '../api.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Loading } from '../ui.js';
import { EntityChoice } from '../progress.js';
import { MigrationProgress, MigrationReport } from './migrate-progress.js';
import { EMPTY_SOURCE, Field, SourceForm, type Kind, type SourceFields } from './migrate-source.js';

/** `datetime-local` text (local time, minutes) ↔ ISO. */
const toLocal = (iso: string | undefined): string => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocal = (v: string): string | undefined => (v ? new Date(v).toISOString() : undefined);

/** View: migrate what HA's influxdb integration wrote into an InfluxDB 1.x or 2.x, into HomeIQ's InfluxDB. */
export function MigrateView() {
  const { data, error, reload } = useApi<MigrationStatus>('api/migration', 1000);
  const [kind, setKind] = useState<Kind>('influxdb1');
  const [src, setSrc] = useState<SourceFields>(EMPTY_SOURCE);
  const [probe, setProbe] = useState<MigrationProbe | undefined>();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [all, setAll] = useState(true);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [rate, setRate] = useState(0);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const ids = useMemo(() => (probe?.entities ?? []).map((e) => e.entityId), [probe]);
  const measurements = useMemo(
    () => new Map((probe?.entities ?? []).map((e) => [e.entityId, e.measurements.join(', ')])),
    [probe],
  );

  const opt = (v: string): string | undefined => (v.trim() === '' ? undefined : v.trim());
  const source = () =>
    kind === 'influxdb1'
      ? {
          kind,
          url: src.url.trim(),
          database: src.database.trim(),
          retentionPolicy: opt(src.retentionPolicy),
          username: opt(src.username),
          password: src.password === '' ? undefined : src.password,
        }
      : { kind, url: src.url.trim(), org: src.org.trim(), bucket: src.bucket.trim(), token: src.token };

  const run = async (what: () => Promise<string>): Promise<void> => {
    setBusy(true);
    try {
      setMessage({ text: await what(), error: false });
      reload();
    } catch (err) {
      setMessage({ text: (err as Error).message, error: true });
    } finally {
      setBusy(false);
    }
  };
  const check = () =>
    run(async () => {
      setProbe(undefined);
      const p = await api<MigrationProbe>('api/migration/probe', { method: 'POST', body: { source: source() } });
      setProbe(p);
      setFrom(toLocal(p.first));
      setTo('');
      setPicked(new Set());
      return `Found ${count(p.entities.length)}${p.truncated ? '+' : ''} entities of Home Assistant in InfluxDB ${p.serverVersion}.`;
    });
  const start = () =>
    run(async () => {
      if (!all && picked.size === 0) throw new Error('Pick at least one entity, or migrate all of them.');
      await api('api/migration', {
        method: 'POST',
        body: {
          source: source(),
          from: fromLocal(from),
          to: fromLocal(to),
          ...(all ? {} : { entities: [...picked].sort() }),
          maxPointsPerSecond: rate,
        },
      });
      return `Migration started (${all ? 'all entities' : `${picked.size} entities`}).`;
    });
  const resume = () =>
    run(async () => {
      await api('api/migration/resume', { method: 'POST' });
      return 'Migration resumed.';
    });
  const cancel = () =>
    run(async () => {
      const r = await api<{ cancelled: boolean }>('api/migration', { method: 'DELETE' });
      return r.cancelled ? 'Migration cancelled.' : 'No migration was running.';
    });

  if (!data) return error ? <ErrorBanner error={error} /> : <Loading what="the migration" />;
  const s = data;
  const active = s.state === 'running' || s.state === 'waiting' || s.state === 'finishing';
  const canEdit = Boolean(boot.csrf) && !busy;
  return (
    <>
      <ErrorBanner error={error} />
      {message && (
        <div
          class={`banner${message.error ? ' red' : ''}`}
          role={message.error ? 'alert' : 'status'}
          id="migration-message"
        >
          {message.text}
        </div>
      )}
      <div class="grid two">
        <Card title="Migrate from an existing InfluxDB">
          <p class="hint">
            Copies what Home Assistant's <code>influxdb</code> integration wrote into an InfluxDB 1.x (InfluxQL) or 2.x
            (Flux) into HomeIQ's InfluxDB, in the {s.layout ?? probe?.layout ?? 'ingestor\u2019s'} layout, at the
            original times. The old database is only read. Every point lands on its own series and time, so running it
            again writes nothing twice; a stop or restart resumes where it was.
          </p>
          <SourceForm kind={kind} setKind={setKind} src={src} setSrc={setSrc} />
          <div class="filters">
            <button type="button" onClick={() => void check()} disabled={!canEdit || src.url.trim() === ''}>
              Check source
            </button>
          </div>
          {!boot.csrf && (
            <p class="hint">Open HomeIQ from the Home Assistant sidebar as an administrator to migrate.</p>
          )}
          {probe && (
            <div id="migration-probe">
              <p id="migration-found">
                <strong>{count(probe.entities.length)}</strong> entities of Home Assistant, from{' '}
                {new Date(probe.first ?? '').toLocaleString()} to {new Date(probe.last ?? '').toLocaleString()}
              </p>
              {probe.foreign.length > 0 && (
                <p class="hint" id="migration-foreign">
                  Not Home Assistant's, so not migrated: {probe.foreign.map((f) => f.measurement).join(', ')}
                </p>
              )}
              {probe.mixedTypes.length > 0 && (
                <p class="hint" id="migration-mixed">
                  Fields stored in several types (each value is read in its own type):{' '}
                  {probe.mixedTypes.map((m) => `${m.measurement}.${m.field} (${m.types.join(', ')})`).join('; ')}
                </p>
              )}
              <h3>Range</h3>
              <div class="form">
                <Field label="From" id="migration-from">
                  <input
                    id="migration-from"
                    type="datetime-local"
                    value={from}
                    onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
                  />
                </Field>
                <Field label="To (empty: up to the newest point)" id="migration-to">
                  <input
                    id="migration-to"
                    type="datetime-local"
                    value={to}
                    onInput={(e) => setTo((e.target as HTMLInputElement).value)}
                  />
                </Field>
                <Field label="At most points/s (0: as fast as live ingestion leaves room for)" id="migration-rate">
                  <input
                    id="migration-rate"
                    type="number"
                    min={0}
                    value={rate}
                    onInput={(e) => setRate(Math.max(0, Math.round(Number((e.target as HTMLInputElement).value) || 0)))}
                  />
                </Field>
              </div>
              <h3>Entities</h3>
              <EntityChoice
                ids={ids}
                all={all}
                setAll={setAll}
                picked={picked}
                setPicked={setPicked}
                listId="migration-entities"
                max={MIGRATION_MAX_ENTITIES}
                detail={(id) => measurements.get(id)}
              />
              <div class="filters">
                <button type="button" class="active" onClick={() => void start()} disabled={!canEdit || active}>
                  Start migration
                </button>
              </div>
            </div>
          )}
        </Card>
        <MigrationProgress s={s} />
      </div>
      <div class="filters">
        <button type="button" onClick={() => void resume()} disabled={!canEdit || s.state !== 'failed'}>
          Resume
        </button>
        <button
          type="button"
          class="danger"
          onClick={() => void cancel()}
          disabled={!canEdit || !(active || s.state === 'failed')}
        >
          Cancel migration
        </button>
      </div>
      <MigrationReport s={s} />
    </>
  );
}
