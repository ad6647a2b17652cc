/**
 * The response pipeline, top to bottom:
 *   intake (accept) → dedup → queue (per-target order) → match → flow control
 *   → actionner (contexts, checks, run) → output → notifiers.
 * Everything else (HTTP, rules loading, plug-ins) plugs into this module.
 */
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { Logger } from "pino";
import { findActionner } from "../actionners/registry.js";
import type { AuditRecord, AuditSink } from "../audit/log.js";
import type { Config } from "../config/schema.js";
import { findContext } from "../contexts/registry.js";
import { errorText } from "../error-text.js";
import type { FalcoEvent } from "../events/event.js";
import type { KubeClient } from "../kube/client.js";
import { InvalidNameError } from "../kube/names.js";
import { boundsFor, type LabelBounds } from "../metrics/bounds.js";
import { Metrics } from "../metrics/metrics.js";
import { findNotifier } from "../notifiers/registry.js";
import { findOutput } from "../outputs/registry.js";
import type {
  ActionInput,
  Actionner,
  ActionPlan,
  ActionResult,
  ContextProvider,
  Notification,
  Notifier,
  Output,
  OutputResult,
  PluginEnv,
} from "../plugins/types.js";
import { MemoryCooldowns } from "../queue/cooldowns.js";
import { KeyedMutex } from "../queue/keyed.js";
import { MemoryEventQueue } from "../queue/memory.js";
import { nodeKey, targetKey } from "../queue/target.js";
import type { CooldownStore, EventQueue } from "../queue/types.js";
import { matchingRules } from "../rules/match.js";
import type { Action, Rule, RuleSet } from "../rules/types.js";
import { buildVars } from "../templating/substitute.js";
import { startEventSpan } from "../tracing/event-span.js";
import {
  extractTraceContext,
  injectTraceHeaders,
  noExportTracer,
  type TraceHeaders,
} from "../tracing/tracing.js";

export interface PipelineDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The rules in force now (hot reload swaps them). */
  rules: () => RuleSet;
  kube: () => KubeClient;
  /** Where accepted events wait; defaults to the in-process queue. */
  queue?: EventQueue;
  /** Cooldowns shared by replicas (JetStream KV); in-process when unset. */
  cooldowns?: CooldownStore;
  /** Plug-in lookup; defaults to the built-in registries (tests pass stubs). */
  plugins?: PluginLookup;
  /** Action audit trail (audit.file and/or the JetStream audit stream); every action and output attempt is appended. */
  audit?: AuditSink;
  /** Rule names of the built-in Falco engine: metric labels may carry them (see metrics/bounds). */
  falcoRuleNames?: readonly string[];
  /** Spans of talon.md §9.2; defaults to a tracer that exports nothing (trace ids still exist). */
  tracer?: Tracer;
}

export interface PluginLookup {
  findActionner(fullName: string): Actionner | undefined;
  findOutput(fullName: string): Output | undefined;
  findNotifier(name: string): Notifier | undefined;
  findContext(name: string): ContextProvider | undefined;
}

const builtinPlugins: PluginLookup = { findActionner, findOutput, findNotifier, findContext };

export type AcceptResult = "queued" | "duplicate" | "full" | "stopped";

/** Outcome of one action, for flow control. */
interface ActionOutcome {
  failed: boolean;
}

function titleCase(objects: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(objects)) out[k.charAt(0).toUpperCase() + k.slice(1)] = v;
  return out;
}

const boolText = (b: boolean | undefined) => (b === undefined ? undefined : b ? "true" : "false");

/** Talon's context keys (talon.md §2.5), added to a shallow copy of the event. */
function withTalonContext(event: FalcoEvent, rule: Rule, action: Action): FalcoEvent {
  const context: Record<string, unknown> = {
    ...event.context,
    "falco-talon.rule": rule.name,
    "falco-talon.action": action.name,
    "falco-talon.actionner": action.actionner,
    "falco-talon.action.parameters": JSON.stringify(action.parameters),
  };
  const optional: Record<string, string | undefined> = {
    "falco-talon.rule.continue": boolText(rule.continue),
    "falco-talon.rule.dry_run": rule.dryRun === "server" ? "server" : boolText(rule.dryRun),
    "falco-talon.action.continue": boolText(action.continue),
    "falco-talon.action.ignore_errors": boolText(action.ignoreErrors),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) context[k] = v;
  return { ...event, context };
}

export class Pipeline {
  private readonly queue: EventQueue;
  private readonly nodeLocks = new KeyedMutex();
  private readonly pendingNotifications = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly parsedParameters = new WeakMap<object, unknown>();
  private stopping = false;
  private readonly plugins: PluginLookup;
  private readonly tracer: Tracer;
  /** Per rule+target cooldowns: in process, or shared by the replicas (deps.cooldowns). */
  private readonly localCooldowns = new MemoryCooldowns();

  constructor(private readonly deps: PipelineDeps) {
    const { config } = deps;
    this.plugins = deps.plugins ?? builtinPlugins;
    this.tracer = deps.tracer ?? noExportTracer();
    this.queue =
      deps.queue ??
      new MemoryEventQueue({
        capacity: config.queue.capacity,
        concurrency: config.queue.concurrency,
        dedupWindowMs: config.deduplication.time_window_seconds * 1000,
      });
    this.queue.start(
      async (event, traceHeaders) => {
        try {
          await this.process(event, traceHeaders);
        } finally {
          deps.metrics.queueDepth.set(this.queue.size - 1);
        }
      },
      (err, event) =>
        deps.logger.error(
          { error: errorText(err), rule: event.rule, trace_id: event.trace_id },
          "recovered from panic while processing event",
        ),
    );
  }

  get queued(): number {
    return this.queue.size;
  }

  // ── Intake ────────────────────────────────────────────────────────────────
  /**
   * Takes an event in. `parent` is the trace context it arrived with (the HTTP server span or
   * a remote `traceparent`); the `event` span started under it gives the event its trace_id.
   */
  async accept(event: FalcoEvent, parent: Context = ROOT_CONTEXT): Promise<AcceptResult> {
    const { metrics, logger, config } = this.deps;
    const span = startEventSpan(this.tracer, event, parent);
    try {
      metrics.events.inc({ ...this.eventLabels(event), ...scope() });
      if (config.print_all_events) logger.info(eventFields(event), "event");
      if (this.stopping) return "stopped";
      const result = await this.queue.push(event, injectTraceHeaders(trace.setSpan(parent, span)));
      if (result === "duplicate") {
        metrics.deduplicated.inc();
        logger.debug(eventFields(event), "event deduplicated");
        this.auditDuplicate(event);
      } else if (result === "queued") {
        metrics.queueDepth.set(this.queue.size);
      }
      return result;
    } finally {
      span.end();
    }
  }

  /** Metric label values from events are bounded by the rules in force (see metrics/bounds). */
  private bounds(): LabelBounds {
    return boundsFor(this.deps.rules(), this.deps.falcoRuleNames);
  }

  /** The event's `event`, `priority` and `source` metric labels, bounded. */
  private eventLabels(event: FalcoEvent): { event: string; priority: string; source: string } {
    const bounds = this.bounds();
    return {
      event: bounds.falcoRule(event.rule),
      priority: bounds.priority(event.priority),
      source: bounds.source(event.source),
    };
  }

  /**
   * A duplicate is never processed; with an audit trail, each action it would have run gets an
   * `ignored`/`duplicate` entry (matching runs only for duplicates, and only when audited).
   */
  private auditDuplicate(event: FalcoEvent): void {
    const audit = this.deps.audit;
    if (!audit) return;
    for (const rule of matchingRules(this.deps.rules().rules, event)) {
      for (const action of rule.actions) {
        this.auditAttempt(event, rule, action, { status: "ignored", reason: "duplicate" });
      }
      if (rule.continue === false) break;
    }
  }

  // ── Match and flow control ───────────────────────────────────────────────
  /**
   * Runs the matching rules on a queued event. `traceHeaders` carry the `event` span's context;
   * without them (an event that skipped accept) an `event` span is started here.
   */
  async process(event: FalcoEvent, traceHeaders?: TraceHeaders): Promise<void> {
    const { logger, metrics, config } = this.deps;
    let eventContext = extractTraceContext(traceHeaders);
    if (!trace.getSpanContext(eventContext)) {
      const span = startEventSpan(this.tracer, event, ROOT_CONTEXT);
      span.end();
      eventContext = trace.setSpan(ROOT_CONTEXT, span);
    }
    const matched = matchingRules(this.deps.rules().rules, event);
    if (matched.length === 0) return;
    if (!config.print_all_events) logger.info(eventFields(event), "event");

    const labels = this.eventLabels(event);
    for (const rule of matched) {
      logger.info({ ...eventFields(event), rule: rule.name }, "match");
      // Talon's `match` span is ended at once; the rule's steps are its children.
      const matchSpan = this.tracer.startSpan(
        "match",
        {
          attributes: {
            "event.rule": event.rule,
            "event.output": event.output,
            "event.source": event.source,
            "event.trace_id": event.trace_id,
            "rule.name": rule.name,
            "rule.description": rule.description,
          },
        },
        eventContext,
      );
      matchSpan.setStatus({ code: SpanStatusCode.OK, message: "match detected" });
      matchSpan.end();
      const matchContext = trace.setSpan(eventContext, matchSpan);
      metrics.matches.inc({ rule: rule.name, ...labels, ...scope() });
      const coolingSeconds = await this.cooldown(rule, event);
      if (coolingSeconds !== undefined) {
        for (const action of rule.actions) this.reportCooldown(event, rule, action, coolingSeconds);
      } else {
        for (const action of rule.actions) {
          const actionner = this.plugins.findActionner(action.actionner);
          const outcome = await this.runAction(event, rule, action, matchContext);
          if (outcome.failed && action.ignoreErrors !== true) break;
          if (!(action.continue ?? actionner?.info.continue ?? true)) break;
        }
      }
      if (rule.continue === false) break;
    }
  }

  /**
   * A rule with `cooldown_seconds` acts on a target at most once per cooldown: returns the
   * seconds left when it is cooling down, else starts a new cooldown and returns undefined.
   * (Events of one target are processed in order, so check-then-set does not race.) When the
   * shared store cannot be reached, this replica's own memory decides, so actions still run.
   */
  private async cooldown(rule: Rule, event: FalcoEvent): Promise<number | undefined> {
    if (!rule.cooldownSeconds) return undefined;
    const key = `${rule.name}\u0000${targetKey(event)}`;
    const shared = this.deps.cooldowns;
    if (!shared) return this.localCooldowns.claimNow(key, rule.cooldownSeconds);
    try {
      return await shared.claim(key, rule.cooldownSeconds);
    } catch (err) {
      this.deps.logger.warn(
        { rule: rule.name, trace_id: event.trace_id, error: errorText(err) },
        "shared cooldown unavailable, using this replica's",
      );
      return this.localCooldowns.claimNow(key, rule.cooldownSeconds);
    }
  }

  /** A skipped action: logged and audited as `ignored`, counted, no notification. */
  private reportCooldown(event: FalcoEvent, rule: Rule, action: Action, secondsLeft: number): void {
    const target = targetKey(event);
    this.deps.metrics.actions.inc({
      rule: rule.name,
      event: this.bounds().falcoRule(event.rule),
      action: action.name,
      actionner: action.actionner,
      status: "ignored",
      ...scope(),
    });
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
    this.auditAttempt(event, rule, action, { status: "ignored", reason: "cooldown" });
  }

  // ── One action: contexts → checks → run → output → notifiers ─────────────
  private async runAction(
    original: FalcoEvent,
    rule: Rule,
    action: Action,
    matchContext: Context,
  ): Promise<ActionOutcome> {
    const { logger, config } = this.deps;
    const actionner = this.plugins.findActionner(action.actionner);
    const base = {
      rule: rule.name,
      action: action.name,
      actionner: action.actionner,
      trace_id: original.trace_id,
    };
    if (!actionner) {
      const error = `unknown actionner '${action.actionner}'`;
      logger.error({ ...base, error }, "action");
      this.auditAttempt(original, rule, action, { status: "failure", error });
      return { failed: true };
    }
    const category = actionner.info.category;
    const event = withTalonContext(original, rule, action);
    const deadline = this.actionDeadline(config.queue.action_timeout_seconds * 1000);
    const env: PluginEnv = {
      config,
      logger,
      kube: this.deps.kube,
      dryRun: rule.dryRun === "server" ? "server" : undefined,
      signal: deadline.signal,
    };

    if (actionner.info.useContext && action.additionalContexts.length > 0) {
      await this.addContexts(event, action, env, base, matchContext);
    }

    let parameters: unknown;
    try {
      parameters = this.parameters(actionner, action);
    } catch (err) {
      deadline.dispose();
      const error = errorText(err);
      logger.error({ ...base, category, stage: "parameters", error }, "action");
      this.auditAttempt(event, rule, action, { status: "failure", stage: "parameters", error });
      return { failed: true };
    }
    const input: ActionInput<unknown> = {
      event,
      parameters,
      vars: buildVars(event),
      rule: rule.name,
      action: action.name,
      env,
      memo: new Map(),
    };

    if (rule.dryRun === true) {
      try {
        return await this.dryRun(event, rule, action, actionner, input);
      } finally {
        deadline.dispose();
      }
    }

    const execute = async (): Promise<ActionOutcome> => {
      const checksSpan = this.tracer.startSpan("checks", {}, matchContext);
      try {
        await abortable(actionner.checks(input), env.signal);
        checksSpan.addEvent("all checks passed");
        checksSpan.setStatus({ code: SpanStatusCode.OK, message: "all checks passed" });
      } catch (err) {
        failSpan(checksSpan, err);
        if (err instanceof InvalidNameError) {
          // An event value that can't name an object: reported like a failed action
          // (log, audit, metric, notifications), and no request was sent for it.
          const result: ActionResult = { status: "failure", error: err.message, objects: {} };
          this.reportAction(event, rule, action, actionner, result, undefined, matchContext, "checks");
          return { failed: true };
        }
        // Talon: a failed check is logged, with no metric and no notification; it is audited.
        const error = errorText(err);
        logger.error({ ...base, category, stage: "checks", error }, "action");
        this.auditAttempt(event, rule, action, { status: "failure", stage: "checks", error });
        return { failed: true };
      } finally {
        checksSpan.end();
      }
      const actionSpan = this.tracer.startSpan(
        "action",
        {
          attributes: {
            "action.name": action.name,
            "action.actionner": action.actionner,
            "action.description": action.description,
            "action.continue": action.continue ?? actionner.info.continue,
            "action.ignore_errors": action.ignoreErrors ?? false,
            // Talon's literal attribute key, kept for dashboards built on it.
            "actionner.Information().Category": category,
            "actionner.category": category,
            "actionner.name": actionner.info.name,
          },
        },
        matchContext,
      );
      try {
        return await this.runActionner(event, rule, action, actionner, input, actionSpan, matchContext);
      } finally {
        actionSpan.end();
      }
    };

    const nodeLevel = actionner.nodeLevel?.(parameters as never) ?? false;
    try {
      return await (nodeLevel ? this.nodeLocks.run(nodeKey(event), execute) : execute());
    } finally {
      deadline.dispose();
    }
  }

  /** The actionner's run, its report, then its output step, inside the `action` span. */
  private async runActionner(
    event: FalcoEvent,
    rule: Rule,
    action: Action,
    actionner: Actionner,
    input: ActionInput<unknown>,
    actionSpan: Span,
    matchContext: Context,
  ): Promise<ActionOutcome> {
    const { logger } = this.deps;
    const env = input.env;
    const category = actionner.info.category;
    const actionContext = trace.setSpan(matchContext, actionSpan);
    const base = {
      rule: rule.name,
      action: action.name,
      actionner: action.actionner,
      trace_id: event.trace_id,
    };
    logger.info({ ...base, category, status: "in_progress" }, "action");
    const started = performance.now();
    let result: ActionResult;
    try {
      result = await abortable(actionner.run(input), env.signal);
    } catch (err) {
      result = { status: "failure", error: errorText(err), objects: {} };
    }
    if (result.status === "failure" && !result.error) result.error = "action failed";
    this.deps.metrics.actionSeconds.observe(
      { actionner: action.actionner, status: result.status },
      (performance.now() - started) / 1000,
    );
    const printedArtifact = !action.output && result.data ? result.data.bytes.toString("utf8") : undefined;
    actionSpan.setAttributes({
      "action.result": result.result ?? "",
      "action.output": result.output ?? "",
    });
    for (const [k, v] of Object.entries(result.objects)) actionSpan.setAttribute(`object.${k}`, v);
    if (result.status === "failure") failSpan(actionSpan, result.error);
    else actionSpan.setStatus({ code: SpanStatusCode.OK, message: result.status });
    this.reportAction(event, rule, action, actionner, result, printedArtifact, actionContext);
    if (result.status === "failure") return { failed: true };
    return this.runOutput(event, rule, action, actionner, result, env, actionContext);
  }

  /**
   * `dry_run: true`: nothing is sent. The action logs Talon's `no action, dry-run is enabled`
   * line plus the plan (what it would do to which object) and is audited as `ignored`/`dry_run`
   * with that plan; an event it could not act on (an invalid name) is a failure. As in Talon,
   * no metric and no notification.
   */
  private async dryRun(
    event: FalcoEvent,
    rule: Rule,
    action: Action,
    actionner: Actionner,
    input: ActionInput<unknown>,
  ): Promise<ActionOutcome> {
    const base = {
      rule: rule.name,
      action: action.name,
      actionner: action.actionner,
      category: actionner.info.category,
      trace_id: event.trace_id,
      target: targetKey(event),
    };
    let plan: ActionPlan;
    try {
      plan = actionner.plan
        ? await abortable(Promise.resolve(actionner.plan(input)), input.env.signal)
        : genericPlan(action);
    } catch (err) {
      const error = errorText(err);
      this.deps.logger.error({ ...base, status: "failure", dry_run: true, error }, "action");
      this.auditAttempt(event, rule, action, { status: "failure", reason: "dry_run", error });
      return { failed: true };
    }
    if (action.output)
      plan = { ...plan, plan: `${plan.plan}, then send the result to ${action.output.target}` };
    this.deps.logger.info(
      {
        ...base,
        status: "success",
        output: "no action, dry-run is enabled",
        plan: plan.plan,
        ...(plan.details ? { details: plan.details } : {}),
        ...plan.objects,
      },
      "action",
    );
    this.auditAttempt(event, rule, action, {
      status: "ignored",
      reason: "dry_run",
      plan: plan.plan,
      objects: plan.objects,
      details: plan.details,
    });
    return { failed: false };
  }

  /** An audit entry for an attempt that did not reach the actionner's run. */
  private auditAttempt(
    event: FalcoEvent,
    rule: Rule,
    action: Action,
    outcome: Pick<AuditRecord, "status" | "error" | "reason" | "stage" | "plan" | "objects" | "details">,
  ): void {
    this.deps.audit?.record({
      message: "action",
      event_id: event.id,
      trace_id: event.trace_id,
      rule: rule.name,
      action: action.name,
      actionner: action.actionner,
      target: targetKey(event),
      ...outcome,
    });
  }

  /**
   * An abort signal for one action: fires on the action timeout or on shutdown.
   * (AbortSignal.any/timeout keep timers and listeners alive until GC on Node 20.)
   */
  private actionDeadline(ms: number): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const err = new Error(`action timed out after ${ms / 1000}s`);
      err.name = "TimeoutError";
      controller.abort(err);
    }, ms);
    timer.unref();
    const onShutdown = () => controller.abort(this.shutdown.signal.reason);
    this.shutdown.signal.addEventListener("abort", onShutdown, { once: true });
    return {
      signal: controller.signal,
      dispose: () => {
        clearTimeout(timer);
        this.shutdown.signal.removeEventListener("abort", onShutdown);
      },
    };
  }

  private async addContexts(
    event: FalcoEvent,
    action: Action,
    env: PluginEnv,
    base: Record<string, string>,
    matchContext: Context,
  ): Promise<void> {
    for (const name of action.additionalContexts) {
      const span = this.tracer.startSpan("context", { attributes: { "context.source": name } }, matchContext);
      try {
        const provider = this.plugins.findContext(name);
        if (!provider) throw new Error(`unknown context '${name}'`);
        const values = await abortable(provider.fetch(event, env), env.signal);
        for (const [k, v] of Object.entries(values)) {
          if (v === "") continue;
          event.context[k] = v;
          span.setAttribute(k.toLowerCase(), v);
        }
        span.setStatus({ code: SpanStatusCode.OK });
        this.deps.logger.debug({ ...base, context: name }, "context");
      } catch (err) {
        failSpan(span, err);
        this.deps.logger.error({ ...base, context: name, error: errorText(err) }, "context");
        // Talon: a context error stops the context loop, but the action still runs.
        if (action.ignoreErrors !== true) break;
      } finally {
        span.end();
      }
    }
  }

  private parameters(actionner: Actionner, action: Action): unknown {
    let parsed = this.parsedParameters.get(action.parameters);
    if (parsed === undefined) {
      parsed = actionner.parameters.parse(action.parameters);
      this.parsedParameters.set(action.parameters, parsed);
    }
    return parsed;
  }

  private async runOutput(
    event: FalcoEvent,
    rule: Rule,
    action: Action,
    actionner: Actionner,
    result: ActionResult,
    env: PluginEnv,
    actionContext: Context,
  ): Promise<ActionOutcome> {
    const { requireOutput, allowOutput } = actionner.info;
    if (!requireOutput && !(allowOutput && action.output && result.data)) return { failed: false };
    const target = action.output?.target ?? "";
    const fail = (error: string, category = ""): ActionOutcome => {
      const failure: OutputResult = { status: "failure", error, objects: {} };
      this.reportOutput(event, rule, action, target, category, failure, actionContext);
      return { failed: true };
    };
    if (!action.output) return fail("an output is required");
    if (!result.data || result.data.bytes.length === 0) return fail("empty output");
    const output = this.plugins.findOutput(target);
    if (!output) return fail(`unknown output target '${target}'`);
    let outcome: OutputResult;
    try {
      const parameters = output.parameters.parse(action.output.parameters);
      await abortable(output.checks(parameters, env), env.signal);
      outcome = await abortable(output.run({ artifact: result.data, parameters, env }), env.signal);
    } catch (err) {
      outcome = { status: "failure", error: errorText(err), objects: {} };
    }
    this.reportOutput(event, rule, action, target, output.info.category, outcome, actionContext);
    return { failed: outcome.status === "failure" };
  }

  // ── Reporting: logs, metrics, notifications ──────────────────────────────
  private reportAction(
    event: FalcoEvent,
    rule: Rule,
    action: Action,
    actionner: Actionner,
    result: ActionResult,
    printedArtifact: string | undefined,
    actionContext: Context,
    stage?: string,
  ): void {
    this.deps.metrics.actions.inc({
      rule: rule.name,
      event: this.bounds().falcoRule(event.rule),
      action: action.name,
      actionner: action.actionner,
      status: result.status,
      ...scope(),
    });
    const notification: Notification = {
      ...this.notificationBase(event, rule, action, "action", result.status, result.objects),
      category: actionner.info.category,
      output: result.output,
      result: result.result,
      error: result.error,
      stage,
    };
    this.log(notification, result.objects, printedArtifact);
    this.audit(event, notification);
    this.notify(rule, notification, actionContext);
  }

  private reportOutput(
    event: FalcoEvent,
    rule: Rule,
    action: Action,
    target: string,
    category: string,
    outcome: OutputResult,
    actionContext: Context,
  ): void {
    const span = this.tracer.startSpan(
      "output",
      {
        attributes: {
          "output.name": action.name,
          "output.category": category,
          "output.target": target,
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
      target,
      ...scope(),
    });
    const notification: Notification = {
      ...this.notificationBase(event, rule, action, "output", outcome.status, outcome.objects),
      category,
      output: outcome.output,
      output_target: target,
      error: outcome.error,
    };
    this.log(notification, outcome.objects);
    this.audit(event, notification);
    this.notify(rule, notification, trace.setSpan(actionContext, span));
  }

  private notificationBase(
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

  /** Talon's `message=action|output` log line: the notification's non-empty fields plus the objects. */
  private log(n: Notification, objects: Record<string, string>, outputOverride?: string): void {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) {
      if (k !== "objects" && k !== "time" && k !== "message" && v !== undefined && v !== "") fields[k] = v;
    }
    if (outputOverride) fields.output = outputOverride;
    Object.assign(fields, objects);
    if (n.status === "failure") this.deps.logger.error(fields, n.message);
    else this.deps.logger.info(fields, n.message);
  }

  private audit(event: FalcoEvent, n: Notification): void {
    this.deps.audit?.record({
      time: n.time,
      message: n.message,
      event_id: event.id,
      trace_id: event.trace_id,
      rule: n.rule,
      action: n.action,
      actionner: n.actionner,
      target: targetKey(event),
      output_target: n.output_target,
      status: n.status,
      error: n.error,
      stage: n.stage,
    });
  }

  /** Fires notifications without blocking the pipeline; failures are logged and counted. */
  private notify(rule: Rule, notification: Notification, parent: Context): void {
    const { config, logger, metrics } = this.deps;
    const names = [...new Set([...config.default_notifiers, ...rule.notifiers].map((n) => n.toLowerCase()))];
    for (const name of names) {
      const notifier = this.plugins.findNotifier(name);
      if (!notifier) {
        logger.warn({ notifier: name, rule: rule.name }, "unknown notifier");
        continue;
      }
      const labels = {
        rule: notification.rule,
        action: notification.action,
        actionner: notification.actionner,
        notifier: name,
        target: notification.output_target ?? "",
        ...scope(),
      };
      const env: PluginEnv = {
        config,
        logger,
        kube: this.deps.kube,
        signal: this.shutdown.signal,
      };
      const span = this.tracer.startSpan("notification", { attributes: { "notifier.name": name } }, parent);
      const send = (async () => {
        try {
          const settings = notifier.parameters.parse(config.notifiers[name] ?? {});
          await notifier.send(notification, settings, env);
          span.setStatus({ code: SpanStatusCode.OK });
          metrics.notifications.inc({ ...labels, status: "success" });
          logger.info(
            { notifier: name, rule: rule.name, action: notification.action, status: "success" },
            "notification",
          );
        } catch (err) {
          failSpan(span, err);
          metrics.notifications.inc({ ...labels, status: "failure" });
          logger.error(
            {
              notifier: name,
              rule: rule.name,
              action: notification.action,
              status: "failure",
              error: errorText(err),
            },
            "notification",
          );
        } finally {
          span.end();
        }
      })();
      this.pendingNotifications.add(send);
      void send.finally(() => this.pendingNotifications.delete(send));
    }
  }

  // ── Shutdown ─────────────────────────────────────────────────────────────
  /** Stops intake, finishes queued work and notifications up to the timeout, then aborts the rest. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    const started = Date.now();
    const drained = await this.queue.drain(timeoutMs);
    const left = Math.max(0, timeoutMs - (Date.now() - started));
    const notified = await Promise.race([
      Promise.allSettled([...this.pendingNotifications]).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), left).unref()),
    ]);
    this.shutdown.abort(new Error("shutting down"));
    await this.queue.close();
    return drained && notified;
  }
}

/** Talon's constant OTel scope labels. */
const scope = () => Metrics.scope;

/** Talon's keys for an event in logs: `event` is the Falco rule, `output` its text. */
function eventFields(event: FalcoEvent) {
  return {
    event: event.rule,
    priority: event.priority,
    source: event.source,
    output: event.output,
    trace_id: event.trace_id,
  };
}

/** The plan of an actionner that describes none: its parameters, as written in the rule. */
function genericPlan(action: Action): ActionPlan {
  return {
    objects: {},
    plan: `run ${action.actionner} with parameters ${JSON.stringify(action.parameters)}`,
  };
}

/** Marks a span failed with the error text, as an Error status and an exception event. */
function failSpan(span: Span, err: unknown): void {
  const message = err === undefined ? "failed" : errorText(err);
  span.recordException(err instanceof Error ? err : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Rejects when the signal aborts (timeout or shutdown), so a stuck plug-in never blocks a lane forever. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new Error("aborted");
}
