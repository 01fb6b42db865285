import { describe, expect, it } from 'vitest';
import { createLogger, LogSecrets } from './logger.js';
import { ServiceGroup, type Service } from './lifecycle.js';

const log = createLogger({ level: 'fatal', name: 't', secrets: new LogSecrets(), write: () => {} });

function svc(name: string, events: string[], failStart = false): Service {
  return {
    name,
    start: async () => {
      if (failStart) throw new Error(`${name} cannot start`);
      events.push(`start ${name}`);
    },
    stop: async () => {
      events.push(`stop ${name}`);
    },
  };
}

describe('ServiceGroup', () => {
  it('starts in order and stops in reverse', async () => {
    const events: string[] = [];
    const g = new ServiceGroup([svc('a', events), svc('b', events), svc('c', events)], log);
    await g.start();
    await g.stop();
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops what had started when a later service fails to start', async () => {
    const events: string[] = [];
    const g = new ServiceGroup([svc('a', events), svc('b', events), svc('c', events, true)], log);
    await expect(g.start()).rejects.toThrow('c cannot start');
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });
});
