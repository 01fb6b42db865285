import {
  Health,
  HttpService,
  createLogger,
  loadOptions,
  runMain,
  type Service,
  SiblingIdentity,
  SupervisorClient,
} from '@homeiq/shared';
import { ADDON_PORTS, describeTarget } from '@homeiq/shared/contracts';
import { join } from 'node:path';
import { Backfill } from './backfill/backfill.js';
import { RegistryEnricher } from './enrich/registry.js';
import { EventCounter } from './event-counter.js';
import { HaSocket } from './ha/ha-socket.js';
import { LargeFrameReclaim } from './ha/large-frame-reclaim.js';
import { StateReports } from './ha/state-reports.js';
import { createApp } from './http/app.js';
import { EventStream } from './http/event-stream.js';
import { Quarantine } from './influx/quarantine.js';
import { InfluxSender } from './influx/send.js';
import { ExternalTarget, SiblingTarget } from './influx/targets.js';
import { InfluxWriter } from './influx/writer.js';
import { LiveYield } from './migrate/live-yield.js';
import { MemoryQueue } from './migrate/memory-queue.js';
import { Migration } from './migrate/migration.js';
import { ingestorOptionsSchema } from './options.js';
import { EventEncoder } from './points/event-encoder.js';
import { EntityFilter } from './points/filter.js';
import { StateDigests } from './points/restart-digest.js';
import { StatePipeline } from './points/state-pipeline.js';
import { reportedEntityIds } from './report/entities.js';
import { FigureSampler } from './report/figures.js';
import { Reporter } from './report/reporter.js';
import { Siblings } from './report/siblings.js';
import { Spool } from './spool/spool.js';
import { SelfTelemetry } from './telemetry/self-telemetry.js';

/** config.yaml `timeout` is 120 s; leave Docker and s6 ten seconds of it. */
const STOP_TIMEOUT_MS = 110_000;
const HTTP_PORT = ADDON_PORTS.ingestorApi;
const MAX_STRING_LENGTH = 16_384;
/** The migration's queue budget: it reads a window only while less than half of it waits for InfluxDB. */
const MIGRATION_BUDGET_BYTES = 16 * 1024 * 1024;
const MIGRATION_BATCH_LINES = 2000;

await runMain({
  name: 'homeiq-ingestor',
  stopTimeoutMs: STOP_TIMEOUT_MS,
  async compose({ env, secrets }) {
    const options = await loadOptions(ingestorOptionsSchema, env.dataDir);
    if (options.external.token) secrets.add(options.external.token);
    if (options.external.password) secrets.add(options.external.password);
    const log = createLogger({ level: options.log_level, name: 'homeiq-ingestor', secrets });
    const health = new Health();
    const counter = new EventCounter();
    const supervisor = new SupervisorClient({
      baseUrl: env.supervisorUrl,
      token: env.supervisorToken,
      localAddress: env.localAddress,
    });
    const encoderLog = log.child({ module: 'points' });
    const enricher = new RegistryEnricher({ log: log.child({ module: 'enrich' }) });
    const filter = new EntityFilter({
      includeDomains: options.include.domains,
      includeEntities: options.include.entity_globs,
      excludeDomains: options.exclude.domains,
      excludeEntities: options.exclude.entity_globs,
      ownEntities: reportedEntityIds(),
    });
    const encodeOptions = {
      maxStringLength: MAX_STRING_LENGTH,
      excludeAttributes: new Set(options.exclude.attributes),
      layout: options.ha_compatible ? ('ha_compatible' as const) : ('homeiq' as const),
      enrich: enricher.tagsFor,
    };
    const encoder = new EventEncoder(encodeOptions, filter, (problem, sample) =>
      encoderLog.warn(
        `input problem '${problem}' (first seen on ${JSON.stringify(sample)}); counted in /metrics, logged once per kind`,
      ),
    );
    const spool = new Spool({
      dir: join(env.dataDir, 'spool'),
      maxBytes: options.spool_max_mb * 1024 * 1024,
      log: log.child({ module: 'spool' }),
      // Health `spool` and the recovery of the states refused while full (the backfill's refill; called only once running).
      onFullChange: (full) => backfill.onSpoolFullChange(full),
      // Health `spool-disk`, red while group commits fail; a check of its own because SpoolRefill sets `spool`.
      onCommitError: (error) =>
        error === undefined
          ? health.set('spool-disk', 'green', 'the spool writes to disk again')
          : health.set(
              'spool-disk',
              'red',
              `cannot write to the spool: ${error}; points wait in memory and are retried, new ones are refused once spool_max_mb is reached`,
              'Free space on the data disk, or check it for errors',
            ),
    });
    const quarantine = new Quarantine({
      file: join(env.dataDir, 'quarantine.jsonl'),
      maxBytes: 64 * 1024 * 1024,
      log: log.child({ module: 'quarantine' }),
      health,
    });
    const e = options.external;
    const external = options.target === 'external' ? ExternalTarget.fromOptions(e) : undefined;
    const target =
      external ??
      new SiblingTarget({
        supervisor,
        tokenFile: join(env.dataDir, 'influxdb-token.json'),
        localAddress: env.localAddress,
        secrets,
        log: log.child({ module: 'influx/target' }),
      });
    const sender = new InfluxSender({ localAddress: options.target === 'auto' ? env.localAddress : undefined });
    const writer = new InfluxWriter({
      spool,
      sender,
      target,
      quarantine,
      health,
      log: log.child({ module: 'influx/writer' }),
      batchLines: options.batch_size,
      batchBytes: options.batch_max_kib * 1024,
      flushIntervalMs: options.flush_interval_ms,
      // Two writes on the wire: replay 137k points/s vs 89k with one, into the real influxd (bench/e2e.ts replay).
      maxInFlight: 2,
    });
    // The migration from an existing InfluxDB: its own queue in memory and its own writer, beside live ingestion's
    // (its health is its own status, not the add-on's).
    // It yields to live ingestion: slower while live writes are slow (live-yield.ts).
    const liveYield = new LiveYield({ writer, spool });
    const migrationQueue = new MemoryQueue((lines) => liveYield.turn(lines));
    const migrationSender = new InfluxSender({
      localAddress: options.target === 'auto' ? env.localAddress : undefined,
    });
    const migrationWriter = new InfluxWriter({
      spool: migrationQueue,
      sender: migrationSender,
      target,
      quarantine,
      health: new Health(),
      log: log.child({ module: 'migrate/writer' }),
      // Smaller requests than live ingestion's: a live write that arrives meanwhile waits behind less.
      batchLines: Math.min(options.batch_size, MIGRATION_BATCH_LINES),
      batchBytes: Math.min(options.batch_max_kib, 512) * 1024,
      flushIntervalMs: 50,
      maxInFlight: 1,
    });
    const migration = new Migration({
      dir: join(env.dataDir, 'migration'),
      log: log.child({ module: 'migrate' }),
      encode: encodeOptions,
      accepts: (id) => filter.accepts(id),
      queue: migrationQueue,
      budgetBytes: MIGRATION_BUDGET_BYTES,
      liveSpool: spool,
      writer: migrationWriter,
      pacedTo: () => liveYield.rate,
      registriesReady: () => enricher.areas() !== undefined,
      addSecret: (s) => secrets.add(s),
    });
    // Every state, live or from the snapshot/backfill/import, goes through the pipeline: restart-artefact check, encoder, spool.
    const digests = new StateDigests();
    const pipeline = new StatePipeline({
      encoder,
      sink: spool,
      digests,
      skipRestartDuplicates: options.skip_restart_duplicates,
    });
    const backfill = new Backfill({
      dir: join(env.dataDir, 'backfill'),
      pipeline,
      digests,
      enricher: options.ha_compatible ? undefined : enricher,
      accepts: (id) => filter.accepts(id),
      spool,
      log: log.child({ module: 'backfill' }),
      historyImportDays: options.history_import_days,
      refill: { maxBytes: options.spool_max_mb * 1024 * 1024, health },
    });
    const stream = new EventStream();
    const reporter = new Reporter({
      sampler: new FigureSampler({
        counter,
        spool,
        quarantine,
        writer,
        health,
        backfill,
        spoolMaxBytes: options.spool_max_mb * 1024 * 1024,
        rateWindowMs: options.ha_entities_interval_s * 1000,
        flushIntervalMs: options.flush_interval_ms,
      }),
      siblings: new Siblings({ supervisor, localAddress: env.localAddress }),
      supervisor,
      log: log.child({ module: 'report' }),
      addSecret: (s) => secrets.add(s),
      stateFile: join(env.dataDir, 'alerts.json'),
      notifications: options.notifications,
      graceMs: options.notify_after_s * 1000,
      entities: options.ha_entities,
      entityIntervalMs: options.ha_entities_interval_s * 1000,
      sibling: external === undefined,
      localAddress: env.localAddress,
    });
    // V8's collections are callable with --expose-gc (the Dockerfile's HOMEIQ_NODE_FLAGS). 'last-resort' is what a
    // heap snapshot asks for: collections that shrink the heap and give its freed pages back at once.
    const gc = globalThis.gc;
    const reclaim = new LargeFrameReclaim({
      gc: gc && (() => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })),
    });
    const ha = new HaSocket({
      url: supervisor.coreWebSocketUrl(),
      token: env.supervisorToken,
      localAddress: env.localAddress,
      eventTypes: options.event_types,
      log: log.child({ module: 'ha/socket' }),
      health,
      // Synchronous all the way: encode and queue for the spool's group commit; nothing here waits on disk.
      onEvent: (event) => {
        counter.record(event);
        stream.publish(event);
        pipeline.onEvent(event);
      },
      // Snapshot, gap backfill and import run beside the reader (never in its way), feeding the spool.
      onConnected: (session) => {
        backfill.onConnected(session);
        stateReports?.onConnected(session);
        reporter.onConnected(session);
      },
      onRegistryEvent: () => enricher.onRegistryEvent(),
      onFrame: (bytes) => reclaim.frame(bytes),
    });
    const stateReports =
      options.state_reports_interval_s > 0
        ? new StateReports({
            intervalMs: options.state_reports_interval_s * 1000,
            haVersion: () => (ha.stats().connected ? ha.stats().haVersion : undefined),
            write: (state) => pipeline.writeReport(state),
            accepts: (id) => filter.accepts(id),
            log: log.child({ module: 'ha/reports' }),
            // HA's REST API through the Supervisor's Core proxy (config.yaml homeassistant_api).
            render: async (template, variables) => {
              // The answer lists every entity reported unchanged: allow it more time and room than a state update.
              const res = await supervisor.coreRequest(
                'POST',
                '/template',
                { template, variables },
                { timeoutMs: 30_000, maxBodyBytes: 8 * 1024 * 1024 },
              );
              if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
              return res.body;
            },
          })
        : undefined;
    const http = new HttpService({
      name: 'http api',
      app: createApp({
        health,
        counter,
        ha,
        encoder,
        spool,
        writer,
        quarantine,
        stream,
        backfill,
        migration,
        reporter,
        enricher: options.ha_compatible ? undefined : enricher,
        target: external?.describe() ?? { kind: 'auto' },
        stateReports,
        identity: new SiblingIdentity(supervisor, 'homeiq-ingestor', ['homeiq-admin']),
        log: log.child({ module: 'http' }),
      }),
      host: env.bindHost,
      port: HTTP_PORT,
      log: log.child({ module: 'http' }),
    });
    const closeSender = {
      name: 'influxdb connections',
      start: async () => undefined,
      stop: async () => {
        sender.close();
        migrationSender.close();
      },
    };
    const closeStream = { name: 'event stream', start: async () => undefined, stop: async () => stream.close() };
    const telemetry = new SelfTelemetry({
      sources: { counter, ha, spool, writer },
      append: (line) => spool.append(line),
      intervalMs: options.telemetry_interval_s * 1000,
      log: log.child({ module: 'telemetry' }),
    });
    log.info(
      `starting with log level ${options.log_level}; recording state_changed${options.event_types.map((t) => `, ${t}`).join('')}` +
        `${stateReports ? `, unchanged reports every ${options.state_reports_interval_s} s` : ''} ` +
        `into ${describeTarget(external?.describe() ?? { kind: 'auto' })} (${options.ha_compatible ? 'ha_compatible' : 'HomeIQ'} layout)`,
    );
    // Stop order (reverse): the entities' offline message first, then HA (no new events), then the spool flush,
    // then the writer's last request. The migration's writer stops before the migration, so the windows it
    // confirms last are saved.
    const services: Service[] = [
      closeSender,
      quarantine,
      spool,
      backfill,
      writer,
      migration,
      migrationWriter,
      telemetry,
      http,
      closeStream,
      reclaim,
      ha,
    ];
    if (stateReports) services.push(stateReports);
    services.push(reporter);
    return { log, services };
  },
});
