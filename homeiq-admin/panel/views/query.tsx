import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { QueryAnswer, QueryInfo, QueryLanguage, QueryTable } from '../../src/api-types.js';
import { rfc3339ToMicros } from '../../src/explore/time.js';
import { count } from '../../src/overview/format.js';
import { ApiFailure, api, boot } from '../api.js';
import { PALETTE, Plot, type PlotSeries } from '../explore/plot.js';
import { LAST_QUERY, remember, remembered } from '../explore/storage.js';
import { useApi } from '../hooks.js';
import { Card, ErrorBanner, Notice } from '../ui.js';

/** Rows drawn in the page; the answer may hold more (the row limit is the server's). */
const ROWS_SHOWN = 500;
const MAX_SERIES = 20;
const NUMERIC = new Set(['double', 'long', 'unsignedLong']);
/** Group columns that are the same in every table of a Flux answer and say nothing in a label. */
const QUIET = new Set(['_start', '_stop']);

function example(lang: QueryLanguage, bucket: string): string {
  return lang === 'flux'
    ? `from(bucket: "${bucket}")
  |> range(start: -1h)
  |> filter(fn: (r) => r._measurement == "sensor" and r._field == "value")
  |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)`
    : `SELECT mean("value") FROM "sensor" WHERE time > now() - 1h GROUP BY time(1m), "entity_id"`;
}

/** The answer's numeric columns over time, one line per table and column, labelled by the table's group key. */
export function answerSeries(tables: readonly QueryTable[]): PlotSeries[] {
  const out: PlotSeries[] = [];
  for (const t of tables) {
    const ti = t.columns.findIndex((c) => (c.name === '_time' || c.name === 'time') && c.type.startsWith('dateTime'));
    if (ti < 0) continue;
    const groupValue = (name: string): string => {
      const i = t.columns.findIndex((c) => c.group && c.name === name);
      return i < 0 ? '' : (t.rows[0]?.[i] ?? '');
    };
    // HomeIQ's series are best named by entity (and field, unless it is the usual `value`); others by the group key.
    const entity = groupValue('entity_id');
    const field = groupValue('_field');
    const key = entity
      ? [entity, field === 'value' ? '' : field].filter(Boolean).join(' ')
      : t.columns
          .filter((c) => c.group && !QUIET.has(c.name))
          .map((c) => t.rows[0]?.[t.columns.indexOf(c)] ?? '')
          .filter(Boolean)
          .join(' ');
    const numeric = t.columns.filter((c) => NUMERIC.has(c.type) && c.name !== 'table');
    for (const c of numeric) {
      if (out.length >= MAX_SERIES) return out;
      const ci = t.columns.indexOf(c);
      const times: number[] = [];
      const values: number[] = [];
      for (const r of t.rows) {
        const us = rfc3339ToMicros(r[ti] ?? '');
        const v = Number(r[ci]);
        if (Number.isFinite(us) && r[ci] !== '' && Number.isFinite(v)) {
          times.push(us);
          values.push(v);
        }
      }
      if (times.length === 0) continue;
      // Without a group key: InfluxQL's series name, or Flux's yield.
      const fallback = Number.isNaN(Number(t.table)) ? t.table : t.result;
      const label = [key || fallback, numeric.length > 1 || c.name !== '_value' ? c.name : '']
        .filter(Boolean)
        .join(' · ');
      out.push({
        key: `${t.result}/${t.table}/${c.name}`,
        label,
        unit: '',
        color: PALETTE[out.length % PALETTE.length] as string,
        times,
        values,
      });
    }
  }
  return out;
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
