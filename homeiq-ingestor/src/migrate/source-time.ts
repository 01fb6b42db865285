import { haMinuteInRange, haMinuteSeconds, isoToNsGeneral } from '../points/line-protocol.js';

/** The minute of InfluxDB's RFC 3339 form, `YYYY-MM-DDTHH:MM` (its fields then checked by haMinuteInRange). */
const MINUTE = /^\d{4}-\d\d-\d\dT\d\d:\d\d$/;

/**
 * RFC 3339 times as InfluxDB prints them (`2026-01-01T00:04:19.2001Z`: UTC, 0 to 9 fraction digits) → ns digits,
 * exactly, without BigInt: the whole seconds of the minute are computed once per minute (the points of a window
 * are close in time), the fraction is appended as text. Anything else, and anything the general parser would
 * refuse, goes through isoToNsGeneral, so the answer is always its answer. One per source read.
 */
export class TimeReader {
  #minute = '';
  #minuteSeconds = 0;

  ns(t: string): string | undefined {
    // YYYY-MM-DDTHH:MM:SS then `Z` or `.` 1 to 9 digits `Z`; years 1970…2261 stay within InfluxDB's range.
    const n = t.length;
    if (n < 20 || n === 21 || n > 30 || t.charCodeAt(n - 1) !== 90 /* Z */ || t.charCodeAt(16) !== 58 /* : */)
      return isoToNsGeneral(t);
    if (t < '1970' || t >= '2262') return isoToNsGeneral(t);
    const minute = t.slice(0, 16);
    if (minute !== this.#minute) {
      if (!MINUTE.test(minute) || !haMinuteInRange(t)) return isoToNsGeneral(t);
      const s = haMinuteSeconds(t);
      if (!Number.isFinite(s)) return isoToNsGeneral(t);
      this.#minute = minute;
      this.#minuteSeconds = s;
    }
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
    const seconds = this.#minuteSeconds + s1 * 10 + s2;
    // The epoch's own second would print with leading zeros.
    return seconds <= 0 ? isoToNsGeneral(t) : `${seconds}${frac.padEnd(9, '0')}`;
  }
}
