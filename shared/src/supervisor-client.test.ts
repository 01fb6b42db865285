import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SupervisorClient } from './supervisor-client.js';

// What GET /services/mqtt answers is checked by shape: its strings become MQTT fields and its port a socket's.
// The Supervisor emulator answers well-formed; a server on loopback answers anything.
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function supervisorAnswering(status: number, body: unknown): Promise<SupervisorClient> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.64.2', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  const { port } = server.address() as { port: number };
  return new SupervisorClient({ baseUrl: `http://127.0.64.2:${port}`, token: 't' });
}

describe('SupervisorClient.mqttService', () => {
  it('returns the broker, undefined while no broker is offered, and refuses a malformed answer without its values', async () => {
    const broker = { host: 'core-mosquitto', port: 1883, ssl: false, protocol: '3.1.1', username: 'u', password: 'p' };
    expect(await (await supervisorAnswering(200, { result: 'ok', data: broker })).mqttService()).toEqual(broker);
    const none = await supervisorAnswering(400, { result: 'error', message: 'Service not enabled' });
    expect(await none.mqttService()).toBeUndefined();
    for (const data of [
      { host: 'h', port: '1883' },
      { host: 'h', port: 1883, username: 42, password: 'secret-value' },
      { host: 'h', port: 1883, password: 'x'.repeat(70_000) },
      null,
    ]) {
      const err = await (await supervisorAnswering(200, { result: 'ok', data })).mqttService().catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^GET \/services\/mqtt: unexpected /);
      expect((err as Error).message).not.toContain('secret-value');
    }
  });
});
