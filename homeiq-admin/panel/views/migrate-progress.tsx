import { useMemo, useState } from 'preact/hooks';
import type { MigrationNote, MigrationStatus } from '../../src/api-types.js';
import { bytes, count } from '../../src/overview/format.js';
import { Facts, ProgressBar, when } from '../progress.js';
import { Card } from '../ui.js';

const STATE_TEXT: Record<MigrationStatus['state'], string> = {
  off: 'No migration has run.',
  running: 'Migrating…',
  waiting: 'Waiting',
  finishing: 'Read everything; waiting for InfluxDB to confirm the last points.',
  done: 'Done.',
  failed: 'Stopped by an error. Everything before “Reached” is written; Resume continues from there.',
  cancelled: 'Cancelled. What was migrated stays.',
};
const SHOWN = 200;

function Notes({ title, notes, id }: { title: string; notes: MigrationNote[]; id: string }) {
  if (notes.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <ul class="notes" id={id}>
        {notes.map((n) => (
          <li key={n.kind} data-kind={n.kind}>
            <strong>{count(n.count)}</strong> {n.text}
            {n.example && <span class="muted small"> (first: {n.example})</span>}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The migration's state, progress bar, ETA and counts. */
export function MigrationProgress({ s }: { s: MigrationStatus }) {
  const fill = s.state === 'done' || s.state === 'failed' || s.state === 'cancelled' ? s.state : '';
  const c = s.counts;
  return (
    <Card title="Progress" class={`import-state ${s.state}`}>
      <p id="migration-state" data-state={s.state} class="reason">
        {STATE_TEXT[s.state]}
        {s.state === 'waiting' && s.waitingFor ? ` for ${s.waitingFor}.` : ''}
      </p>
      {s.lastError && (
        <p class="error" id="migration-error" role="alert">
          {s.lastError}
        </p>
      )}
      {s.state !== 'off' && (
        <>
          <ProgressBar
            progress={s.progress}
            fill={fill}
            running={s.state === 'running' || s.state === 'waiting'}
            etaSeconds={s.etaSeconds}
            label="migration progress"
            idPrefix="migration"
          >
            {s.pointsPerSecond !== undefined && <span class="muted">{count(s.pointsPerSecond)} points/s</span>}
            {s.pacedTo !== undefined && (
              <span class="muted" id="migration-paced">
                held to {count(s.pacedTo)} points/s while live ingestion's writes are slow
              </span>
            )}
          </ProgressBar>
          <Facts
            id="migration-counts"
            facts={[
              { dt: 'Read from the source', dd: count(c.read), data: ['count', 'read'] },
              { dt: 'Written', dd: count(c.written), data: ['count', 'written'] },
              { dt: 'Could not be mapped', dd: count(c.unmapped), data: ['count', 'unmapped'] },
              { dt: "Excluded by the ingestor's options", dd: count(c.excluded), data: ['count', 'excluded'] },
              { dt: 'Refused by InfluxDB (quarantine)', dd: count(c.rejected), data: ['count', 'rejected'] },
              s.source && {
                dt: 'Source',
                dd: `${s.source.url} ${s.source.kind === 'influxdb1' ? s.source.database : s.source.bucket}`,
                id: 'migration-source-view',
              },
              { dt: 'From', dd: when(s.from) },
              { dt: 'To', dd: when(s.to) },
              { dt: 'Reached', dd: when(s.reached), id: 'migration-reached' },
              { dt: 'Queued for InfluxDB', dd: `${bytes(s.queueBytes)} of ${bytes(s.queueBudgetBytes)}` },
              { dt: 'Finished', dd: when(s.completedAt) },
            ]}
          />
        </>
      )}
    </Card>
  );
}

/** Per entity: read, written, not mapped; then what could not be mapped and what was approximated. */
export function MigrationReport({ s }: { s: MigrationStatus }) {
  const [filter, setFilter] = useState('');
  const rows = useMemo(
    () => s.report.filter((r) => r.entityId.includes(filter.trim().toLowerCase())).slice(0, SHOWN),
    [s.report, filter],
  );
  if (s.state === 'off') return null;
  return (
    <Card title="Report">
      <Notes title="Could not be mapped" notes={s.unmapped} id="migration-unmapped" />
      <Notes title="Carried over with a difference" notes={s.notes} id="migration-notes" />
      <h3>
        Per entity ({count(s.reportTotal)}){' '}
        <a class="small" href="api/migration/report" download="migration-report.json">
          full report (JSON)
        </a>
      </h3>
      <input
        class="search"
        type="search"
        placeholder="Filter entities"
        aria-label="filter the report"
        value={filter}
        onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
      />
      <div class="scroll">
        <table id="migration-report">
          <thead>
            <tr>
              <th>Entity</th>
              <th class="num">Read</th>
              <th class="num">Written</th>
              <th class="num">Not mapped</th>
              <th class="hide-sm">First</th>
              <th class="hide-sm">Last</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.entityId} data-entity={r.entityId}>
                <td>
                  <code>{r.entityId}</code>
                </td>
                <td class="num">{count(r.read)}</td>
                <td class="num">{count(r.written)}</td>
                <td class={`num${r.unmapped > 0 ? ' error' : ''}`}>{count(r.unmapped)}</td>
                <td class="hide-sm small">{when(r.first)}</td>
                <td class="hide-sm small">{when(r.last)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
