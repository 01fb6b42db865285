import { describe, expect, it } from 'vitest';
import { LineSplitter, parseInfluxdLine } from './log-line.js';

describe('parseInfluxdLine', () => {
  it('maps influxd levels onto ours and keeps the useful fields', () => {
    const l = parseInfluxdLine(
      'ts=2026-11-24T09:11:13.871Z lvl=info msg="Resources opened" log_id=16kD0 service=bolt path=/data/x.bolt',
    );
    expect(l).toEqual({ level: 'debug', msg: 'Resources opened', fields: { service: 'bolt', path: '/data/x.bolt' } });
    expect(parseInfluxdLine('ts=x lvl=error msg="Failed \\"x\\"" error="disk full"')).toMatchObject({
      level: 'error',
      msg: 'Failed "x"',
      fields: { error: 'disk full' },
    });
    expect(parseInfluxdLine('ts=x lvl=warn msg=short').level).toBe('warn');
  });

  it('treats a line that is not logfmt (a Go panic) as an error', () => {
    expect(parseInfluxdLine('panic: runtime error: invalid memory address')).toEqual({
      level: 'error',
      msg: 'panic: runtime error: invalid memory address',
      fields: {},
    });
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks', () => {
    const out: string[] = [];
    const s = new LineSplitter();
    s.push('a=1\nb=', (l) => out.push(l));
    s.push('2\n\n', (l) => out.push(l));
    expect(out).toEqual(['a=1', 'b=2']);
  });
});
