/**
 * `falco-talon server`: wires config, logs, metrics, rules (with hot reload), the
 * pipeline and the HTTP intake, and shuts down gracefully on SIGTERM/SIGINT.
 */
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { AuditLog, type AuditSink, combineAuditSinks } from "../audit/log.js";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import { lazyKubeClient } from "../kube/client.js";
import { resolveKubeSource } from "../kube/source.js";
import { createLogger } from "../logging/logger.js";
import { Metrics } from "../metrics/metrics.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { RuleSet } from "../rules/types.js";
import { securityFromConfig } from "../server/auth.js";
import { BadRequest, createIntakeServer } from "../server/http.js";
import { collectorUrl, createTracing, type Tracing, tracingOptionsFromConfig } from "../tracing/tracing.js";
import { openConsole } from "./console.js";
import { StartupError } from "./errors.js";
import { falcoEngineOptions, loadFalcoEngine } from "./falco.js";
import { builtinPlugins } from "./plugins.js";
import { loadLiveRules } from "./rules.js";
import { openUndo, type Undo } from "./undo.js";

export interface ServerOptions {
  /** -c; undefined means the default path (a missing default file is only a warning). */
  configFile?: string;
  /** -r; overrides rules_files when non-empty. */
  rulesFiles?: string[];
  /** --falco-rules; overrides falco.rules_files when non-empty. */
  falcoRulesFiles?: string[];
  env?: NodeJS.ProcessEnv;
  /** Install SIGTERM/SIGINT handlers that stop and exit (the CLI does; tests don't). */
  handleSignals?: boolean;
  logger?: Logger;
  /** How often due `revert_after` expiries are looked for (default 1 s; tests shorten it). */
  expiryPollMs?: number;
}

export interface RunningServer {
  config: Config;
  port: number;
  pipeline: Pipeline;
  metrics: Metrics;
  logger: Logger;
  rules(): RuleSet;
  tracing: Tracing;
  /** Reversible actions: the store, the reverter and the expiry. */
  undo: Undo;
  stop(): Promise<void>;
}

export { StartupError };

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const env = opts.env ?? process.env;
  const { config, warnings, origin } = loadConfig({
    file: opts.configFile ?? DEFAULT_CONFIG_PATH,
    fileIsDefault: opts.configFile === undefined,
    env,
  });
  const logger = opts.logger ?? createLogger(config.log_format, config.log_level);
  for (const w of warnings) logger.warn({ warning: w }, "init");
  if (config.deduplication.leader_election) {
    logger.warn("deduplication.leader_election is ignored: use queue.nats.url for several replicas");
  }
  const metrics = new Metrics();
  const kube = lazyKubeClient(config.kubeconfig);
  const pluginEnv = { config, logger, kube };
  let intakeSecurity: ReturnType<typeof securityFromConfig>;
  const auditSinks: AuditSink[] = [];
  const tracingOptions = {
    ...tracingOptionsFromConfig(config),
    onExportError: (error: string) => logger.error({ error }, "otel"),
  };
  try {
    if (tracingOptions.enabled) collectorUrl(tracingOptions);
    intakeSecurity = securityFromConfig(config, (error) => logger.error({ error }, "auth"));
    if (config.audit.file)
      auditSinks.push(new AuditLog(config.audit.file, (error) => logger.error({ error }, "audit")));
  } catch (err) {
    throw new StartupError(errorText(err));
  }

  const files = opts.rulesFiles && opts.rulesFiles.length > 0 ? opts.rulesFiles : config.rules_files;
  const plugins = builtinPlugins;
  // The same validation as `rules check` (and every reload).
  const rules = await loadLiveRules({ files, env: pluginEnv, origin, logger, plugins });
  const kubeSource = resolveKubeSource(config.kubeconfig);
  if (kubeSource.kind === "none") logger.warn({ warning: kubeSource.message }, "kubernetes");
  const stopWatching = config.watch_rules ? rules.watch() : () => {};

  const falcoFiles =
    opts.falcoRulesFiles && opts.falcoRulesFiles.length > 0 ? opts.falcoRulesFiles : config.falco.rules_files;
  const detector =
    falcoFiles.length > 0 ? loadFalcoEngine(falcoFiles, logger, falcoEngineOptions(config.falco)) : undefined;

  // The NATS client libraries are loaded only in distributed mode.
  const jetstream = config.queue.nats.url
    ? { queue: await import("../queue/jetstream.js"), audit: await import("../audit/jetstream.js") }
    : undefined;
  const queue = jetstream
    ? await jetstream.queue.JetStreamEventQueue.connect(
        jetstream.queue.jetStreamOptionsFromConfig(config, logger),
      )
    : undefined;
  logger.info(
    queue
      ? { mode: "nats-jetstream", servers: config.queue.nats.url, stream: config.queue.nats.stream }
      : { mode: "memory" },
    "event queue",
  );
  // Distributed mode: the trail also goes to a JetStream stream shared by every replica.
  if (jetstream) {
    try {
      auditSinks.push(
        await jetstream.audit.JetStreamAuditLog.connect({
          ...jetstream.audit.natsAuditOptionsFromConfig(config),
          onError: (error) => logger.error({ error }, "audit"),
        }),
      );
    } catch (err) {
      await queue?.close().catch(() => {});
      for (const sink of auditSinks) await sink.close();
      throw err;
    }
  }
  const audit = combineAuditSinks(auditSinks);
  // Reverts go through `actions` below; the console's route only calls them.
  const actions = {
    list: () => undo.store.list(),
    revert: (id: string, dryRun: boolean) => undo.reverter.revert(id, { trigger: "manual", dryRun }),
  };
  const console_ = openConsole({
    config,
    logger,
    rules,
    files,
    plugins,
    kube,
    security: intakeSecurity.security,
    tls: intakeSecurity.tls !== undefined,
    actions,
    ...(jetstream
      ? {
          stream: {
            options: jetstream.audit.natsAuditOptionsFromConfig(config),
            read: jetstream.audit.readAuditStream,
          },
        }
      : {}),
  });
  const tracing = await createTracing(tracingOptions);
  if (tracing.enabled) logger.info({ collector: collectorUrl(tracingOptions) }, "otel traces enabled");
  const tracer = tracing.tracer;
  let undo: Undo;
  try {
    undo = await openUndo({
      config,
      logger,
      plugins,
      kube,
      audit: console_ ? console_.undoAudit(audit) : audit,
      notify: (rule, n) => pipeline.notify(rule, n),
      metrics,
      expiryPollMs: opts.expiryPollMs,
    });
  } catch (err) {
    await queue?.close().catch(() => {});
    await audit?.close();
    throw new StartupError(`reversible actions: ${errorText(err)}`);
  }
  const pipeline = new Pipeline({
    config,
    logger,
    metrics,
    rules: rules.current,
    kube,
    plugins,
    queue,
    ...(detector ? { falcoRuleNames: detector.ruleNames() } : {}),
    // Replicas share cooldowns, so another replica's next event on a target still waits.
    ...(queue ? { cooldowns: queue.cooldowns() } : {}),
    audit,
    tracer,
    undo: { kept: (action) => undo.kept(action) },
    ...(console_ ? { watcher: console_.feed } : {}),
  });
  // Due expiries (kept from before a restart) start once the pipeline can notify.
  undo.start();
  const server = createIntakeServer({
    ...intakeSecurity,
    logger,
    metrics,
    tracer,
    maxBodyBytes: config.max_body_bytes,
    accept: (event, parent) => pipeline.accept(event, parent),
    actions,
    ...(console_ ? { console: console_.route } : {}),
    k8sAudit: detector
      ? async (body, parent) => {
          const r = detector.processAudit(body);
          if (r.error) throw new BadRequest(r.error);
          let accepted = 0;
          let rejected = 0;
          for (const event of r.events) {
            if ((await pipeline.accept(event, parent)) === "full") rejected++;
            else accepted++;
          }
          return { accepted, rejected };
        }
      : undefined,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.listen_port, config.listen_address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ address: config.listen_address, port }, "Falco Talon is up and listening");

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info("shutting down: intake stopped, finishing queued work");
      stopWatching();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const finished = await pipeline.stop(config.queue.shutdown_timeout_seconds * 1000);
      await undo.close().catch((err) => logger.error({ error: errorText(err) }, "undo store"));
      await audit?.close();
      await tracing.shutdown().catch((err) => logger.error({ error: errorText(err) }, "otel"));
      if (!finished)
        logger.warn({ left: pipeline.queued }, "shutdown timeout reached, unfinished work aborted");
      server.closeAllConnections();
      await closed;
      logger.info("stopped");
      logger.flush?.();
    })();
    return stopping;
  };

  if (opts.handleSignals) {
    const onSignal = (signal: string) => {
      logger.info({ signal }, "signal received");
      void stop().then(() => process.exit(0));
    };
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    process.once("SIGINT", () => onSignal("SIGINT"));
  }

  return { config, port, pipeline, metrics, logger, rules: rules.current, tracing, undo, stop };
}
