import { randomBytes } from 'node:crypto';

// HA keeps time as float seconds with microsecond resolution. We keep integer
// microseconds so equality checks (last_changed == last_updated) are exact.

export type Micros = number;

export class Clock {
  private last: Micros = 0;

  /** Strictly increasing, so two writes never share a timestamp. */
  now(): Micros {
    const t = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    this.last = t > this.last ? t : this.last + 1;
    return this.last;
  }
}

export function toSeconds(us: Micros): number {
  return us / 1_000_000;
}

/** Python `datetime.isoformat()` of a UTC datetime: the fraction is dropped when it is zero. */
export function isoFromMicros(us: Micros): string {
  const ms = Math.floor(us / 1000);
  const base = new Date(ms).toISOString().slice(0, 19);
  const micro = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  return micro === 0 ? `${base}+00:00` : `${base}.${String(micro).padStart(6, '0')}+00:00`;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Like `dt_util.parse_datetime` + `as_utc` with a UTC home time zone: naive
 * times count as UTC. Returns undefined for anything HA would reject.
 */
export function parseIsoMicros(text: string): Micros | undefined {
  const m = ISO_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
    ms -= sign * offMin * 60_000;
  }
  return ms * 1000 + Number(frac.padEnd(6, '0'));
}

export function toMicros(value: Date | string): Micros {
  if (value instanceof Date) return value.getTime() * 1000;
  const us = parseIsoMicros(value);
  if (us === undefined) throw new Error(`not an ISO timestamp: ${value}`);
  return us;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ULID whose time part is `us` — HA builds context ids with `ulid_at_time`. */
export function ulidAt(us: Micros): string {
  let time = BigInt(Math.floor(us / 1000));
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[Number(time & 31n)] + out;
    time >>= 5n;
  }
  let rnd = BigInt(`0x${randomBytes(10).toString('hex')}`);
  let tail = '';
  for (let i = 0; i < 16; i++) {
    tail = CROCKFORD[Number(rnd & 31n)] + tail;
    rnd >>= 5n;
  }
  return out + tail;
}

/** HA's `uuid_util.random_uuid_hex`: 32 lowercase hex chars. */
export function randomHex(): string {
  return randomBytes(16).toString('hex');
}
