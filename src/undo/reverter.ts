/**
 * Undoing one kept action: finds it, lets its actionner undo exactly what it changed, then
 * records, logs, audits and notifies the outcome. Used by `falco-talon revert`, by
 * `POST /actions/<id>/revert` and by the expiry of `revert_after`.
 */
import type { Logger } from "pino";
import { abortable, deadline } from "../abortable.js";
import type { AuditSink } from "../audit/log.js";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import type { KubeClient } from "../kube/client.js";
import type { Metrics } from "../metrics/metrics.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { Notification, PluginEnv, RevertResult } from "../plugins/types.js";
import { ACTION_ID, isReverted, isSettled, type RevertTrigger, type StoredAction } from "./action.js";
import type { UndoStore } from "./store.js";

export interface ReverterDeps {
  config: Config;
  logger: Logger;
  store: UndoStore;
  plugins: PluginLookup;
  kube: () => Promise<KubeClient>;
  audit?: AuditSink;
  /** Sends a revert's notification to the notifiers of its rule (and the default ones). */
  notify?: (rule: string, notification: Notification) => void;
  /** hostname:pid, or `cli:<host>` for the command line. */
  replica: string;
  /** Aborted on shutdown. */
  shutdown?: AbortSignal;
  /** How long a manual revert's claim holds off the expiry of other replicas (default 60 s). */
  leaseMs?: number;
  /** Counts each revert (dry runs and no-ops excluded). */
  metrics?: Pick<Metrics, "reverts">;
}

export interface RevertOptions {
  trigger: RevertTrigger;
  /** Report what would be undone; change nothing and record nothing. */
  dryRun?: boolean;
  /** The caller (the expiry) already holds the action's claim in the store. */
  claimed?: boolean;
}

export type RevertOutcome =
  | { kind: "invalid_id"; message: string }
  | { kind: "not_found"; message: string }
  /** Another replica (or request) is reverting it right now. */
  | { kind: "busy"; action: StoredAction; message: string }
  /** An earlier revert already undid everything: nothing was sent. */
  | { kind: "already_reverted"; action: StoredAction; result: RevertResult }
  | { kind: "reverted"; action: StoredAction; result: RevertResult; dryRun: boolean };

export class Reverter {
  constructor(private readonly deps: ReverterDeps) {}

  async revert(id: string, opts: RevertOptions): Promise<RevertOutcome> {
    if (!ACTION_ID.test(id))
      return { kind: "invalid_id", message: `invalid action id '${clip(id)}': expected 20 hex characters` };
    let action = await this.deps.store.get(id);
    if (!action) return { kind: "not_found", message: `no reversible action '${id}'` };
    // A manual revert claims the action like the expiry does, so the two never run at once;
    // an action whose revert already settled can't be claimed and is simply run again.
    if (!opts.dryRun && !opts.claimed && !isSettled(action)) {
      if (!(await this.deps.store.claim(id, this.deps.replica, this.deps.leaseMs ?? 60_000)))
        return {
          kind: "busy",
          action,
          message: `a revert of action '${id}' is under way: try again shortly`,
        };
      action = (await this.deps.store.get(id)) ?? action;
    }
    if (isReverted(action) && !opts.dryRun) {
      const result: RevertResult = {
        status: "success",
        reverted: [],
        unchanged: [`already reverted at ${action.revert?.time}`],
        conflicts: [],
        objects: action.objects,
      };
      this.deps.logger.info(
        { action_id: id, rule: action.rule, action: action.action, trigger: opts.trigger },
        "revert: already reverted, nothing to do",
      );
      return { kind: "already_reverted", action, result };
    }
    const result = await this.run(action, opts.dryRun === true);
    this.report(action, result, opts);
    if (!opts.dryRun) {
      await this.deps.store.reverted({
        action_id: id,
        time: new Date().toISOString(),
        trigger: opts.trigger,
        replica: this.deps.replica,
        status: result.status,
        reverted: result.reverted,
        unchanged: result.unchanged,
        conflicts: result.conflicts,
        ...(result.error ? { error: result.error } : {}),
      });
    }
    return { kind: "reverted", action, result, dryRun: opts.dryRun === true };
  }

  /** The actionner's revert, bounded by the action timeout; never throws. */
  private async run(action: StoredAction, dryRun: boolean): Promise<RevertResult> {
    const failure = (error: string): RevertResult => ({
      status: "failure",
      reverted: [],
      unchanged: [],
      conflicts: [],
      error,
      objects: action.objects,
    });
    const reversible = this.deps.plugins.findActionner(action.actionner)?.reversible;
    if (!reversible) return failure(`the actionner '${action.actionner}' cannot revert its actions`);
    const record = reversible.record.safeParse(action.undo);
    if (!record.success)
      return failure(
        `the undo record of ${action.actionner} is not valid: ${record.error.issues[0]?.message}`,
      );
    const { config, logger, kube, shutdown } = this.deps;
    const bound = deadline(config.queue.action_timeout_seconds * 1000, shutdown, "revert");
    const env: PluginEnv = { config, logger, kube, signal: bound.signal };
    try {
      // Bounded here too: a revert that ignores its signal must not hold the caller (or the
      // expiry, or shutdown) past the timeout.
      return await abortable(reversible.revert({ undo: record.data, env, dryRun }), bound.signal);
    } catch (err) {
      return failure(errorText(err));
    } finally {
      bound.dispose();
    }
  }

  /** Logged always; audited and notified unless it was a dry run. */
  private report(action: StoredAction, result: RevertResult, opts: RevertOptions): void {
    const { logger, audit, notify, replica } = this.deps;
    const fields = {
      action_id: action.action_id,
      rule: action.rule,
      action: action.action,
      actionner: action.actionner,
      target: action.target,
      trigger: opts.trigger,
      status: result.status,
      reverted: result.reverted,
      unchanged: result.unchanged,
      conflicts: result.conflicts,
      ...(result.error ? { error: result.error } : {}),
      ...(opts.dryRun ? { dry_run: true } : {}),
    };
    if (opts.dryRun) {
      logger.info(fields, "revert: dry run, nothing changed");
      return;
    }
    // The actionner label is bounded: a name no plug-in has (a hand-edited trail) counts as other.
    const actionner = this.deps.plugins.findActionner(action.actionner) ? action.actionner : "other";
    this.deps.metrics?.reverts.inc({ actionner, status: result.status, trigger: opts.trigger });
    if (result.status === "success") logger.info(fields, "revert");
    else if (result.status === "conflict") logger.warn(fields, "revert");
    else logger.error(fields, "revert");
    audit?.record({
      message: "revert",
      action_id: action.action_id,
      event_id: action.event_id,
      trace_id: action.trace_id,
      rule: action.rule,
      action: action.action,
      actionner: action.actionner,
      target: action.target,
      status: result.status,
      error: result.error,
      trigger: opts.trigger,
      reverted: result.reverted,
      unchanged: result.unchanged,
      conflicts: result.conflicts,
      objects: result.objects,
    });
    notify?.(action.rule, {
      time: new Date().toISOString(),
      message: "revert",
      status: result.status === "success" ? "success" : "failure",
      rule: action.rule,
      event: `revert (${opts.trigger}) of action '${action.action}' from ${action.time} by ${replica}`,
      priority: "",
      source: "",
      action: action.action,
      actionner: action.actionner,
      output: result.reverted.join("; "),
      error:
        result.status === "conflict"
          ? `left alone: ${result.conflicts.join("; ")}`
          : result.status === "failure"
            ? result.error
            : undefined,
      trace_id: action.trace_id ?? "",
      // Notifiers show object keys title-cased, as for actions.
      objects: Object.fromEntries(
        Object.entries(result.objects).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]),
      ),
      action_id: action.action_id,
    });
  }
}

function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
