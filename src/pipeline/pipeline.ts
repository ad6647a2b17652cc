/**
 * The response pipeline, top to bottom:
 *   intake (accept) → dedup → queue (per-target order) → match → flow control
 *   → actionner (contexts, checks, run) → output → notifiers.
 * Logs, metrics, audit entries and notifications of each outcome are in report.ts.
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
import { abortable } from "../abortable.js";
import { revertAfterMs } from "../actionners/revert-after/index.js";
import { type AuditSink, replicaId } from "../audit/log.js";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import type { FalcoEvent } from "../events/event.js";
import type { KubeClient } from "../kube/client.js";
import { InvalidNameError } from "../kube/names.js";
import type { Metrics } from "../metrics/metrics.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type {
  ActionInput,
  Actionner,
  ActionPlan,
  ActionResult,
  Notification,
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
import { noExportTracer } from "../tracing/tracing.js";
import { actionId, type ReversibleAction } from "../undo/action.js";
import { actionDeadline } from "./abort.js";
import { Notifications } from "./notify.js";
import { type ActionFields, actionFields, type KeptUndo, type OutcomeWatcher, Reporter } from "./report.js";
import { failSpan, matchSpan, startActionSpan } from "./spans.js";
import { withTalonContext } from "./talon-context.js";

export interface PipelineDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The rules in force now (hot reload swaps them). */
  rules: () => RuleSet;
  kube: () => Promise<KubeClient>;
  /** Finds the actionners, outputs, notifiers and contexts rules name (the app's built-ins, or test stubs). */
  plugins: PluginLookup;
  /** Where accepted events wait; defaults to the in-process queue. */
  queue?: EventQueue;
  /** Cooldowns shared by replicas (JetStream KV); in-process when unset. */
  cooldowns?: CooldownStore;
  /** Action audit trail (audit.file and/or the JetStream audit stream); every action and output attempt is appended. */
  audit?: AuditSink;
  /** Rule names of the built-in Falco engine: metric labels may carry them (see metrics/bounds). */
  falcoRuleNames?: readonly string[];
  /**
   * Where the event, match, context, checks, action, output and notification spans go;
   * defaults to a tracer that exports nothing (trace ids still exist).
   */
  tracer?: Tracer;
  /**
   * Told of every reversible action that changed something (its undo record and expiry), so it
   * can be reverted later (src/undo).
   */
  undo?: { kept(action: ReversibleAction): Promise<void> | void };
  /** The operator console's live view (src/console/feed.ts), told of every outcome. */
  watcher?: OutcomeWatcher;
}

export type AcceptResult = "queued" | "duplicate" | "full" | "stopped";

/** Outcome of one action, for flow control. */
interface ActionOutcome {
  failed: boolean;
}

export class Pipeline {
  private readonly queue: EventQueue;
  private readonly nodeLocks = new KeyedMutex();
  private readonly shutdown = new AbortController();
  private readonly parsedParameters = new WeakMap<object, unknown>();
  private stopping = false;
  private readonly plugins: PluginLookup;
  private readonly tracer: Tracer;
  /** Per rule+target cooldowns: in process, or shared by the replicas (deps.cooldowns). */
  private readonly localCooldowns = new MemoryCooldowns();
  private readonly notifications: Notifications;
  private readonly report: Reporter;

  constructor(private readonly deps: PipelineDeps) {
    const { config, logger, metrics } = deps;
    this.plugins = deps.plugins;
    this.tracer = deps.tracer ?? noExportTracer();
    this.notifications = new Notifications({
      config,
      logger,
      metrics,
      kube: deps.kube,
      tracer: this.tracer,
      plugins: this.plugins,
      shutdown: this.shutdown.signal,
    });
    this.report = new Reporter({
      config,
      logger,
      metrics,
      rules: deps.rules,
      audit: deps.audit,
      falcoRuleNames: deps.falcoRuleNames,
      tracer: this.tracer,
      notifications: this.notifications,
      watcher: deps.watcher,
    });
    this.queue =
      deps.queue ??
      new MemoryEventQueue({
        capacity: config.queue.capacity,
        concurrency: config.queue.concurrency,
        dedupWindowMs: config.deduplication.time_window_seconds * 1000,
      });
    this.queue.start(
      async (event, eventContext) => {
        try {
          await this.process(event, eventContext);
        } finally {
          this.report.queueDepth(this.queue.size - 1);
        }
      },
      (err, event) => this.report.recovered(err, event),
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
    const span = startEventSpan(this.tracer, event, parent);
    try {
      this.report.received(event);
      if (this.stopping) return "stopped";
      const result = await this.queue.push(event, trace.setSpan(parent, span));
      if (result === "duplicate") this.report.duplicate(event);
      else if (result === "queued") this.report.queueDepth(this.queue.size);
      return result;
    } finally {
      span.end();
    }
  }

  // ── Match and flow control ───────────────────────────────────────────────
  /**
   * Runs the matching rules on a queued event. `context` is the `event` span's; without it (an
   * event that skipped accept) an `event` span is started here.
   */
  async process(event: FalcoEvent, context?: Context): Promise<void> {
    let eventContext = context ?? ROOT_CONTEXT;
    if (!trace.getSpanContext(eventContext)) {
      const span = startEventSpan(this.tracer, event, ROOT_CONTEXT);
      span.end();
      eventContext = trace.setSpan(ROOT_CONTEXT, span);
    }
    const matched = matchingRules(this.deps.rules().rules, event);
    if (matched.length === 0) {
      this.report.unmatched(event);
      return;
    }
    this.report.matchedEvent(event, matched);

    const labels = this.report.eventLabels(event);
    const target = targetKey(event);
    for (const rule of matched) {
      this.report.match(event, rule, labels);
      const matchContext = trace.setSpan(eventContext, matchSpan(this.tracer, event, rule, eventContext));
      const coolingSeconds = await this.cooldown(rule, event, target);
      if (coolingSeconds !== undefined) {
        for (const action of rule.actions) this.report.cooldown(event, target, rule, action, coolingSeconds);
      } else {
        for (const action of rule.actions) {
          const actionner = this.plugins.findActionner(action.actionner);
          const outcome = await this.runAction(event, target, rule, action, actionner, matchContext);
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
  private async cooldown(rule: Rule, event: FalcoEvent, target: string): Promise<number | undefined> {
    if (!rule.cooldownSeconds) return undefined;
    const key = `${rule.name}\u0000${target}`;
    const shared = this.deps.cooldowns;
    if (!shared) return this.localCooldowns.claimNow(key, rule.cooldownSeconds);
    try {
      return await shared.claim(key, rule.cooldownSeconds);
    } catch (err) {
      this.report.sharedCooldownUnavailable(event, rule, err);
      return this.localCooldowns.claimNow(key, rule.cooldownSeconds);
    }
  }

  // ── One action: contexts → checks → run → output → notifiers ─────────────
  private async runAction(
    original: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    actionner: Actionner | undefined,
    matchContext: Context,
  ): Promise<ActionOutcome> {
    const { logger, config } = this.deps;
    const fields = actionFields(original, rule, action);
    if (!actionner) {
      this.report.unknownActionner(original, target, rule, action, fields);
      return { failed: true };
    }
    const category = actionner.info.category;
    const event = withTalonContext(original, rule, action);
    // A dry run without contexts sends no request: shutdown alone bounds it, which spares a
    // timer and two listeners per event (they showed in the intake profile).
    const deadline =
      rule.dryRun === true && !(actionner.info.useContext && action.additionalContexts.length > 0)
        ? { signal: this.shutdown.signal, dispose: () => {} }
        : actionDeadline(config.queue.action_timeout_seconds * 1000, this.shutdown.signal);
    const env: PluginEnv = {
      config,
      logger,
      kube: this.deps.kube,
      dryRun: rule.dryRun === "server" ? "server" : undefined,
      signal: deadline.signal,
    };

    if (actionner.info.useContext && action.additionalContexts.length > 0) {
      await this.addContexts(event, action, env, fields, matchContext);
    }

    let parameters: unknown;
    try {
      parameters = this.parameters(actionner, action);
    } catch (err) {
      deadline.dispose();
      this.report.stageFailed(event, target, rule, action, fields, category, "parameters", err);
      return { failed: true };
    }
    let vars: ReturnType<typeof buildVars> | undefined;
    const input: ActionInput<unknown> = {
      event,
      parameters,
      // Built on first use: most actionners (and every dry-run plan without templates) never
      // read them.
      get vars() {
        vars ??= buildVars(event);
        return vars;
      },
      rule: rule.name,
      action: action.name,
      env,
      memo: new Map(),
    };

    if (rule.dryRun === true) {
      try {
        return await this.dryRun(event, target, rule, action, actionner, input);
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
          this.report.action(
            event,
            target,
            rule,
            action,
            category,
            result,
            undefined,
            matchContext,
            "checks",
          );
          return { failed: true };
        }
        // Talon: a failed check is logged, with no metric and no notification; it is audited.
        this.report.stageFailed(event, target, rule, action, fields, category, "checks", err);
        return { failed: true };
      } finally {
        checksSpan.end();
      }
      const actionSpan = startActionSpan(this.tracer, action, actionner, matchContext);
      try {
        return await this.runActionner(
          event,
          target,
          rule,
          action,
          actionner,
          input,
          fields,
          actionSpan,
          matchContext,
        );
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
    target: string,
    rule: Rule,
    action: Action,
    actionner: Actionner,
    input: ActionInput<unknown>,
    fields: ActionFields,
    actionSpan: Span,
    matchContext: Context,
  ): Promise<ActionOutcome> {
    const env = input.env;
    const category = actionner.info.category;
    const actionContext = trace.setSpan(matchContext, actionSpan);
    this.report.inProgress(fields, category);
    const started = performance.now();
    let result: ActionResult;
    try {
      result = await abortable(actionner.run(input), env.signal);
    } catch (err) {
      result = { status: "failure", error: errorText(err), objects: {} };
    }
    if (result.status === "failure" && !result.error) result.error = "action failed";
    this.report.actionDuration(action, result.status, (performance.now() - started) / 1000, event, rule);
    const printedArtifact = !action.output && result.data ? result.data.bytes.toString("utf8") : undefined;
    actionSpan.setAttributes({
      "action.result": result.result ?? "",
      "action.output": result.output ?? "",
    });
    for (const [k, v] of Object.entries(result.objects)) actionSpan.setAttribute(`object.${k}`, v);
    if (result.status === "failure") failSpan(actionSpan, result.error);
    else actionSpan.setStatus({ code: SpanStatusCode.OK, message: result.status });
    // Kept before the event is done: a replica killed right after would otherwise lose the record
    // (and its expiry) of a change it made.
    const kept = await this.keepUndo(event, target, rule, action, actionner, input.parameters, result);
    this.report.action(
      event,
      target,
      rule,
      action,
      category,
      result,
      printedArtifact,
      actionContext,
      undefined,
      kept,
    );
    if (result.status === "failure") return { failed: true };
    return this.runOutput(event, target, rule, action, actionner, result, env, actionContext);
  }

  /**
   * A reversible action that changed something: its id, undo record and expiry go to its report
   * and to the undo store (deps.undo), which reverts it on `revert_after` or on request.
   */
  private async keepUndo(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    actionner: Actionner,
    parameters: unknown,
    result: ActionResult,
  ): Promise<KeptUndo | undefined> {
    // A server-side dry run changed nothing, whatever the actionner returned.
    if (result.status !== "success" || !result.undo || !actionner.reversible || rule.dryRun === "server")
      return undefined;
    const after = revertAfterMs(parameters);
    const time = new Date();
    const kept: KeptUndo = {
      action_id: actionId(event.id, rule.name, action.name),
      undo: result.undo,
      ...(after !== undefined ? { revert_at: new Date(time.getTime() + after).toISOString() } : {}),
    };
    await this.deps.undo?.kept({
      ...kept,
      time: time.toISOString(),
      replica: replicaId(),
      event_id: event.id,
      ...(event.trace_id ? { trace_id: event.trace_id } : {}),
      rule: rule.name,
      action: action.name,
      actionner: action.actionner,
      target,
      objects: result.objects,
    });
    return kept;
  }

  /**
   * `dry_run: true`: nothing is sent. The action reports its plan (what it would do to which
   * object); an event it could not act on (an invalid name) is a failure.
   */
  private async dryRun(
    event: FalcoEvent,
    target: string,
    rule: Rule,
    action: Action,
    actionner: Actionner,
    input: ActionInput<unknown>,
  ): Promise<ActionOutcome> {
    const category = actionner.info.category;
    let plan: ActionPlan;
    try {
      const planned = actionner.plan ? actionner.plan(input) : genericPlan(action);
      plan = planned instanceof Promise ? await abortable(planned, input.env.signal) : planned;
    } catch (err) {
      this.report.dryRunFailed(event, target, rule, action, category, err);
      return { failed: true };
    }
    if (action.output)
      plan = { ...plan, plan: `${plan.plan}, then send the result to ${action.output.target}` };
    this.report.dryRun(event, target, rule, action, category, plan);
    return { failed: false };
  }

  private async addContexts(
    event: FalcoEvent,
    action: Action,
    env: PluginEnv,
    fields: ActionFields,
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
        this.report.context(fields, name);
      } catch (err) {
        failSpan(span, err);
        this.report.contextFailed(fields, name, err);
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
    target: string,
    rule: Rule,
    action: Action,
    actionner: Actionner,
    result: ActionResult,
    env: PluginEnv,
    actionContext: Context,
  ): Promise<ActionOutcome> {
    const { requireOutput, allowOutput } = actionner.info;
    if (!requireOutput && !(allowOutput && action.output && result.data)) return { failed: false };
    const outputTarget = action.output?.target ?? "";
    const fail = (error: string, category = ""): ActionOutcome => {
      const failure: OutputResult = { status: "failure", error, objects: {} };
      this.report.output(event, target, rule, action, outputTarget, category, failure, actionContext);
      return { failed: true };
    };
    if (!action.output) return fail("an output is required");
    if (!result.data || result.data.bytes.length === 0) return fail("empty output");
    const output = this.plugins.findOutput(outputTarget);
    if (!output) return fail(`unknown output target '${outputTarget}'`);
    let outcome: OutputResult;
    try {
      const parameters = output.parameters.parse(action.output.parameters);
      await abortable(output.checks(parameters, env), env.signal);
      outcome = await abortable(output.run({ artifact: result.data, parameters, env }), env.signal);
    } catch (err) {
      outcome = { status: "failure", error: errorText(err), objects: {} };
    }
    this.report.output(
      event,
      target,
      rule,
      action,
      outputTarget,
      output.info.category,
      outcome,
      actionContext,
    );
    return { failed: outcome.status === "failure" };
  }

  /**
   * Sends a notification outside an event (a revert) to the notifiers of the rule it names,
   * and the default ones; a rule no longer loaded gets the default notifiers only.
   */
  notify(ruleName: string, notification: Notification): void {
    const rule = this.deps.rules().rules.find((r) => r.name === ruleName) ?? {
      name: ruleName,
      notifiers: [],
    };
    this.notifications.send(rule, notification, ROOT_CONTEXT);
  }

  // ── Shutdown ─────────────────────────────────────────────────────────────
  /** Stops intake, finishes queued work and notifications up to the timeout, then aborts the rest. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    const started = Date.now();
    const drained = await this.queue.drain(timeoutMs);
    const left = Math.max(0, timeoutMs - (Date.now() - started));
    const notified = await this.notifications.settled(left);
    this.shutdown.abort(new Error("shutting down"));
    await this.queue.close();
    return drained && notified;
  }
}

/** The plan of an actionner that describes none: its parameters, as written in the rule. */
export function genericPlan(action: Action): ActionPlan {
  return {
    objects: {},
    plan: `run ${action.actionner} with parameters ${JSON.stringify(action.parameters)}`,
  };
}
