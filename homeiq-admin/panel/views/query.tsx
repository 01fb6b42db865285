import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { QueryAnswer, QueryInfo, QueryLanguage, QueryTable } from '../../src/api-types.js';
import { count } from '../../src/overview/format.js';
import { ApiFailure, api, boot } from '../api.js';
import { Plot } from '../explore/plot.js';
import { answerSeries, NUMERIC } from '../explore/series.js';
import { LAST_QUERY, remember, remembered } from '../explore/storage.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Notice } from '../ui.js';

/** Rows drawn in the page; the answer may hold more (the row limit is the server's). */
const ROWS_SHOWN = 500;

function example(lang: QueryLanguage, bucket: string): string {
  return lang === 'flux'
    ? `from(bucket: "${bucket}")
  |> range(start: -1h)
  |> filter(fn: (r) => r._measurement == "sensor" and r._field == "value")
  |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)`
    : `SELECT mean("value") FROM "sensor" WHERE time > now() - 1h GROUP BY time(1m), "entity_id"`;
}

function ResultTable({ t, shown }: { t: QueryTable; shown: number }) {
  return (
    <div class="scroll result">
      <p class="small muted">
        {t.result} {t.table !== '' && `· table ${t.table}`} · {count(t.rows.length)} rows
        {shown < t.rows.length ? ` (the first ${count(shown)} shown)` : ''}
      </p>
      <table>
        <thead>
          <tr>
            {t.columns.map((c) => (
              <th key={c.name} title={`${c.type}${c.group ? ', group key' : ''}`}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {t.rows.slice(0, shown).map((r, i) => (
            <tr key={i}>
              {r.map((v, j) => (
                <td key={j} class={NUMERIC.has(t.columns[j]?.type ?? '') ? 'num' : ''}>
                  {v}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Limit(p: { title: string; label: string; max: number | undefined; value: number; set: (n: number) => void }) {
  return (
    <label>
      {p.title}{' '}
      <input
        type="number"
        min={1}
        max={p.max}
        value={p.value}
        aria-label={p.label}
        onInput={(e) => p.set(Number((e.target as HTMLInputElement).value))}
      />
    </label>
  );
}

/**
 * The read-only query console: Flux or InfluxQL with the panel's read token, within a time and a row limit. The
 * query is kept in the fragment (`#/explore/query?lang=flux&q=…`), so a query can be bookmarked; opening such a
 * link runs it.
 */
export function QueryConsoleView({ query, navigate }: { query: string; navigate: (hash: string) => void }) {
  const info = useApi<QueryInfo>('api/query');
  // A bookmark's query, else the last one run here (not run again: only a bookmark runs on opening).
  const initial = useMemo(() => new URLSearchParams(query), [query]);
  const last = useMemo(() => new URLSearchParams(query ? '' : (remembered(LAST_QUERY) ?? '')), [query]);
  const start = initial.get('q') ? initial : last;
  const [lang, setLang] = useState<QueryLanguage>(start.get('lang') === 'influxql' ? 'influxql' : 'flux');
  const [text, setText] = useState(start.get('q') ?? '');
  const [database, setDatabase] = useState(start.get('db') ?? '');
  const [rows, setRows] = useState(1000);
  const [timeoutS, setTimeoutS] = useState(30);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<QueryAnswer | undefined>();
  const [error, setError] = useState<{ message: string; from: string } | undefined>();
  const ran = useRef(false);

  useEffect(() => {
    if (info.data && text === '') setText(example(lang, info.data.defaultDatabase));
  }, [info.data]);

  const run = async (): Promise<void> => {
    if (text.trim() === '') return;
    setBusy(true);
    setError(undefined);
    const qs = new URLSearchParams({ lang, q: text });
    if (lang === 'influxql' && database) qs.set('db', database);
    navigate(`#/explore/query?${qs}`);
    remember(LAST_QUERY, String(qs));
    try {
      setAnswer(
        await api<QueryAnswer>('api/query', {
          method: 'POST',
          body: {
            language: lang,
            query: text,
            rows,
            timeoutS,
            ...(lang === 'influxql' && database ? { database } : {}),
          },
        }),
      );
    } catch (err) {
      const source = err instanceof ApiFailure ? (err.details as { source?: string } | undefined)?.source : undefined;
      setError({
        message: (err as Error).message,
        from: source === 'influxdb' ? 'InfluxDB' : source === 'console' ? 'Not run' : 'Error',
      });
      setAnswer(undefined);
    } finally {
      setBusy(false);
    }
  };

  // A bookmarked query runs once the page is open (the console only reads).
  useEffect(() => {
    if (!ran.current && initial.get('q')) {
      ran.current = true;
      void run();
    }
  }, []);

  const series = useMemo(() => (answer ? answerSeries(answer.tables) : []), [answer]);
  const span = useMemo(() => {
    const ts = series.flatMap((s) => [s.times[0] as number, s.times.at(-1) as number]);
    if (ts.length === 0) return undefined;
    const start = Math.min(...ts) / 1000;
    const end = Math.max(...ts) / 1000;
    // A single time gets an hour around it, so the point stands in a readable chart.
    return end - start < 60_000 ? { start: start - 1_800_000, end: end + 1_800_000 } : { start, end };
  }, [series]);
  let left = ROWS_SHOWN;
  const limits = info.data?.limits;

  return (
    <>
      <ErrorBanner error={info.error} />
      <Notice id="elsewhere" text={info.data?.elsewhere} />
      <Card class="console" title="Query console">
        <p class="hint">
          Read-only, with the panel's InfluxDB token: queries can read every HomeIQ bucket and cannot write or reach
          other servers. {limits ? `At most ${count(limits.maxRows)} rows and ${limits.maxTimeoutS} s.` : ''}
        </p>
        <form
          class="console-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <div class="toolbar">
            <label>
              Language{' '}
              <select
                value={lang}
                aria-label="query language"
                onChange={(e) => setLang((e.target as HTMLSelectElement).value as QueryLanguage)}
              >
                <option value="flux">Flux</option>
                <option value="influxql">InfluxQL</option>
              </select>
            </label>
            {lang === 'influxql' && (
              <label>
                Database{' '}
                <select
                  value={database}
                  aria-label="database"
                  onChange={(e) => setDatabase((e.target as HTMLSelectElement).value)}
                >
                  <option value="">{info.data?.defaultDatabase ?? 'default'}</option>
                  {(info.data?.databases ?? [])
                    .filter((d) => d !== info.data?.defaultDatabase)
                    .map((d) => (
                      <option key={d} value={d}>
                        {d}
                      </option>
                    ))}
                </select>
              </label>
            )}
            <Limit title="Rows" label="row limit" max={limits?.maxRows} value={rows} set={setRows} />
            <Limit
              title="Seconds"
              label="time limit in seconds"
              max={limits?.maxTimeoutS}
              value={timeoutS}
              set={setTimeoutS}
            />
            <span class="spacer" />
            <button type="button" onClick={() => setText(example(lang, info.data?.defaultDatabase ?? 'homeassistant'))}>
              Example
            </button>
            <button type="submit" class="active" disabled={busy || !boot.csrf}>
              {busy ? 'Running…' : 'Run'}
            </button>
          </div>
          <textarea
            value={text}
            spellcheck={false}
            rows={8}
            aria-label="query"
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void run();
              }
            }}
          />
          <p class="small muted">Ctrl+Enter runs the query.</p>
        </form>
        {error && (
          <div class="banner red" role="alert" id="query-error">
            <strong>{error.from}:</strong> <span class="message">{error.message}</span>
          </div>
        )}
        {answer && (
          <div id="query-answer">
            <p class="muted" id="query-summary">
              {count(answer.rows)} {answer.rows === 1 ? 'row' : 'rows'} in {answer.tables.length}{' '}
              {answer.tables.length === 1 ? 'table' : 'tables'}, {count(answer.tookMs)} ms
              {answer.truncated ? `; only ${answer.truncated}` : ''}.
            </p>
            {series.length > 0 && span && (
              <Plot series={series} bands={[]} startMs={span.start} endMs={span.end} height={260} />
            )}
            {answer.tables.map((t, i) => {
              const shown = Math.max(0, Math.min(left, t.rows.length));
              left -= shown;
              return <ResultTable key={`${i}/${t.result}/${t.table}`} t={t} shown={shown} />;
            })}
          </div>
        )}
      </Card>
    </>
  );
}
