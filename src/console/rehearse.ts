/**
 * `POST /ui/api/rehearse`: what the rules in force would do with an event, without doing it.
 * The event is decoded as the intake does; matching, flow control (`continue`) and each action's
 * plan are the pipeline's (the actionner's `plan`, else the generic one). Nothing runs, except
 * for `dry_run: server` rules, whose Kubernetes actions that write API objects are sent with a
 * server-side dry run for the API server's own verdict (it changes nothing).
 */

import { errorText } from "../error-text.js";
import { decodeEventValue } from "../events/decode.js";
import { type FalcoEvent, receivedFields } from "../events/event.js";
import { genericPlan } from "../pipeline/pipeline.js";
import { withTalonContext } from "../pipeline/talon-context.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { ActionInput, ActionPlan, PluginEnv } from "../plugins/types.js";
import { matchingRules } from "../rules/match.js";
import type { Action, Rule, RuleSet } from "../rules/types.js";
import { buildVars } from "../templating/substitute.js";
import { ruleMatch } from "./reasons.js";
import type { RehearseResult, RuleMatch } from "./types.js";

/**
 * Actionners whose every write honours a server-side dry run (dryRun=All). Others (exec,
 * script, log, download, captures) run commands in pods or read: a dry run cannot check them,
 * so a rehearsal never runs them.
 */
export const SERVER_DRY_RUN_ACTIONNERS: ReadonlySet<string> = new Set([
  "kubernetes:terminate",
  "kubernetes:delete",
  "kubernetes:label",
  "kubernetes:annotation",
  "kubernetes:cordon",
  "kubernetes:drain",
  "kubernetes:networkpolicy",
  "kubernetes:quarantine",
]);

export interface RehearseDeps {
  rules: () => RuleSet;
  plugins: PluginLookup;
  env: Omit<PluginEnv, "signal" | "dryRun">;
  /** Bound on each server dry run. */
  timeoutMs?: number;
}

type Plan = RehearseResult["plans"][number];

/** Throws EventDecodeError (a bad body) before anything else. */
export async function rehearse(body: unknown, deps: RehearseDeps): Promise<RehearseResult> {
  const event = decodeEventValue(body);
  const rules = deps.rules().rules;
  const matched = new Set(matchingRules(rules, event));
  const matches: RuleMatch[] = [];
  const misses: RuleMatch[] = [];
  const acting: Rule[] = [];
  let stoppedBy: Rule | undefined;
  for (const rule of rules) {
    const m = ruleMatch(rule, event);
    if (!matched.has(rule)) misses.push(m);
    else if (stoppedBy) {
      m.reasons.push({
        criterion: "continue",
        expected: "no earlier matching rule with continue: false",
        actual: stoppedBy.name,
        held: false,
      });
      misses.push(m);
    } else {
      matches.push(m);
      acting.push(rule);
      if (rule.continue === false) stoppedBy = rule;
    }
  }
  const plans: Plan[] = [];
  for (const rule of acting) {
    for (const action of rule.actions) {
      const { plan, stop } = await planOf(event, rule, action, deps);
      plans.push(plan);
      if (stop) break;
    }
  }
  return {
    event: receivedFields(event),
    matches,
    misses,
    plans,
  };
}

async function planOf(
  original: FalcoEvent,
  rule: Rule,
  action: Action,
  deps: RehearseDeps,
): Promise<{ plan: Plan; stop: boolean }> {
  const base: Plan = { rule: rule.name, action: action.name, actionner: action.actionner };
  const actionner = deps.plugins.findActionner(action.actionner);
  if (!actionner) return { plan: { ...base, error: `unknown actionner '${action.actionner}'` }, stop: true };
  const stop = !(action.continue ?? actionner.info.continue ?? true);
  let parameters: unknown;
  try {
    parameters = actionner.parameters.parse(action.parameters);
  } catch (err) {
    return { plan: { ...base, error: `parameters: ${errorText(err)}` }, stop: true };
  }
  const event = withTalonContext(original, rule, action);
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 30_000);
  let vars: ReturnType<typeof buildVars> | undefined;
  const input = (dryRun?: "server"): ActionInput<unknown> => ({
    event,
    parameters,
    get vars() {
      vars ??= buildVars(event);
      return vars;
    },
    rule: rule.name,
    action: action.name,
    env: { ...deps.env, signal, ...(dryRun ? { dryRun } : {}) },
    memo: new Map(),
  });
  const plan: Plan = { ...base };
  try {
    let p: ActionPlan = await (actionner.plan ? actionner.plan(input()) : genericPlan(action));
    if (action.output) p = { ...p, plan: `${p.plan}, then send the result to ${action.output.target}` };
    plan.plan = p.plan;
    if (Object.keys(p.objects).length > 0) plan.objects = p.objects;
    if (p.details) plan.details = p.details;
  } catch (err) {
    plan.error = errorText(err);
  }
  if (rule.dryRun === "server") plan.server_dry_run = await serverDryRun(action, actionner, input);
  return { plan, stop };
}

async function serverDryRun(
  action: Action,
  actionner: NonNullable<ReturnType<PluginLookup["findActionner"]>>,
  input: (dryRun?: "server") => ActionInput<unknown>,
): Promise<NonNullable<Plan["server_dry_run"]>> {
  if (!SERVER_DRY_RUN_ACTIONNERS.has(action.actionner.toLowerCase()))
    return {
      status: "unsupported",
      error: `${action.actionner} has no server-side dry run: a rehearsal does not run it`,
    };
  const dry = input("server");
  try {
    await actionner.checks(dry);
    const result = await actionner.run(dry);
    return { status: result.status, ...(result.error ? { error: result.error } : {}) };
  } catch (err) {
    return { status: "failure", error: errorText(err) };
  }
}
