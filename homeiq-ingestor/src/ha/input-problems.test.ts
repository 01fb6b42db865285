import { createLogger, LogSecrets } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { InputProblems } from './input-problems.js';

function rig() {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', name: 't', secrets: new LogSecrets(), write: (l) => void lines.push(l) });
  return { lines, problems: new InputProblems(log) };
}

describe('InputProblems', () => {
  it('counts every bad frame, malformed message, unknown type and handler failure; logs each kind once', () => {
    const { lines, problems } = rig();
    for (let i = 0; i < 3; i += 1) {
      problems.badFrame();
      problems.invalid('event');
      problems.invalid('result');
      problems.unknown('surprise');
      problems.handlerFailed('event', new Error('bug'));
    }
    problems.unknown({ not: 'a string' });
    expect(problems.counts()).toEqual({
      badFrames: 3,
      invalidMessages: { event: 3, result: 3 },
      handlerErrors: 3,
      unknownMessages: 4,
    });
    expect(lines.map((l) => l.replace(/^\S+ \S+ /, ''))).toEqual([
      'WARN  received a frame that is not a Home Assistant message; counting and ignoring such frames\n',
      "WARN  received a malformed 'event' message from Home Assistant; leaving such messages out (counted in /metrics, logged once per kind)\n",
      "WARN  received a malformed 'result' message from Home Assistant; leaving such messages out (counted in /metrics, logged once per kind)\n",
      "INFO  ignoring unknown message type 'surprise' (logged once per type)\n",
      "ERROR handling a 'event' message from Home Assistant failed; the message is left out and the connection kept (counted in /metrics, logged once per type): Error: bug\n",
      "INFO  ignoring unknown message type '[object Object]' (logged once per type)\n",
    ]);
  });

  it('remembers at most 100 types for "logged once", and cuts a type to 40 characters', () => {
    const { lines, problems } = rig();
    for (let i = 0; i < 500; i += 1) problems.unknown(`type-${i}-${'x'.repeat(100)}`);
    expect(problems.counts().unknownMessages).toBe(500);
    expect(lines).toHaveLength(100);
    expect(lines[0]).toContain(`'type-0-${'x'.repeat(33)}'`);
  });

  it('hands out copies: the counts it returned do not move', () => {
    const { problems } = rig();
    const before = problems.counts();
    problems.invalid('pong');
    expect(before.invalidMessages).toEqual({});
    expect(problems.counts().invalidMessages).toEqual({ pong: 1 });
  });
});
