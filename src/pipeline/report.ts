/**
 * What the pipeline tells about each outcome: log lines (Talon's keys), metrics (bounded
 * labels), audit entries and notifications. The pipeline (pipeline.ts) decides what happens;
 * this module only reports it, with one method per outcome.
 */
import { type Context, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { AuditRecord, AuditSink } from "../audit/log.js";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import { type FalcoEvent, receivedFields } from "../events/event.js";
import { boundsFor, type LabelBounds } from "../metrics/bounds.js";
import { Metrics } from "../metrics/metrics.js";
import type { ActionPlan, ActionResult, Notification, OutputResult } from "../plugins/types.js";
import { targetKey } from "../queue/target.js";
import { matchingRules } from "../rules/match.js";
import type { Action, Rule, RuleSet } from "../rules/types.js";
import { actionId } from "../undo/action.js";
import type { Notifications, SentCallback } from "./notify.js";
import { failSpan } from "./spans.js";

export interface ReporterDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The rules in force: they bound metric labels, and a duplicate is audited per rule it matches. */
  rules: () => RuleSet;
  audit?: AuditSink;
  falcoRuleNames?: readonly string[];
  tracer: Tracer;
  notifications: Notifications;
  /** Told of each outcome for the operator console's live view; nothing is built for it when unset. */
  watcher?: OutcomeWatcher;
}

/**
 * What the operator console's live view (src/console/feed.ts) is told. Every call is synchronous
 * and cheap: it keeps references, it does no JSON work and no I/O.
 */
export interface OutcomeWatcher {
  /** An event's rules were matched (`matched` empty: none). */
  processed(event: FalcoEvent, matched: readonly Rule[]): void;
  /** An action or output attempt's outcome: its audit record (whether or not an audit trail is kept). */
  attempt(event: FalcoEvent, record: AuditRecord): void;
  /** How long the actionner's run took. */
  duration(event: FalcoEvent, actionId: string, ms: number): void;
  /** A notification of an action or output was sent (or failed). */
  notified(eventId: string, actionId: string, notifier: string, status: string, error?: string): void;
}

/** The fields every log line of one action starts with. */
export interface ActionFields {
  rule: string;
  action: string;
  actionner: string;
  trace_id: string;
}

/** An event's bounded `event`, `priority` and `source` metric labels. */
export interface EventLabels {
  event: string;
  priority: string;
  source: string;
}

/** How an attempt that did not reach the actionner's run ended, for its audit entry. */
type AttemptOutcome = Pick<
  AuditRecord,
  "status" | "error" | "reason" | "stage" | "plan" | "objects" | "details"
>;

/** A reversible action's id, record and expiry, for its log line, audit entry and notification. */
export interface KeptUndo {
  action_id: string;
  undo: Record<string, unknown>;
  revert_at?: string;
}

export function actionFields(event: FalcoEvent, rule: Rule, action: Action): ActionFields {
  return { rule: rule.name, action: action.name, actionner: action.actionner, trace_id: event.trace_id };
}

export class Reporter {
  constructor(private readonly deps: ReporterDeps) {}

  // ── Intake and queue ──────────────────────────────────────────────────────
  /** An event arrived: counted, and logged when `print_all_events` is set. */
  received(event: FalcoEvent): void {
    this.deps.metrics.countEvent(this.eventLabels(event));
    if (this.deps.config.print_all_events) this.deps.logger.info(eventFields(event), "event");
  }

  /**
   * A duplicate is never processed: counted, logged at debug and, with an audit trail, each
   * action it would have run gets an `ignored`/`duplicate` entry (matching runs only for
   * duplicates, and only when audited).
   */
  duplicate(event: FalcoEvent): void {
    this.deps.metrics.deduplicated.inc();
    this.deps.logger.debug(eventFields(event), "event deduplicated");
    if (!this.deps.audit) return;
    let target: string | undefined;
    for (const rule of matchingRules(this.deps.rules().rules, event)) {
      for (const action of rule.actions) {
        target ??= targetKey(event);
        this.attempt(event, target, rule, action, { status: "ignored", reason: "duplicate" });
      }
      if (rule.continue === false) break;
    }
  }

  queueDepth(depth: number): void {
    this.deps.metrics.queueDepth.set(depth);
  }

  /** Processing an event threw past every stage's own handling. */
  recovered(err: unknown, event: FalcoEvent): void {
    this.deps.logger.error(
      { error: errorText(err), rule: event.rule, trace_id: event.trace_id },
      "recovered from panic while processing event",
    );
  }

  // ── Match and flow control ───────────────────────────────────────────────
  /** The event's bounded metric labels, computed once per event. */
  eventLabels(event: FalcoEvent): EventLabels {
    const bounds = this.bounds();
    return {
      event: bounds.falcoRule(event.rule),
      priority: bounds.priority(event.priority),
      source: bounds.source(event.source),
    };
  }

  /**
   * An event matched at least one rule: logged, unless `print_all_events` logged it already, and
   * audited as an `event` entry (the event as received and the rules it matched).
   */
  matchedEvent(event: FalcoEvent, matched: readonly Rule[]): void {
    if (!this.deps.config.print_all_events) this.deps.logger.info(eventFields(event), "event");
    this.deps.watcher?.processed(event, matched);
    this.deps.audit?.record({
      message: "event",
      event_id: event.id,
      trace_id: event.trace_id,
      rule: matched[0]?.name ?? "",
      action: "",
      actionner: "",
      target: targetKey(event),
      status: "matched",
      event: receivedFields(event),
      rules: matched.map((r) => r.name),
    });
  }

  /** An event no rule matched: only the console's live view hears of it. */
  unmatched(event: FalcoEvent): void {
    this.deps.watcher?.processed(event, []);
  }

  /** One matching rule: its `match` line and count. */
  match(event: FalcoEvent, rule: Rule, labels: EventLabels): void {
    this.deps.logger.info(eventFields(event, rule.name), "match");
    this.deps.metrics.matches.inc({ rule: rule.name, ...labels, ...scope() });
  }

  sharedCooldownUnavailable(event: FalcoEvent, rule: Rule, err: unknown): void {
    this.deps.logger.warn(
      { rule: rule.name, trace_id: event.trace_id, error: errorText(err) },
      "shared cooldown unavailable, using this replica's",
    );
  }

  /** An action skipped by a cooldown: logged and audited as `ignored`, counted, no notification. */
  cooldown(event: FalcoEvent, target: string, rule: Rule, action: Action, secondsLeft: number): void {
    this.countAction(event, rule, action, "ignored");
    this.deps.logger.info(
      {
        rule: rule.name,
        action: action.name,
        actionner: action.actionner,
        trace_id: event.trace_id,
        status: "ignored",
        reason: "cooldown",
        target,
        cooldown_left_seconds: secondsLeft,
      },
      "action",
    );
    this.attempt(event, target, rule, action, { status: "ignored", reason: "cooldown" });
  }

  // ── Before the actionner runs ─────────────────────────────────────────────
  /** No actionner of that name: logged and audited as a failure. */
  unknownActionner(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    fields: ActionFields,
  ): void {
    const error = `unknown actionner '${action.actionner}'`;
    this.deps.logger.error({ ...fields, error }, "action");
    this.attempt(event, target, rule, action, { status: "failure", error });
  }

  /**
   * The parameters did not parse, or a check refused the event: logged and audited as a
   * failure of that stage, with no metric and no notification (as in Talon).
   */
  stageFailed(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    fields: ActionFields,
    category: string,
    stage: "parameters" | "checks",
    err: unknown,
  ): void {
    const error = errorText(err);
    this.deps.logger.error({ ...fields, category, stage, error }, "action");
    this.attempt(event, target, rule, action, { status: "failure", stage, error });
  }

  /** An additional context was added to the event. */
  context(fields: ActionFields, name: string): void {
    this.deps.logger.debug({ ...fields, context: name }, "context");
  }

  contextFailed(fields: ActionFields, name: string, err: unknown): void {
    this.deps.logger.error({ ...fields, context: name, error: errorText(err) }, "context");
  }

  // ── Dry run ──────────────────────────────────────────────────────────────
  /**
   * `dry_run: true`: Talon's `no action, dry-run is enabled` line plus the plan, audited as
   * `ignored`/`dry_run` with that plan. As in Talon, no metric and no notification.
   */
  dryRun(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    category: string,
    plan: ActionPlan,
  ): void {
    // assigned rather than spread: this line is logged for every event of a dry-run rule
    const fields: Record<string, unknown> = dryRunFields(event, target, rule, action, category);
    fields.status = "success";
    fields.output = "no action, dry-run is enabled";
    fields.plan = plan.plan;
    if (plan.details) fields.details = plan.details;
    for (const k in plan.objects) fields[k] = plan.objects[k];
    this.deps.logger.info(fields, "action");
    this.attempt(event, target, rule, action, {
      status: "ignored",
      reason: "dry_run",
      plan: plan.plan,
      objects: plan.objects,
      details: plan.details,
    });
  }

  /** A dry run that could not plan (an event it cannot act on): a failure. */
  dryRunFailed(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    category: string,
    err: unknown,
  ): void {
    const error = errorText(err);
    this.deps.logger.error(
      { ...dryRunFields(event, target, rule, action, category), status: "failure", dry_run: true, error },
      "action",
    );
    this.attempt(event, target, rule, action, { status: "failure", reason: "dry_run", error });
  }

  // ── The actionner's run and the output ────────────────────────────────────
  inProgress(fields: ActionFields, category: string): void {
    this.deps.logger.info({ ...fields, category, status: "in_progress" }, "action");
  }

  actionDuration(
    action: Action,
    status: ActionResult["status"],
    seconds: number,
    event?: FalcoEvent,
    rule?: Rule,
  ): void {
    this.deps.metrics.actionSeconds.observe({ actionner: action.actionner, status }, seconds);
    if (this.deps.watcher && event && rule)
      this.deps.watcher.duration(event, actionId(event.id, rule.name, action.name), seconds * 1000);
  }

  /**
   * An action's result (or an event a check refused, `stage: "checks"`): counted, logged,
   * audited and notified. `printedArtifact` replaces the output text in the log line.
   */
  action(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    category: string,
    result: ActionResult,
    printedArtifact: string | undefined,
    actionContext: Context,
    stage?: string,
    kept?: KeptUndo,
  ): void {
    this.countAction(event, rule, action, result.status);
    const notification: Notification = {
      ...notificationBase(event, rule, action, "action", result.status, result.objects),
      category,
      output: result.output,
      result: result.result,
      error: result.error,
      stage,
      ...(kept ? { action_id: kept.action_id } : {}),
    };
    this.log(notification, result.objects, printedArtifact, kept?.revert_at);
    const id = kept?.action_id ?? actionId(event.id, rule.name, action.name);
    this.audit(event, target, notification, id, result.objects, kept);
    this.deps.notifications.send(rule, notification, actionContext, this.onSent(event, id));
  }

  /** An output step's outcome: its `output` span, then counted, logged, audited and notified. */
  output(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    outputTarget: string,
    category: string,
    outcome: OutputResult,
    actionContext: Context,
  ): void {
    const span = this.deps.tracer.startSpan(
      "output",
      {
        attributes: {
          "output.name": action.name,
          "output.category": category,
          "output.target": outputTarget,
          "output.status": outcome.status,
          "output.message": outcome.error ?? outcome.output ?? "",
        },
      },
      actionContext,
    );
    if (outcome.status === "failure") failSpan(span, outcome.error);
    else span.setStatus({ code: SpanStatusCode.OK, message: outcome.status });
    span.end();
    this.deps.metrics.outputs.inc({
      rule: rule.name,
      action: action.name,
      status: outcome.status,
      category,
      target: outputTarget,
      ...scope(),
    });
    const notification: Notification = {
      ...notificationBase(event, rule, action, "output", outcome.status, outcome.objects),
      category,
      output: outcome.output,
      output_target: outputTarget,
      error: outcome.error,
    };
    this.log(notification, outcome.objects);
    const id = actionId(event.id, rule.name, action.name);
    this.audit(event, target, notification, id, outcome.objects);
    this.deps.notifications.send(
      rule,
      notification,
      trace.setSpan(actionContext, span),
      this.onSent(event, id),
    );
  }

  // ── Shared pieces ────────────────────────────────────────────────────────
  /** Metric label values from events are bounded by the rules in force (see metrics/bounds). */
  private bounds(): LabelBounds {
    return boundsFor(this.deps.rules(), this.deps.falcoRuleNames);
  }

  private countAction(event: FalcoEvent, rule: Rule, action: Action, status: ActionResult["status"]): void {
    this.deps.metrics.actions.inc({
      rule: rule.name,
      event: this.bounds().falcoRule(event.rule),
      action: action.name,
      actionner: action.actionner,
      status,
      ...scope(),
    });
  }

  /** An audit entry for an attempt that did not reach the actionner's run. */
  private attempt(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    outcome: AttemptOutcome,
  ): void {
    const { audit, watcher } = this.deps;
    if (!audit && !watcher) return;
    const record: AuditRecord = {
      message: "action",
      action_id: actionId(event.id, rule.name, action.name),
      event_id: event.id,
      trace_id: event.trace_id,
      rule: rule.name,
      action: action.name,
      actionner: action.actionner,
      target,
      ...outcome,
    };
    audit?.record(record);
    watcher?.attempt(event, record);
  }

  /** The console's view of a notification's outcome; none without a console. */
  private onSent(event: FalcoEvent, id: string): SentCallback | undefined {
    const watcher = this.deps.watcher;
    if (!watcher) return undefined;
    return (notifier, status, error) => watcher.notified(event.id, id, notifier, status, error);
  }

  /** Talon's `message=action|output` log line: the notification's non-empty fields plus the objects. */
  private log(
    n: Notification,
    objects: Record<string, string>,
    outputOverride?: string,
    revertAt?: string,
  ): void {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) {
      if (k !== "objects" && k !== "time" && k !== "message" && v !== undefined && v !== "") fields[k] = v;
    }
    if (outputOverride) fields.output = outputOverride;
    if (revertAt) fields.revert_at = revertAt;
    Object.assign(fields, objects);
    if (n.status === "failure") this.deps.logger.error(fields, n.message);
    else this.deps.logger.info(fields, n.message);
  }

  private audit(
    event: FalcoEvent,
    target: string,
    n: Notification,
    id: string,
    objects: Record<string, string>,
    kept?: KeptUndo,
  ): void {
    const { audit, watcher } = this.deps;
    if (!audit && !watcher) return;
    const record: AuditRecord = {
      time: n.time,
      message: n.message,
      action_id: id,
      event_id: event.id,
      trace_id: event.trace_id,
      rule: n.rule,
      action: n.action,
      actionner: n.actionner,
      target,
      output_target: n.output_target,
      status: n.status,
      error: n.error,
      stage: n.stage,
      undo: kept?.undo,
      revert_at: kept?.revert_at,
      objects,
    };
    audit?.record(record);
    watcher?.attempt(event, record);
  }
}

/** Talon's constant OTel scope labels. */
const scope = () => Metrics.scope;

/**
 * Talon's keys for an event in logs (`event` is the Falco rule, `output` its text), and the
 * matching rule's name on its `match` line: one literal (no spread on the hot path); an undefined
 * `rule` is left out of the line by pino.
 */
function eventFields(event: FalcoEvent, rule?: string) {
  return {
    event: event.rule,
    priority: event.priority,
    source: event.source,
    output: event.output,
    trace_id: event.trace_id,
    rule,
  };
}

function dryRunFields(event: FalcoEvent, target: string, rule: Rule, action: Action, category: string) {
  return {
    rule: rule.name,
    action: action.name,
    actionner: action.actionner,
    category,
    trace_id: event.trace_id,
    target,
  };
}

function notificationBase(
  event: FalcoEvent,
  rule: Rule,
  action: Action,
  message: Notification["message"],
  status: Notification["status"],
  objects: Record<string, string>,
): Notification {
  return {
    time: new Date().toISOString(),
    message,
    status,
    rule: rule.name,
    event: event.output,
    priority: event.priority,
    source: event.source,
    action: action.name,
    actionner: action.actionner,
    trace_id: event.trace_id,
    objects: titleCase(objects),
  };
}

function titleCase(objects: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(objects)) out[k.charAt(0).toUpperCase() + k.slice(1)] = v;
  return out;
}
