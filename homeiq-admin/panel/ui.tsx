import type { ComponentChildren } from 'preact';
import type { Problem } from '../src/api-types.js';

export type Status = 'green' | 'amber' | 'red';

export function Dot({ status }: { status: Status }) {
  return <span class={`dot ${status}`} role="img" aria-label={status} />;
}

export function Card({
  title,
  children,
  class: cls,
}: {
  title?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`card ${cls ?? ''}`}>
      {title !== undefined && <h2>{title}</h2>}
      {children}
    </section>
  );
}

const NAMES: Record<string, string> = { 'homeiq-ingestor': 'HomeIQ Ingestor', 'homeiq-influxdb': 'HomeIQ InfluxDB' };

/** Which sibling could not be reached for what, and why: shown above a view instead of silently empty data. */
export function Problems({ problems }: { problems: Problem[] | undefined }) {
  if (!problems || problems.length === 0) return null;
  return (
    <div class="banner red" role="alert">
      {problems.map((p) => (
        <div key={`${p.sibling}-${p.what}`}>
          <strong>{NAMES[p.sibling] ?? p.sibling}</strong> — {p.what}: {p.why}
        </div>
      ))}
    </div>
  );
}

export function ErrorBanner({ error }: { error: string | undefined }) {
  return error ? (
    <div class="banner red" role="alert">
      {error}
    </div>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted loading">Loading {what}…</p>;
}

/** A plain note at the top of a view, e.g. that its data lives elsewhere (not an error). */
export function Notice({ text, id }: { text: string | null | undefined; id: string }) {
  return text ? (
    <div class="banner" role="status" data-notice={id}>
      {text}
    </div>
  ) : null;
}
