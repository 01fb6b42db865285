import { isoToNsGeneral } from '../points/line-protocol.js';

/**
 * RFC 3339 times as InfluxDB prints them (`2026-01-01T00:04:19.2001Z`: UTC, 0 to 9 fraction digits) → ns digits,
 * exactly, without BigInt: the whole seconds come from Date.UTC once per minute (the points of a window are close
 * in time), the fraction is appended as text. Anything else goes through isoToNsGeneral. One per source read.
 */
export class TimeReader {
  #minute = '';
  #minuteSeconds = 0;

  ns(t: string): string | undefined {
    // YYYY-MM-DDTHH:MM:SS then `Z` or `.digits Z`; years 1970…2261 stay within InfluxDB's range whatever the fraction.
    const n = t.length;
    if (n < 20 || t.charCodeAt(n - 1) !== 90 /* Z */ || t.charCodeAt(10) !== 84 /* T */ || t < '1970' || t >= '2262')
      return isoToNsGeneral(t);
    const minute = t.slice(0, 16);
    if (minute !== this.#minute) {
      const ms = Date.parse(`${minute}:00Z`);
      if (!Number.isFinite(ms)) return isoToNsGeneral(t);
      this.#minute = minute;
      this.#minuteSeconds = ms / 1000;
    }
    const s1 = t.charCodeAt(17) - 48;
    const s2 = t.charCodeAt(18) - 48;
    if (t.charCodeAt(16) !== 58 || s1 < 0 || s1 > 6 || s2 < 0 || s2 > 9) return isoToNsGeneral(t);
    let frac = '';
    if (n > 20) {
      if (t.charCodeAt(19) !== 46 /* . */ || n > 30) return isoToNsGeneral(t);
      frac = t.slice(20, n - 1);
      for (let i = 0; i < frac.length; i += 1) {
        const c = frac.charCodeAt(i);
        if (c < 48 || c > 57) return isoToNsGeneral(t);
      }
    } else if (n !== 20) return isoToNsGeneral(t);
    const seconds = this.#minuteSeconds + s1 * 10 + s2;
    return seconds === 0 ? isoToNsGeneral(t) : `${seconds}${frac.padEnd(9, '0')}`;
  }
}
