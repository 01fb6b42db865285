import { describe, expect, it } from 'vitest';
import { createLogger, LogSecrets, pinoLevel } from './logger.js';

function capture(level: Parameters<typeof createLogger>[0]['level'], secrets = new LogSecrets()) {
  const lines: string[] = [];
  const log = createLogger({ level, name: 'homeiq-test', secrets, write: (l) => lines.push(l) });
  return { log, lines, secrets };
}

describe('logger', () => {
  it('prints one readable line per record with the module and extra fields', () => {
    const { log, lines } = capture('info');
    log.child({ module: 'ha/socket' }).info({ reconnects: 2, url: 'ws://x y' }, 'connected');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO {2}\[ha\/socket\] connected \(reconnects=2 url="ws:\/\/x y"\)\n$/,
    );
  });

  it('honours the level, mapping the Supervisor names onto pino', () => {
    const { log, lines } = capture('warning');
    log.info('hidden');
    log.warn('shown');
    expect(lines.join('')).not.toContain('hidden');
    expect(lines.join('')).toContain('WARN  shown');
    expect(pinoLevel('notice')).toBe('info');
    expect(pinoLevel('trace')).toBe('trace');
  });

  it('redacts secrets by key and by value, also inside messages and errors', () => {
    const secrets = new LogSecrets();
    const token = 'supersecret-token-value-123';
    secrets.add(token);
    const { log, lines } = capture('debug', secrets);
    log.info({ token: 'another-secret-by-key', headers: { authorization: 'Bearer abcdefgh' } }, 'auth');
    log.info(`sending ${token} in a message`);
    log.error({ err: new Error(`boom ${token}`) }, 'failed');
    const all = lines.join('');
    expect(all).not.toContain(token);
    expect(all).not.toContain('another-secret-by-key');
    expect(all).not.toContain('abcdefgh');
    expect(all.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('keeps a record on one line whatever its message and error hold, and shows a thrown non-Error', () => {
    const { log, lines } = capture('info');
    log.fatal({ err: new Error('first\r\nsecond\nthird\rfourth') }, 'uncaught exception\nin a handler');
    log.fatal({ err: 'a thrown string' }, 'uncaught exception');
    expect(lines).toEqual([
      expect.stringMatching(/FATAL uncaught exception\\nin a handler: Error: first\\nsecond\\nthird\\nfourth\n$/),
      expect.stringMatching(/FATAL uncaught exception: "a thrown string"\n$/),
    ]);
    expect(lines.join('').split('\n')).toHaveLength(3);
  });

  it('shows error stacks only at debug and below', () => {
    const info = capture('info');
    info.log.error({ err: new Error('bad') }, 'op failed');
    expect(info.lines[0]).toContain('op failed: Error: bad');
    expect(info.lines[0]).not.toContain('at ');
    const debug = capture('debug');
    debug.log.error({ err: new Error('bad') }, 'op failed');
    expect(debug.lines[0]).toContain('    at ');
  });
});
