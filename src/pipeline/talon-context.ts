/**
 * The `falco-talon.*` keys Talon adds to an event's context before an action runs (the rule,
 * the action, its actionner and parameters, and the flags that were set), for templates,
 * actionners and notifiers to read.
 */
import type { FalcoEvent } from "../events/event.js";
import type { Action, Rule } from "../rules/types.js";

const boolText = (b: boolean | undefined) => (b === undefined ? undefined : b ? "true" : "false");

/** A shallow copy of the event with Talon's context keys added. */
export function withTalonContext(event: FalcoEvent, rule: Rule, action: Action): FalcoEvent {
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
