/**
 * `falco-talon actions list` and `falco-talon revert ACTION_ID`: the reversible actions kept by
 * the engine (the audit file, or the JetStream KV bucket with NATS), and undoing one from the
 * command line with the same checks, audit entry and notifications as the server's revert.
 */
import { hostname } from "node:os";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "pino";
import { printTable, sinceOption } from "../audit/cli.js";
import { AuditLog, type AuditSink, combineAuditSinks } from "../audit/log.js";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import { lazyKubeClient } from "../kube/client.js";
import { Metrics } from "../metrics/metrics.js";
import { Notifications } from "../pipeline/notify.js";
import type { PluginLookup } from "../plugins/lookup.js";
import { noExportTracer } from "../tracing/tracing.js";
import { isReverted, type StoredAction } from "../undo/action.js";
import { Reverter, type RevertOutcome } from "../undo/reverter.js";
import type { UndoStore } from "../undo/store.js";

export interface ActionsListOptions {
  /** Only actions that can still be reverted. */
  reversible?: boolean;
  rule?: string;
  /** An RFC 3339 time, or a duration back from now (30m, 2h, 7d). */
  since?: string;
  json?: boolean;
}

/** The state column: reverted, pending expiry, or reversible by hand. */
export function actionState(a: StoredAction): string {
  if (isReverted(a)) return `reverted ${a.revert?.time} (${a.revert?.trigger})`;
  const last = a.revert ? `last revert ${a.revert.status}; ` : "";
  if (a.revert_at) return `${last}reverts at ${a.revert_at}`;
  return `${last}reversible`;
}

/** Returns the exit code: 0 listed, 2 bad options. */
export async function runActionsList(
  store: UndoStore,
  opts: ActionsListOptions,
  out: (line: string) => void,
): Promise<number> {
  const since = sinceOption(opts.since);
  if ("error" in since) {
    out(`error: ${since.error}`);
    return 2;
  }
  const sinceMs = since.ms;
  const kept = (await store.list())
    .filter((a) => opts.rule === undefined || a.rule === opts.rule)
    .filter((a) => sinceMs === undefined || Date.parse(a.time) >= sinceMs)
    .filter((a) => !opts.reversible || !isReverted(a))
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  if (opts.json) {
    for (const a of kept) out(JSON.stringify(a));
    return 0;
  }
  printTable(
    ["ID", "TIME", "RULE", "ACTION", "ACTIONNER", "TARGET", "STATE"],
    kept.map((a) => [a.action_id, a.time, a.rule, a.action, a.actionner, a.target, actionState(a)]),
    out,
  );
  return 0;
}

/**
 * Prints a revert's outcome; returns the exit code: 0 done, 1 failure, 2 bad id, 3 conflicts,
 * 4 not found, 5 another revert of it under way.
 */
export function printRevert(outcome: RevertOutcome, out: (line: string) => void): number {
  switch (outcome.kind) {
    case "invalid_id":
      out(`error: ${outcome.message}`);
      return 2;
    case "not_found":
      out(`error: ${outcome.message}`);
      return 4;
    case "busy":
      out(`error: ${outcome.message}`);
      return 5;
    case "already_reverted":
      out(
        `action ${outcome.action.action_id} (${outcome.action.rule} / ${outcome.action.action}): already reverted at ${outcome.action.revert?.time}, nothing to do`,
      );
      return 0;
    case "reverted": {
      const { action, result, dryRun } = outcome;
      out(
        `${dryRun ? "dry run: " : ""}action ${action.action_id} (${action.rule} / ${action.action}, ${action.actionner} on ${action.target}): ${result.status}`,
      );
      for (const l of result.reverted) out(`  ${dryRun ? "would revert" : "reverted"}: ${l}`);
      for (const l of result.unchanged) out(`  unchanged: ${l}`);
      for (const l of result.conflicts) out(`  left alone: ${l}`);
      if (result.error) out(`  error: ${result.error}`);
      return result.status === "success" ? 0 : result.status === "conflict" ? 3 : 1;
    }
  }
}

export interface CliRevertDeps {
  config: Config;
  logger: Logger;
  store: UndoStore;
  plugins: PluginLookup;
  /** The notifiers of each rule in the rules files (the default notifiers always get it). */
  ruleNotifiers?: ReadonlyMap<string, string[]>;
}

/**
 * Reverts one action from the command line: audited to the configured trail, notified to the
 * rule's notifiers (waits for the sends, up to 10 s).
 */
export async function cliRevert(deps: CliRevertDeps, id: string, dryRun: boolean): Promise<RevertOutcome> {
  const { config, logger, store, plugins } = deps;
  const sinks: AuditSink[] = [];
  if (!dryRun && config.audit.file)
    sinks.push(new AuditLog(config.audit.file, (error) => logger.error({ error }, "audit")));
  if (!dryRun && config.queue.nats.url) {
    const { JetStreamAuditLog, natsAuditOptionsFromConfig } = await import("../audit/jetstream.js");
    try {
      sinks.push(
        await JetStreamAuditLog.connect({
          ...natsAuditOptionsFromConfig(config),
          onError: (error) => logger.error({ error }, "audit"),
        }),
      );
    } catch (err) {
      logger.error({ error: errorText(err) }, "audit stream unreachable: the revert is not in it");
    }
  }
  const audit = combineAuditSinks(sinks);
  const kube = lazyKubeClient(config.kubeconfig);
  const shutdown = new AbortController();
  const notifications = new Notifications({
    config,
    logger,
    metrics: new Metrics(),
    kube,
    tracer: noExportTracer(),
    plugins,
    shutdown: shutdown.signal,
  });
  const reverter = new Reverter({
    config,
    logger,
    store,
    plugins,
    kube,
    audit,
    notify: (rule, n) =>
      notifications.send({ name: rule, notifiers: deps.ruleNotifiers?.get(rule) ?? [] }, n, ROOT_CONTEXT),
    replica: `cli:${hostname()}:${process.pid}`,
    shutdown: shutdown.signal,
  });
  try {
    return await reverter.revert(id, { trigger: "manual", dryRun });
  } finally {
    await notifications.settled(10_000);
    shutdown.abort(new Error("done"));
    await audit?.close();
  }
}
