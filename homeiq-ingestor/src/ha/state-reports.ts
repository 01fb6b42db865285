import { parseJson, type Logger, type Service } from '@homeiq/shared';
import { isHaState } from '../points/state-model.js';
import type { HaSession } from './ha-session.js';
import { isoToMicros } from './history.js';
import type { HaState } from './messages.js';

/**
 * Option `state_reports_interval_s`: a visible trace of sensors that keep reporting the same value.
 *
 * Since 2024.4 an unchanged write moves a state's `last_reported` and fires `state_reported`, not `state_changed`.
 * A WebSocket client cannot have either: `subscribe_events` for `state_reported` is refused ("Event filter is
 * required for event state_reported"), and a state's JSON keeps the `last_reported` of its last change (HA caches the
 * serialised state). Both measured on 2025.4.4. Templates do see the real `last_reported`, so every interval this
 * renders REPORTS_TEMPLATE through HA's REST API (`POST /api/template`, through the Supervisor's Core proxy), which
 * lists the states reported since the previous look, and writes each as a point at its `last_reported`: at most one
 * point per entity per interval, the latest report. Off by default (0); does nothing on an HA before 2024.4.
 *
 * The template lists only entity ids and times, never a state's content: HA cuts a rendering at 256 KiB (a few
 * hundred states with their attributes), and its `to_json` refuses attribute values that are not plain JSON (a
 * datetime, such as a media player's or a schedule's, or a set), which would fail every look while such a state
 * stays reported. The content comes from `get_states` on the WebSocket connection, which serialises every value;
 * a state written only if it has not changed since the template saw it (its `last_updated` is the same).
 */

/**
 * Rows at most per rendering. A row is an entity id (at most 255 characters in HA) and two timestamps (32 each)
 * with JSON punctuation, under 340 characters: 600 rows stay well under HA's 262,144-character output limit.
 */
export const PAGE_ROWS = 600;
/** HA's limit on a template's output (MAX_TEMPLATE_OUTPUT in its helpers/template.py). */
export const HA_TEMPLATE_OUTPUT_LIMIT = 256 * 1024;

/**
 * Variables: `since` (ISO time of HA's clock at the previous look, or '' for every report), `start` (the position in
 * HA's list of states to start at) and `limit` (rows at most). Answers `{"now", "reports": [[entity_id, last_updated,
 * last_reported], …], "next"}`: `next` is the position to ask from for the rest, null when there is none.
 */
export const REPORTS_TEMPLATE = [
  '{%- set since = as_datetime(since) if since else none -%}',
  '{%- set ns = namespace(n=0, next=none) -%}',
  '{"now":{{ utcnow().isoformat() | to_json }},"reports":[',
  '{%- for s in states -%}',
  '{%- if ns.next is none and loop.index0 >= start and s.last_reported > s.last_updated',
  ' and (since is none or s.last_reported > since) -%}',
  '{%- if ns.n < limit -%}',
  '{{ "," if ns.n > 0 else "" }}[{{ s.entity_id | to_json }},{{ s.last_updated.isoformat() | to_json }},',
  '{{ s.last_reported.isoformat() | to_json }}]',
  '{%- set ns.n = ns.n + 1 -%}',
  '{%- else -%}{%- set ns.next = loop.index0 -%}{%- endif -%}',
  '{%- endif -%}',
  '{%- endfor -%}',
  '],"next":{{ ns.next | to_json }}}',
].join('');

/** One reported state: which entity, the change it still shows, and its latest unchanged report. */
export interface Report {
  entityId: string;
  lastUpdated: string;
  lastReported: string;
}

/** A state with the time of its latest unchanged report. */
export interface ReportedState extends HaState {
  last_reported: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One rendering of REPORTS_TEMPLATE, checked by shape: undefined when it is not what the template makes. */
export function parseReportsPage(text: string): { now: string; reports: Report[]; next: number | null } | undefined {
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch {
    return undefined;
  }
  if (!isObj(parsed) || typeof parsed['now'] !== 'string' || !Array.isArray(parsed['reports'])) return undefined;
  const next = parsed['next'];
  if (next !== null && !(typeof next === 'number' && Number.isSafeInteger(next) && next >= 0)) return undefined;
  const reports: Report[] = [];
  for (const r of parsed['reports']) {
    if (!Array.isArray(r) || r.length !== 3) continue;
    const [entityId, lastUpdated, lastReported] = r as unknown[];
    if (typeof entityId === 'string' && typeof lastUpdated === 'string' && typeof lastReported === 'string')
      reports.push({ entityId, lastUpdated, lastReported });
  }
  return { now: parsed['now'], reports, next };
}

/** Whether a Home Assistant version (`2025.4.4`, `2024.4.0.dev…`) has last_reported: 2024.4 or later. */
export function hasReports(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [year, month] = [Number(m[1]), Number(m[2])];
  return year > 2024 || (year === 2024 && month >= 4);
}

export interface StateReportsStats {
  /** Looks that completed. */
  polls: number;
  /** Reports handed to the pipeline (it applies the entity filter). */
  reports: number;
  /** Looks that failed (HA unreachable, an error answer, a reply of the wrong shape). */
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
  /** Whether an entity is recorded at all (the entity filter): no `get_states` for reports of none of those. */
  accepts?(entityId: string): boolean;
  /** Rows per rendering (tests make it small). Default PAGE_ROWS. */
  pageRows?: number;
  log: Logger;
}

/** Every `intervalMs`, the states reported unchanged since the last look become points. See REPORTS_TEMPLATE. */
export class StateReports implements Service {
  readonly name = 'state reports';
  readonly #stats: StateReportsStats = { polls: 0, reports: 0, failures: 0, lastError: undefined };
  /** HA's clock at the previous look: the next one lists reports after it. */
  #since: string | undefined;
  #session: HaSession | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #warnedOld = false;

  constructor(private readonly opts: StateReportsOptions) {}

  stats(): StateReportsStats {
    return { ...this.#stats };
  }

  /** Each new WebSocket session (HaSocket's onConnected): where the reported states' content is read. */
  onConnected(session: HaSession): void {
    this.#session = session;
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
    const session = this.#session;
    if (version === undefined || session === undefined || session.closed) return;
    if (!hasReports(version)) {
      if (!this.#warnedOld)
        this.opts.log.warn(`state_reports_interval_s: Home Assistant ${version} has no last_reported (2024.4+); off`);
      this.#warnedOld = true;
      return;
    }
    try {
      const { now, reports } = await this.#list();
      const wanted = new Map<string, Report>();
      for (const r of reports) if (this.opts.accepts?.(r.entityId) ?? true) wanted.set(r.entityId, r);
      if (wanted.size > 0)
        this.#stats.reports += this.#write(wanted, await session.command({ type: 'get_states' }, 30_000));
      this.#stats.polls += 1;
      this.#since = now;
      if (this.#stats.lastError !== undefined) this.opts.log.info('state reports: looking works again');
      this.#stats.lastError = undefined;
    } catch (err) {
      this.#stats.failures += 1;
      const why = (err as Error).message;
      if (this.#stats.lastError === undefined)
        this.opts.log.warn(`state reports: could not look for reported states (${why}); retrying every interval`);
      this.#stats.lastError = why;
    }
  }

  /** Every report since the previous look, page by page; `now` is HA's clock at the first page (the next `since`). */
  async #list(): Promise<{ now: string; reports: Report[] }> {
    const limit = this.opts.pageRows ?? PAGE_ROWS;
    const reports: Report[] = [];
    let now: string | undefined;
    let start = 0;
    for (;;) {
      const text = await this.opts.render(REPORTS_TEMPLATE, { since: this.#since ?? '', start, limit });
      const page = parseReportsPage(text);
      if (!page) throw new Error(`unexpected answer: ${text.slice(0, 120)}`);
      now ??= page.now;
      reports.push(...page.reports);
      // Positions only grow, so this ends; a page that does not move on would be a template bug. A state removed
      // between two pages shifts the rest by one: at worst one report is missed until that entity reports again.
      if (page.next === null || page.next <= start) return { now, reports };
      start = page.next;
    }
  }

  /** Writes the states of `wanted` that get_states shows unchanged since their report; how many. */
  #write(wanted: ReadonlyMap<string, Report>, states: unknown): number {
    let written = 0;
    for (const s of Array.isArray(states) ? states : []) {
      if (!isHaState(s)) continue;
      const r = wanted.get(s.entity_id);
      // Changed since the template looked: its report is of a content HA no longer holds (the change has its point).
      if (r === undefined || isoToMicros(s.last_updated) !== isoToMicros(r.lastUpdated)) continue;
      this.opts.write({ ...s, last_reported: r.lastReported });
      written += 1;
    }
    return written;
  }
}
