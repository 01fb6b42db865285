import type { Check, Overview, SiblingSummary } from '../../src/api-types.js';
import { Chart } from '../chart.js';
import { useApi } from '../hooks.js';
import { Card, Dot, ErrorBanner, Loading, Problems } from '../ui.js';

type OverviewBody = Overview & { siblings: SiblingSummary[] };

const SUMMARY = { green: 'Everything is working', amber: 'Something needs a look', red: 'Data is not flowing' };

function CheckCard({ c, spark }: { c: Check; spark?: { times: number[]; values: number[] } | undefined }) {
  return (
    <Card class={`check ${c.status}`}>
      <h2>
        <Dot status={c.status} />
        {c.title}
      </h2>
      <p class="reason" data-check={c.id}>
        {c.reason}
      </p>
      {c.hint && <p class="hint">{c.hint}</p>}
      {spark && spark.times.length > 1 && (
        <Chart times={spark.times} values={spark.values} label="events/s" height={48} spark />
      )}
      {c.facts.length > 0 && (
        <dl class="facts">
          {c.facts.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </Card>
  );
}

export function OverviewView() {
  const { data, error } = useApi<OverviewBody>('api/overview', 5000);
  if (!data) return error ? <ErrorBanner error={error} /> : <Loading what="the overview" />;
  const at = Date.parse(data.generatedAt) / 1000;
  const n = data.rate.samples.length;
  const spark = {
    times: data.rate.samples.map((_, i) => at - (n - 1 - i) * data.rate.everyS),
    values: data.rate.samples,
  };
  return (
    <>
      <ErrorBanner error={error} />
      <div class={`summary ${data.status}`}>
        <Dot status={data.status} />
        <span>{SUMMARY[data.status]}</span>
        <span class="muted versions">
          {data.siblings
            .map((s) => `${s.slug.replace('homeiq-', '')} ${s.version ?? (s.installed ? s.state : 'not installed')}`)
            .join(' · ')}
        </span>
      </div>
      <Problems problems={data.problems} />
      <div class="grid">
        {data.checks.map((c) => (
          <CheckCard key={c.id} c={c} spark={c.id === 'ingestion' ? spark : undefined} />
        ))}
      </div>
    </>
  );
}
