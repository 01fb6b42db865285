export { writeFileAtomic, type AtomicWriteOptions } from './atomic-file.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { EnvError, readRuntimeEnv, type RuntimeEnv } from './env.js';
export {
  FLUX_EXACT_IMPORT,
  fluxExact,
  FluxQueryError,
  parseCsvRecords,
  parseFluxCsv,
  readFluxTables,
  unescapeExact,
  type FluxColumn,
  type FluxCsvOptions,
  type FluxRow,
  type FluxTable,
} from './flux-csv.js';
export { hasEscapedKey, jsonParseHasKeyBug, parseJson, parseJsonStrict } from './json-text.js';
export { globMatch, type GlobMeter } from './glob.js';
export { influxErrorMessage } from './influx-error.js';
export { Health, type HealthCheck, type HealthReport, type HealthStatus } from './health.js';
export { HttpRequestError, httpRequestRaw, type HttpRequestOptions, type HttpResponse } from './http-request.js';
export { errorMiddleware, healthMiddleware, HttpError, HttpService, type HttpServiceOptions } from './http-server.js';
export {
  EXIT_CONFIG,
  runMain,
  ServiceGroup,
  type ComposeContext,
  type Composition,
  type MainOptions,
  type Service,
} from './lifecycle.js';
export { bootstrapLogger, createLogger, LogSecrets, pinoLevel, type Logger, type LoggerOptions } from './logger.js';
export { loadOptions, logLevelSchema, OptionsError, parseOptions, type LogLevelOption } from './options.js';
export { normalizeAddress, SiblingIdentity, type IdentitySupervisor } from './sibling-identity.js';
export {
  readTokenGrant,
  SiblingToken,
  TokenGrantError,
  type SiblingTokenOptions,
  type TokenKeeping,
} from './sibling-token.js';
export { ADDON_SLUGS, hostnameOf, repositoryPrefix, siblingOf, siblingSlug, type AddonSlug } from './siblings.js';
export {
  SupervisorClient,
  SupervisorError,
  type AddonInfo,
  type MqttServiceInfo,
  type SupervisorClientOptions,
  type SupervisorInfo,
} from './supervisor-client.js';
export { MAX_JSON_BODY_BYTES, parseInput, readJsonBody } from './http-input.js';
export {
  InfluxqlError,
  readInfluxqlAnswer,
  type InfluxqlResult,
  type InfluxqlSeries,
} from './influxql-answer.js';
export {
  migrationProbeSchema,
  migrationSourceSchema,
  migrationStartSchema,
  sourceView,
  type MigrationSourceConfig,
  type MigrationStartRequest,
} from './migration-request.js';
