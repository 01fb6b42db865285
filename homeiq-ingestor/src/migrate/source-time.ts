import { haMinuteInRange, haMinuteSeconds, isoToNsGeneral } from '../points/line-protocol.js';

/** The day of InfluxDB's RFC 3339 form, `YYYY-MM-DDT` (its fields then checked by haMinuteInRange). */
const DAY = /^\d{4}-\d\d-\d\dT$/;

/** Two digits at `at` as a number, or -1. */
function twoDigits(t: string, at: number): number {
  const a = t.charCodeAt(at) - 48;
  const b = t.charCodeAt(at + 1) - 48;
  return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b;
}

/**
 * RFC 3339 times as InfluxDB prints them (`2026-01-01T00:04:19.2001Z`: UTC, 0 to 9 fraction digits) → ns digits,
 * exactly, without BigInt: the whole seconds of the day are computed once per day (a window's answer switches
 * series, and so minutes, at every few rows, but rarely days), the fraction is appended as text. Anything else, and anything the general parser would
 * refuse, goes through isoToNsGeneral, so the answer is always its answer. One per source read.
 */
export class TimeReader {
  #day = '';
  #daySeconds = 0;

  ns(t: string): string | undefined {
    // YYYY-MM-DDTHH:MM:SS then `Z` or `.` 1 to 9 digits `Z`; years 1970…2261 stay within InfluxDB's range.
    const n = t.length;
    if (n < 20 || n === 21 || n > 30 || t.charCodeAt(n - 1) !== 90 /* Z */ || t.charCodeAt(16) !== 58 /* : */)
      return isoToNsGeneral(t);
    if (t < '1970' || t >= '2262') return isoToNsGeneral(t);
    if (this.#day === '' || !t.startsWith(this.#day)) {
      const day = t.slice(0, 11);
      // The day's own checks, with the hour and minute of midnight (always in range).
      const midnight = `${day}00:00`;
      if (!DAY.test(day) || !haMinuteInRange(midnight)) return isoToNsGeneral(t);
      const s = haMinuteSeconds(midnight);
      if (!Number.isFinite(s)) return isoToNsGeneral(t);
      this.#day = day;
      this.#daySeconds = s;
    }
    const hour = twoDigits(t, 11);
    const minute = twoDigits(t, 14);
    if (hour < 0 || hour > 23 || t.charCodeAt(13) !== 58 /* : */ || minute < 0 || minute > 59) return isoToNsGeneral(t);
    const s1 = t.charCodeAt(17) - 48;
    const s2 = t.charCodeAt(18) - 48;
    if (s1 < 0 || s1 > 6 || s2 < 0 || s2 > 9 || s1 * 10 + s2 > 60) return isoToNsGeneral(t);
    let frac = '';
    if (n > 20) {
      if (t.charCodeAt(19) !== 46 /* . */) return isoToNsGeneral(t);
      frac = t.slice(20, n - 1);
      for (let i = 0; i < frac.length; i += 1) {
        const c = frac.charCodeAt(i);
        if (c < 48 || c > 57) return isoToNsGeneral(t);
      }
    }
    const seconds = this.#daySeconds + hour * 3600 + minute * 60 + s1 * 10 + s2;
    // The epoch's own second would print with leading zeros.
    return seconds <= 0 ? isoToNsGeneral(t) : `${seconds}${frac.padEnd(9, '0')}`;
  }
}
