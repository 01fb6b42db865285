// Sets up Home Assistant's mqtt integration against a broker, as a user does in Settings → Devices & services.
import { haRest, type HaEndpoint } from './rest.js';

interface FlowStep {
  type: string;
  flow_id: string;
  step_id?: string;
  errors?: Record<string, string> | null;
  reason?: string;
  result?: { entry_id: string } | string;
}

/**
 * Runs the mqtt config flow over REST (`/api/config/config_entries/flow`): the user step goes straight to the
 * broker form outside a Supervisor install; HA connects to the broker to check it before creating the entry.
 * Resolves with the config entry's id; throws with HA's errors when the flow does not end in an entry.
 */
export async function setUpMqttIntegration(
  ha: HaEndpoint,
  broker: { host: string; port: number; username: string; password: string },
): Promise<string> {
  let step = await haRest<FlowStep>(ha, 'POST', '/api/config/config_entries/flow', { handler: 'mqtt' });
  if (step.type === 'form' && step.step_id === 'broker') {
    step = await haRest<FlowStep>(ha, 'POST', `/api/config/config_entries/flow/${step.flow_id}`, {
      broker: broker.host,
      port: broker.port,
      username: broker.username,
      password: broker.password,
    });
  }
  if (step.type !== 'create_entry')
    throw new Error(
      `the mqtt config flow ended in ${step.type} ${step.step_id ?? step.reason ?? ''}: ${JSON.stringify(step.errors ?? step)}`,
    );
  const entry = step.result;
  return typeof entry === 'object' && entry !== null ? entry.entry_id : String(entry);
}
