// Onboards a fresh Home Assistant over HTTP, as its frontend does, and mints tokens over WebSocket.
import WebSocket from 'ws';
import { HaHttpError, request } from './rest.js';

/** Polls a probe until it yields a value; the caller decides deadlines and what failure looks like. */
export type Poll = <T>(what: string, probe: () => Promise<T | undefined>) => Promise<T>;

/** Credentials of the owner (admin) user created by onboarding. */
export const HA_TEST_USER = {
  name: 'HomeIQ Test',
  username: 'homeiq',
  password: 'homeiq-test-password',
} as const;

/**
 * Onboarding over HTTP, as the frontend does it:
 *  1. POST /api/onboarding/users  -> auth_code (creates the owner/admin user)
 *  2. POST /auth/token (authorization_code) -> short-lived access token
 *  3. POST /api/onboarding/analytics (analytics stay disabled)
 *  4. POST /api/onboarding/integration
 * The core_config step is pre-marked done in .storage/onboarding: doing it over
 * HTTP would set up google_translate, met, radio_browser and shopping_list,
 * which need the network and packages we do not install.
 */
export async function onboard(url: string, configDir: string, poll: Poll): Promise<string> {
  const clientId = `${url}/`;
  const steps = await poll('onboarding API', async () => {
    try {
      return (await request(`${url}/api/onboarding`, 'GET', undefined, undefined, '', 5_000)) as Array<{
        step: string;
        done: boolean;
      }>;
    } catch (err) {
      if (err instanceof HaHttpError && err.status === 404) return undefined; // views not registered yet
      throw err;
    }
  });
  if (steps.find((s) => s.step === 'user')?.done !== false)
    throw new Error(`Home Assistant in ${configDir} is already onboarded`);

  const { auth_code: userCode } = (await request(
    `${url}/api/onboarding/users`,
    'POST',
    undefined,
    JSON.stringify({ client_id: clientId, language: 'en', ...HA_TEST_USER }),
    'application/json',
  )) as { auth_code: string };
  const { access_token: access } = (await request(
    `${url}/auth/token`,
    'POST',
    undefined,
    new URLSearchParams({ grant_type: 'authorization_code', code: userCode, client_id: clientId }).toString(),
    'application/x-www-form-urlencoded',
  )) as { access_token: string };
  await request(`${url}/api/onboarding/analytics`, 'POST', access, '{}', 'application/json');
  await request(
    `${url}/api/onboarding/integration`,
    'POST',
    access,
    JSON.stringify({ client_id: clientId, redirect_uri: `${clientId}?auth_callback=1` }),
    'application/json',
  );
  const after = (await request(`${url}/api/onboarding`, 'GET', undefined, undefined, '')) as Array<{
    step: string;
    done: boolean;
  }>;
  const pending = after.filter((s) => !s.done).map((s) => s.step);
  if (pending.length > 0) throw new Error(`Home Assistant onboarding incomplete: ${pending.join(', ')}`);
  return access;
}

// ---------------------------------------------------------------------------
// WebSocket (only for minting the long-lived token)

export async function wsCommand(
  wsUrl: string,
  token: string,
  command: Record<string, unknown>,
  timeoutMs = 15_000,
): Promise<unknown> {
  const ws = new WebSocket(wsUrl);
  try {
    return await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`WebSocket ${String(command['type'])}: no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      ws.on('error', fail);
      ws.on('close', () => fail(new Error(`WebSocket closed before ${String(command['type'])} answered`)));
      ws.on('message', (data: WebSocket.RawData) => {
        const parsed = JSON.parse(data.toString()) as unknown;
        for (const msg of (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>) {
          if (msg['type'] === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: token }));
          else if (msg['type'] === 'auth_invalid') fail(new Error(`WebSocket auth_invalid: ${String(msg['message'])}`));
          else if (msg['type'] === 'auth_ok') ws.send(JSON.stringify({ id: 1, ...command }));
          else if (msg['type'] === 'result' && msg['id'] === 1) {
            clearTimeout(timer);
            if (msg['success'] === true) resolve(msg['result']);
            else reject(new Error(`WebSocket ${String(command['type'])} failed: ${JSON.stringify(msg['error'])}`));
          }
        }
      });
    });
  } finally {
    ws.removeAllListeners('close');
    ws.on('error', () => undefined);
    ws.close();
  }
}
