// Drives helper entities of the peer's configuration through REST service calls at a fixed rate.
import { haRest, type HaEndpoint } from './rest.js';

/** The helper entities of config/configuration.yaml that {@link createStateDriver} changes by default. */
export const DEFAULT_DRIVER_ENTITIES: readonly string[] = [
  'input_number.test_temperature',
  'input_number.test_humidity',
  'input_number.test_power',
  'input_boolean.test_switch',
  'input_select.test_mode',
  'input_text.test_note',
];

/**
 * Entities derived from the helpers by templates; they change when the driver
 * changes their source (so one service call can cause several `state_changed`).
 */
export const DERIVED_ENTITIES: Readonly<Record<string, readonly string[]>> = {
  'input_number.test_temperature': ['sensor.test_temperature_sensor', 'weather.test_weather'],
  'input_number.test_humidity': ['sensor.test_humidity_sensor', 'weather.test_weather'],
  'input_number.test_power': ['sensor.test_power_sensor'],
  'input_boolean.test_switch': ['binary_sensor.test_occupancy', 'weather.test_weather'],
  'input_select.test_mode': ['sensor.test_mode_text'],
  'input_text.test_note': [],
};

/** Options of {@link createStateDriver}. */
export interface StateDriverOptions {
  /** Service calls per second over all entities (> 0). */
  ratePerSecond: number;
  /**
   * Entities to change, round-robin (default {@link DEFAULT_DRIVER_ENTITIES}).
   * Supported domains: input_number (set_value), input_boolean (toggle),
   * input_select (select_next), input_text (set_value), counter (increment).
   */
  entities?: readonly string[];
  /** Stop by itself after this many calls (default: no count bound). */
  maxCalls?: number;
  /** Stop by itself after this long (default 300 000 ms; always bounded). */
  durationMs?: number;
  /** The value input_text.set_value sends on an entity's n-th call (from 1); default `homeiq-<n>`. */
  textValue?: (call: number) => string;
}

/** Outcome of a state driver run. */
export interface StateDriverResult {
  /** Service calls that HA answered with 2xx. */
  sent: number;
  /** Service calls that failed (HTTP error or network error). */
  failed: number;
  /** The first few error messages, for assertions and debugging. */
  errors: string[];
}

/** Changes helper states at a fixed rate; see {@link createStateDriver}. */
export interface StateDriver {
  /** Begin issuing calls (no-op if already started). */
  start(): void;
  /** Stop issuing calls, wait for the ones in flight, and report. Safe to call after it stopped by itself. */
  stop(): Promise<StateDriverResult>;
  /** Resolves when the driver has stopped, by stop() or by its maxCalls/durationMs bound. */
  readonly done: Promise<StateDriverResult>;
}

interface EntityPlan {
  entityId: string;
  domain: string;
  service: string;
  calls: number;
  /** input_number: grid index of the current value. */
  index: number;
  min: number;
  step: number;
  steps: number;
  decimals: number;
  busy: Promise<void>;
}

const DRIVER_SERVICES: Record<string, string> = {
  input_number: 'set_value',
  input_boolean: 'toggle',
  input_select: 'select_next',
  input_text: 'set_value',
  counter: 'increment',
};
const DEFAULT_DRIVER_DURATION_MS = 300_000;
const MAX_ERRORS_KEPT = 10;

/**
 * Drive helper entities through REST service calls at `ratePerSecond` calls/s,
 * round-robin over `entities`. Each call changes its entity's state:
 * input_number.set_value walks a grid between the entity's min and max (never
 * repeating the previous value), input_boolean.toggle, input_select.select_next,
 * input_text.set_value `homeiq-<n>` (or `textValue(n)`), counter.increment. Calls to one entity are
 * sequential (so each lands as a change); different entities overlap. If HA is
 * slower than the rate, the driver falls behind rather than queueing.
 *
 * Always bounded: it stops by itself after `maxCalls` calls or `durationMs`
 * (default 300 s), whichever comes first.
 *
 * @throws Error synchronously for an unsupported entity domain or a bad rate.
 */
export function createStateDriver(ha: HaEndpoint, options: StateDriverOptions): StateDriver {
  const { ratePerSecond } = options;
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
    throw new Error(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  const entities = options.entities ?? DEFAULT_DRIVER_ENTITIES;
  if (entities.length === 0) throw new Error('createStateDriver: no entities');
  const plans: EntityPlan[] = entities.map((entityId) => {
    const domain = entityId.split('.')[0] ?? '';
    const service = DRIVER_SERVICES[domain];
    if (service === undefined)
      throw new Error(
        `createStateDriver: unsupported domain of ${entityId} (supported: ${Object.keys(DRIVER_SERVICES).join(', ')})`,
      );
    return {
      entityId,
      domain,
      service,
      calls: 0,
      index: 0,
      min: 0,
      step: 1,
      steps: 0,
      decimals: 0,
      busy: Promise.resolve(),
    };
  });
  const maxCalls = options.maxCalls ?? Number.POSITIVE_INFINITY;
  const durationMs = options.durationMs ?? DEFAULT_DRIVER_DURATION_MS;
  const result: StateDriverResult = { sent: 0, failed: 0, errors: [] };
  let stopping = false;
  let started = false;
  let wake: (() => void) | undefined;
  let resolveDone!: (r: StateDriverResult) => void;
  const done = new Promise<StateDriverResult>((resolve) => (resolveDone = resolve));

  const recordError = (msg: string): void => {
    result.failed += 1;
    if (result.errors.length < MAX_ERRORS_KEPT) result.errors.push(msg);
  };

  const prepare = async (): Promise<void> => {
    for (const plan of plans) {
      if (plan.domain !== 'input_number') continue;
      const st = await haRest<{ state: string; attributes: { min: number; max: number; step: number } }>(
        ha,
        'GET',
        `/api/states/${plan.entityId}`,
      );
      const { min, max, step } = st.attributes;
      plan.min = min;
      plan.step = step;
      plan.steps = Math.max(1, Math.floor((max - min) / step + 1e-9));
      plan.decimals = (String(step).split('.')[1] ?? '').length;
      plan.index = Math.min(plan.steps, Math.max(0, Math.round((Number(st.state) - min) / step)));
    }
  };

  const body = (plan: EntityPlan): Record<string, unknown> => {
    plan.calls += 1;
    if (plan.domain === 'input_number') {
      // Stride in [1, steps]: the next grid point always differs from the current one.
      plan.index = (plan.index + 1 + Math.floor(plan.steps / 3)) % (plan.steps + 1);
      return { entity_id: plan.entityId, value: Number((plan.min + plan.index * plan.step).toFixed(plan.decimals)) };
    }
    if (plan.domain === 'input_text')
      return { entity_id: plan.entityId, value: options.textValue?.(plan.calls) ?? `homeiq-${plan.calls}` };
    return { entity_id: plan.entityId };
  };

  const run = async (): Promise<void> => {
    try {
      await prepare();
    } catch (err) {
      recordError(`prepare: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const interval = 1000 / ratePerSecond;
    const t0 = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let n = 0; !stopping && n < maxCalls; n += 1) {
      const due = t0 + n * interval;
      if (due - t0 >= durationMs) break;
      const wait = due - performance.now();
      if (wait > 1) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (stopping) break;
      }
      const plan = plans[n % plans.length] as EntityPlan;
      await plan.busy;
      if (stopping) break;
      const call = haRest(ha, 'POST', `/api/services/${plan.domain}/${plan.service}`, body(plan)).then(
        () => {
          result.sent += 1;
        },
        (err: unknown) => recordError(`${plan.entityId}: ${err instanceof Error ? err.message : String(err)}`),
      );
      plan.busy = call;
      inFlight.add(call);
      void call.then(() => inFlight.delete(call));
    }
    await Promise.all(inFlight);
  };

  return {
    done,
    start() {
      if (started) return;
      started = true;
      void run()
        .catch((err: unknown) => recordError(`driver: ${err instanceof Error ? err.message : String(err)}`))
        .then(() => resolveDone({ ...result, errors: [...result.errors] }));
    },
    async stop() {
      stopping = true;
      wake?.();
      if (!started) {
        started = true;
        resolveDone({ ...result, errors: [...result.errors] });
      }
      return done;
    },
  };
}
