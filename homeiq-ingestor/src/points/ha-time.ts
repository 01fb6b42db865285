import { isoToMicros } from '../ha/history.js';
import {
  haMinuteInRange,
  haMinuteSeconds,
  haSecond,
  isHaIso,
  isoToNsGeneral,
  MAX_SAFE_SECONDS,
} from './line-protocol.js';

/**
 * Timestamps of live events, parsed once: the same results as `isoToNs` (line-protocol.ts) and `isoToMicros`
 * (ha/history.ts), tested against them. Owned by one EventEncoder (not shared between encoders: no module state).
 *
 * Two caches, both one entry:
 * - the last timestamp parsed: the pipeline reads a live event's `last_updated` as µs for its digest, then the
 *   encoder reads the very same string as ns for the line; the second read is a string comparison;
 * - the start of the last minute seen: events arrive in time order, so consecutive ones share the minute and
 *   Date.UTC runs about once a minute.
 */
export class HaTimestamps {
  /** `iso.slice(0, 16)` of the minute cached; undefined before the first. */
  #minuteKey: string | undefined;
  #minuteSeconds = Number.NaN;
  #minuteValid = false;
  #iso = '';
  /** Whole seconds of `#iso`, undefined when it is not in HA's own form or haMinuteSeconds gives NaN. */
  #seconds: number | undefined;
  /** Whether `#iso` passes isoToNs's range checks. */
  #valid = false;
  /** The six fraction digits of `#iso` (when `#seconds` is set). */
  #fraction = '';

  /** `haIsoSeconds(iso, validate)` of line-protocol.ts. */
  seconds(iso: string, validate: boolean): number | undefined {
    if (iso !== this.#iso) this.#parse(iso);
    return validate && !this.#valid ? undefined : this.#seconds;
  }

  /** `isoToNs(iso)`. */
  ns(iso: string): string | undefined {
    const seconds = this.seconds(iso, true);
    // Beyond MAX_SAFE_SECONDS the fraction decides whether it is within InfluxDB's range: the general parser checks.
    if (seconds !== undefined && seconds > 0 && seconds < MAX_SAFE_SECONDS) return `${seconds}${this.#fraction}000`;
    return isoToNsGeneral(iso);
  }

  /** `isoToMicros(iso)`. */
  micros(iso: string): number | undefined {
    const seconds = this.seconds(iso, false);
    return seconds === undefined ? isoToMicros(iso) : seconds * 1_000_000 + Number(this.#fraction);
  }

  #parse(iso: string): void {
    this.#iso = iso;
    this.#seconds = undefined;
    this.#valid = false;
    // In the minute cached, the first 16 characters are known to be in HA's form: only the rest needs checking.
    const sameMinute = this.#minuteKey !== undefined && iso.length === 32 && iso.startsWith(this.#minuteKey);
    if (!(sameMinute ? haIsoTail(iso) : isHaIso(iso))) return;
    if (!sameMinute) {
      this.#minuteSeconds = haMinuteSeconds(iso);
      this.#minuteValid = haMinuteInRange(iso);
      this.#minuteKey = iso.slice(0, 16);
    }
    if (!Number.isFinite(this.#minuteSeconds)) return;
    const s = haSecond(iso);
    this.#seconds = this.#minuteSeconds + s;
    this.#valid = this.#minuteValid && s <= 60;
    this.#fraction = iso.slice(20, 26);
  }
}

/** Whether characters 16 to 31 of a 32-character string are those of HA's own form: `:ss.ffffff+00:00`. */
function haIsoTail(iso: string): boolean {
  if (iso.charCodeAt(16) !== 58 || iso.charCodeAt(19) !== 46 || !iso.endsWith('+00:00')) return false;
  for (let i = 17; i < 26; i += 1) {
    const c = iso.charCodeAt(i);
    if (i !== 19 && (c < 48 || c > 57)) return false;
  }
  return true;
}
