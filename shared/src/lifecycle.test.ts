import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { jsonParseHasKeyBug } from './json-text.js';
import { createLogger, LogSecrets } from './logger.js';
import { runMain, ServiceGroup, type Composition, type Service } from './lifecycle.js';

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

/**
 * A service whose start waits (at most `maxMs`) and ends early when the group's signal says stop, the way
 * influxd's readiness wait does. `release` lets a test end the wait itself.
 */
function slow(
  name: string,
  events: string[],
  maxMs = 3_000,
): Service & { release: () => void; starting: Promise<void> } {
  let release = (): void => undefined;
  let entered = (): void => undefined;
  const starting = new Promise<void>((r) => (entered = r));
  return {
    name,
    starting,
    release: () => release(),
    start: (signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        events.push(`starting ${name}`);
        entered();
        const timer = setTimeout(() => reject(new Error(`${name} gave up after ${maxMs} ms`)), maxMs);
        release = () => {
          clearTimeout(timer);
          events.push(`start ${name}`);
          resolve();
        };
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          events.push(`start ${name} interrupted`);
          reject(new Error(`${name} interrupted`));
        });
      }),
    stop: async () => {
      events.push(`stop ${name}`);
    },
  };
}

/** A stand-in for `process`: records exits; signals are emitted by the test. */
function fakeProc(): NodeJS.Process & { exits: number[]; exited: Promise<number> } {
  const p = new EventEmitter() as unknown as NodeJS.Process & { exits: number[]; exited: Promise<number> };
  let onExit: (code: number) => void = () => undefined;
  p.exited = new Promise((r) => (onExit = r));
  p.exits = [];
  Object.assign(p, {
    env: { SUPERVISOR_TOKEN: 'test-token', HOMEIQ_DATA_DIR: '/nonexistent' },
    exit: (code: number) => {
      p.exits.push(code);
      onExit(code);
    },
  });
  return p;
}

function main(proc: NodeJS.Process, services: Service[]): Promise<void> {
  const composition: Composition = { log, services };
  return runMain({ name: 'lifecycle-test', stopTimeoutMs: 5_000, proc, compose: async () => composition });
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

  it('a stop during a start interrupts it, stops that service too, in order, and starts nothing more', async () => {
    const events: string[] = [];
    const b = slow('b', events);
    const g = new ServiceGroup([svc('a', events), b, svc('c', events)], log);
    const started = g.start();
    started.catch(() => undefined);
    await b.starting;
    const t0 = Date.now();
    await g.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    await expect(started).rejects.toThrow(/stop/);
    expect(events).toEqual(['start a', 'starting b', 'start b interrupted', 'stop b', 'stop a']);
  });

  it('a service whose start completes despite the stop is stopped once it has', async () => {
    const events: string[] = [];
    // Ignores the signal (like a quick start that cannot be interrupted): the stop waits for it.
    const b = slow('b', events);
    const plain: Service = { name: 'b', start: () => b.start(), stop: () => b.stop() };
    const g = new ServiceGroup([svc('a', events), plain, svc('c', events)], log);
    const started = g.start();
    started.catch(() => undefined);
    await b.starting;
    const stopped = g.stop();
    setTimeout(() => b.release(), 50);
    await stopped;
    await expect(started).rejects.toThrow(/stop/);
    expect(events).toEqual(['start a', 'starting b', 'start b', 'stop b', 'stop a']);
  });
});

describe('runMain', () => {
  it('SIGTERM during start-up stops every service in order, then exits 0', async () => {
    const events: string[] = [];
    const proc = fakeProc();
    const b = slow('b', events);
    // c's stop is slow: the exit must wait for it.
    const a: Service = {
      name: 'a',
      start: async () => void events.push('start a'),
      stop: async () => {
        await new Promise((r) => setTimeout(r, 200));
        events.push('stop a');
      },
    };
    void main(proc, [a, b, svc('c', events)]);
    await b.starting;
    proc.emit('SIGTERM');
    const code = await proc.exited;
    expect(code).toBe(0);
    expect(proc.exits).toEqual([0]);
    expect(events).toEqual(['start a', 'starting b', 'start b interrupted', 'stop b', 'stop a']);
  });

  it('an uncaught exception: the exit code is 1 even if the stop never ends and nothing keeps the process up', async () => {
    const proc = fakeProc();
    // A stop waiting on a promise no handle will ever settle: the real event loop would run dry, and Node.js
    // end the process with process.exitCode (0 before this was set) without the deadline's exit(1).
    const stuck: Service = { name: 'stuck', start: async () => undefined, stop: () => new Promise(() => undefined) };
    await main(proc, [stuck]);
    proc.emit('uncaughtException', new Error('planted'));
    expect(proc.exitCode).toBe(1);
    expect(proc.exits).toEqual([]);
  });

  it("logs at start, once, whether this runtime's JSON.parse has the escaped-key bug", async () => {
    const lines: string[] = [];
    const captured = createLogger({ level: 'info', name: 't', secrets: new LogSecrets(), write: (l) => lines.push(l) });
    const proc = fakeProc();
    await runMain({ name: 't', stopTimeoutMs: 5_000, proc, compose: async () => ({ log: captured, services: [] }) });
    const said = lines.filter((l) => /has V8's JSON\.parse escaped-key bug/.test(l));
    expect(said).toHaveLength(jsonParseHasKeyBug() ? 1 : 0);
    // Node 24, the production runtime (and the one the project installs for its tests), has it.
    if (process.versions.node.startsWith('24.')) expect(said).toHaveLength(1);
  });

  it('a start-up failure not caused by a stop exits 1 after stopping what had started', async () => {
    const events: string[] = [];
    const proc = fakeProc();
    void main(proc, [svc('a', events), svc('b', events, true), svc('c', events)]);
    const code = await proc.exited;
    expect(code).toBe(1);
    expect(events).toEqual(['start a', 'stop a']);
  });

  it('a start-up failure stays a failure when a SIGTERM arrives while it is being cleaned up', async () => {
    const events: string[] = [];
    const proc = fakeProc();
    let entered = (): void => undefined;
    const stopping = new Promise<void>((r) => (entered = r));
    const a: Service = {
      name: 'a',
      start: async () => void events.push('start a'),
      stop: async () => {
        entered();
        await new Promise((r) => setTimeout(r, 200));
        events.push('stop a');
      },
    };
    void main(proc, [a, svc('b', events, true)]);
    await stopping;
    proc.emit('SIGTERM');
    const code = await proc.exited;
    expect(code).toBe(1);
    expect(events).toEqual(['start a', 'stop a']);
  });
});
