import type { HealthCheck } from '@homeiq/shared';
import { bytes, count, duration } from '@homeiq/shared/format';
import type { Figures } from './figures.js';

/** One problem as a Home Assistant notification: the id stays the same while the problem lasts and across restarts. */
export interface Alert {
  id: string;
  title: string;
  /** Markdown: what is happening in numbers, what to do, where to look. */
  message: string;
}

/** Where a notification sends the user: the HomeIQ panel when the admin add-on is installed, else the log. */
export interface AlertLinks {
  /** `/hassio/ingress/<admin slug>`, or undefined without the admin add-on. */
  panel: string | undefined;
  /** `/hassio/addon/<ingestor slug>/logs`. */
  log: string | undefined;
}

/** Every HomeIQ notification id starts with this; ids HomeIQ no longer raises are dismissed on sight. */
export const ALERT_PREFIX = 'homeiq_';

/** Spool fill that raises the spool alert, and the fill below which it may clear (hysteresis). */
export const SPOOL_RAISE = 0.8;
export const SPOOL_CLEAR = 0.7;

/** Checks of the ingestor that an alert below covers, or that cannot be told through Home Assistant at all. */
const COVERED = new Set(['influxdb-writes', 'spool', 'spool-disk', 'quarantine', 'home-assistant']);

const MB = 1024 * 1024;
/** A span of milliseconds in the panel's words (`45 s`, `4 min 12 s`, `2 h 5 min`). */
const span = (ms: number): string => duration(Math.max(0, Math.round(ms / 1000)));
const pct = (part: number, whole: number): string => {
  const p = (part * 100) / Math.max(whole, 1);
  return p > 0 && p < 1 ? 'under 1 %' : `${Math.round(p)} %`;
};

function where(links: AlertLinks, page: string): string {
  if (links.panel) return `[Open the HomeIQ panel](${links.panel}) and go to **${page}**.`;
  return links.log
    ? `The HomeIQ Admin add-on is not installed, so there is no panel to open; [the ingestor's log](${links.log}) has the details.`
    : "The ingestor's log has the details.";
}

/**
 * The problems HomeIQ tells the user about, judged on one sample of the figures. `raised` holds the ids that
 * are notified now, for the bands that must not flap (the spool raises at 80 % and clears below 70 %). Each
 * message says what is happening in numbers, what to do and where to look.
 */
export function detectAlerts(f: Figures, raised: ReadonlySet<string>, links: AlertLinks): Alert[] {
  const out: Alert[] = [];
  const check = (name: string): HealthCheck | undefined => f.health.checks.find((c) => c.name === name);
  const sibling = f.influxdb;
  const backlog =
    f.spool.bytes > 0
      ? `${bytes(f.spool.bytes)} of points wait in the spool (${pct(f.spool.bytes, f.spool.maxBytes)} of spool_max_mb, ` +
        `${Math.round(f.spool.maxBytes / MB)} MB); the oldest has waited ${span(f.spool.oldestUnsentAgeS * 1000)}.`
      : '';

  // InfluxDB is not taking points while points wait: the data is only in the spool.
  const writes = check('influxdb-writes');
  const influxFailing = writes !== undefined && writes.status !== 'green' && f.spool.bytes > 0;
  if (influxFailing) {
    const since = f.writer.failingSince ? Date.parse(f.writer.failingSince) : f.at;
    const lines = [
      `HomeIQ has not been able to write to InfluxDB for ${span(f.at - since)}: ${f.writer.lastError ?? writes.reason}.`,
      `${backlog} Nothing is lost while the spool has room${fillEta(f)}.`,
    ];
    if (sibling && !sibling.ok) lines.push(`The HomeIQ InfluxDB add-on does not answer: ${sibling.error}.`);
    else if (sibling?.ok) {
      const bad = sibling.summary.health.checks.filter((c) => c.status !== 'green');
      if (bad.length > 0) lines.push(`The HomeIQ InfluxDB add-on says: ${bad.map((c) => c.reason).join('; ')}.`);
    }
    const todo = sibling
      ? 'Start the HomeIQ InfluxDB add-on if it is stopped, or look at its log.'
      : "Check that your InfluxDB is running and reachable, and the ingestor's InfluxDB target options.";
    lines.push(`**What to do:** ${todo} ${where(links, 'Overview')}`);
    out.push({ id: `${ALERT_PREFIX}influxdb`, title: 'HomeIQ cannot write to InfluxDB', message: lines.join('\n\n') });
  }

  const fill = f.spool.bytes / Math.max(f.spool.maxBytes, 1);
  const spoolId = `${ALERT_PREFIX}spool_full`;
  if (f.spool.full || fill >= SPOOL_RAISE || (raised.has(spoolId) && fill >= SPOOL_CLEAR)) {
    out.push({
      id: spoolId,
      title: f.spool.full ? 'HomeIQ spool full: new points are refused' : 'HomeIQ spool almost full',
      message: [
        `${bytes(f.spool.bytes)} of points wait to be sent to InfluxDB: ${pct(f.spool.bytes, f.spool.maxBytes)} of spool_max_mb (${Math.round(f.spool.maxBytes / MB)} MB).`,
        f.spool.full
          ? "New points are refused now. The state changes among them are recovered from Home Assistant's recorder once there is room; other events are lost."
          : "At 100 % new points are refused; state changes are recovered later from Home Assistant's recorder, other events are lost.",
        `**What to do:** make InfluxDB take points again (see the InfluxDB notification or the add-on's log), or raise spool_max_mb in the ingestor's Configuration tab if the disk has room. ${where(links, 'Overview')}`,
      ].join('\n\n'),
    });
  }

  if (f.spool.commitError !== undefined) {
    out.push({
      id: `${ALERT_PREFIX}spool_disk`,
      title: 'HomeIQ cannot write its spool to disk',
      message: [
        `Writing the spool fails: ${f.spool.commitError}. New points wait in memory and are retried; once spool_max_mb is reached they are refused.`,
        `**What to do:** free space on the data disk, or check it for errors. ${where(links, 'Overview')}`,
      ].join('\n\n'),
    });
  }

  const q = f.quarantine;
  const dropping = check('quarantine')?.status === 'amber';
  if (q.count > 0 || dropping) {
    out.push({
      id: `${ALERT_PREFIX}quarantine`,
      title: 'InfluxDB refused points: they are in the quarantine',
      message: [
        `InfluxDB refused ${count(q.count)} point${q.count === 1 ? '' : 's'} for their content. They are kept aside (${bytes(q.bytes)}) and are not in InfluxDB.` +
          (dropping ? ` The quarantine is full: ${count(q.dropped)} more were dropped since the add-on started.` : ''),
        `**What to do:** look at the reason InfluxDB gave for each point, fix the cause, then retry or discard them. ${where(links, 'Quarantine')}`,
      ].join('\n\n'),
    });
  }

  const imp = f.import;
  if (imp?.state === 'failed') {
    out.push({
      id: `${ALERT_PREFIX}import`,
      title: 'HomeIQ history import failed',
      message: [
        `The import of the last ${imp.days} days of history stopped at ${Math.round(imp.progress * 100)} %` +
          `${imp.reached ? ` (it reached ${imp.reached})` : ''} after writing ${count(imp.points)} points: ${imp.lastError ?? 'no reason given'}. What it wrote stays in InfluxDB.`,
        `**What to do:** start the import again; it continues where it stopped. ${where(links, 'Import')}`,
      ].join('\n\n'),
    });
  }

  if (sibling?.ok) {
    const tasks = sibling.summary.health.checks.find((c) => c.name === 'tasks');
    if (tasks && tasks.status !== 'green') {
      out.push({
        id: `${ALERT_PREFIX}downsampling`,
        title: 'HomeIQ downsampling failed',
        message: [
          `${tasks.reason}. The downsampled buckets miss what the task did not write; the raw bucket keeps the data until its retention ends.`,
          `**What to do:** look at the task's runs, fix the cause and run it again. ${where(links, 'Storage')}`,
        ].join('\n\n'),
      });
    }
    // Any other red check of the InfluxDB add-on, unless the InfluxDB alert above already tells it.
    if (!influxFailing) {
      for (const c of sibling.summary.health.checks)
        if (c.status === 'red' && c.name !== 'tasks') out.push(fromCheck(c, 'influxdb', 'HomeIQ InfluxDB', links));
    }
  }
  // Any red check of the ingestor that no alert above covers (checks added later are told too).
  for (const c of f.health.checks)
    if (c.status === 'red' && !COVERED.has(c.name)) out.push(fromCheck(c, 'ingestor', 'HomeIQ Ingestor', links));
  return out;
}

function fromCheck(c: HealthCheck, addon: string, title: string, links: AlertLinks): Alert {
  return {
    id: `${ALERT_PREFIX}${addon}_${c.name.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`,
    title: `${title}: ${c.name}`,
    message: [c.reason, `**What to do:** ${c.hint ?? 'see the add-on log.'} ${where(links, 'Overview')}`].join('\n\n'),
  };
}

/** "; at the pace so far it is full in about 3 h": the backlog over its age, once it is a minute old. */
function fillEta(f: Figures): string {
  const age = f.spool.oldestUnsentAgeS;
  if (age < 60 || f.spool.bytes <= 0) return '';
  const perS = f.spool.bytes / age;
  const left = (f.spool.maxBytes - f.spool.bytes) / perS;
  return left > 0 ? `; at the pace so far it is full in about ${span(left * 1000)}` : '';
}
