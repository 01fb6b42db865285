import { parseJson, type Logger, type Service } from '@homeiq/shared';
import type { HaState } from './messages.js';

/**
 * Option `state_reports_interval_s`: a visible trace of sensors that keep reporting the same value.
 *
 * Since 2024.4 an unchanged write moves a state's `last_reported` and fires `state_reported`, not `state_changed`.
 * A WebSocket client cannot have either: `subscribe_events` for `state_reported` is refused ("Event filter is
 * required for event state_reported"), and a state's JSON keeps the `last_reported` of its last change (HA caches the
 * serialised state). Both measured on 2025.4.4. Templates do see the real `last_reported`, so every interval this
 * renders one template through HA's REST API (`POST /api/template`, through the Supervisor's Core proxy) that lists
 * the states reported since the previous look, and writes each as a point at its `last_reported`: at most one point
 * per entity per interval, the latest report. Off by default (0); does nothing on an HA before 2024.4.
 */
export const REPORTS_TEMPLATE = [
  '{%- set ns = namespace(out=[]) -%}',
  '{%- set since = as_datetime(since) if since else none -%}',
  '{%- for s in states -%}',
  '{%- if s.last_reported > s.last_updated and (since is none or s.last_reported > since) -%}',
  '{%- set ns.out = ns.out + [{"entity_id": s.entity_id, "state": s.state, "attributes": s.attributes,',
  ' "last_changed": s.last_changed.isoformat(), "last_updated": s.last_updated.isoformat(),',
  ' "last_reported": s.last_reported.isoformat()}] -%}',
  '{%- endif -%}',
  '{%- endfor -%}',
  '{{ {"now": utcnow().isoformat(), "states": ns.out} | to_json }}',
].join('\n');

/** A state with the time of its latest unchanged report. */
export interface ReportedState extends HaState {
  last_reported: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The rendered template, checked by shape: undefined when it is not what the template makes. */
export function parseReports(text: string): { now: string; states: ReportedState[] } | undefined {
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch {
    return undefined;
  }
  if (!isObj(parsed) || typeof parsed['now'] !== 'string' || !Array.isArray(parsed['states'])) return undefined;
  const states = parsed['states'].filter(
    (s): s is ReportedState =>
      isObj(s) &&
      typeof s['entity_id'] === 'string' &&
      typeof s['state'] === 'string' &&
      isObj(s['attributes']) &&
      typeof s['last_updated'] === 'string' &&
      typeof s['last_reported'] === 'string',
  );
  return { now: parsed['now'], states };
}

/** Whether a Home Assistant version (`2025.4.4`, `2024.4.0.dev…`) has last_reported: 2024.4 or later. */
export function hasReports(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [year, month] = [Number(m[1]), Number(m[2])];
  return year > 2024 || (year === 2024 && month >= 4);
}

export interface StateReportsStats {
  /** Templates rendered. */
  polls: number;
  /** Reports handed to the pipeline (it applies the entity filter). */
  reports: number;
  /** Renders that failed (HA unreachable, an error answer, a reply of the wrong shape). */
  failures: number;
  lastError: string | undefined;
}

export interface StateReportsOptions {
  intervalMs: number;
  /** Renders a template with variables through HA's REST API; resolves with the text. */
  render(template: string, variables: Record<string, unknown>): Promise<string>;
  /** The version of the Home Assistant connected to, or undefined while not connected. */
  haVersion(): string | undefined;
  /** Writes one reported state (the pipeline's writeReport). */
  write(state: ReportedState): void;
  log: Logger;
}

/** Every `intervalMs`, the states reported unchanged since the last look become points. See REPORTS_TEMPLATE. */
export class StateReports implements Service {
  readonly name = 'state reports';
  readonly #stats: StateReportsStats = { polls: 0, reports: 0, failures: 0, lastError: undefined };
  /** HA's clock at the previous render: the next one lists reports after it. */
  #since: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #warnedOld = false;

  constructor(private readonly opts: StateReportsOptions) {}

  stats(): StateReportsStats {
    return { ...this.#stats };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.poll().finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
    }, this.opts.intervalMs);
  }

  /** One look (also called by tests). Never throws. */
  async poll(): Promise<void> {
    const version = this.opts.haVersion();
    if (version === undefined) return;
    if (!hasReports(version)) {
      if (!this.#warnedOld)
        this.opts.log.warn(`state_reports_interval_s: Home Assistant ${version} has no last_reported (2024.4+); off`);
      this.#warnedOld = true;
      return;
    }
    try {
      const text = await this.opts.render(REPORTS_TEMPLATE, { since: this.#since ?? '' });
      const reports = parseReports(text);
      if (!reports) throw new Error(`unexpected answer: ${text.slice(0, 120)}`);
      for (const s of reports.states) this.opts.write(s);
      this.#stats.polls += 1;
      this.#stats.reports += reports.states.length;
      this.#since = reports.now;
      if (this.#stats.lastError !== undefined) this.opts.log.info('state reports: rendering works again');
      this.#stats.lastError = undefined;
    } catch (err) {
      this.#stats.failures += 1;
      const why = (err as Error).message;
      if (this.#stats.lastError === undefined)
        this.opts.log.warn(`state reports: could not render the template (${why}); retrying every interval`);
      this.#stats.lastError = why;
    }
  }
}
