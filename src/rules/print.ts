/**
 * `rules print`: `---` then the merged rules as YAML, with Talon's key order
 * and omissions. Settings are printed as the strings "true"/"false" like Talon's; map keys
 * inside parameters are sorted (Go marshals maps sorted).
 */
import { stringify } from "yaml";
import type { Action, Match, Rule, RuleSet } from "./types.js";

function flag(v: boolean | "server" | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : v ? "true" : "false";
}

/** Drops undefined values, keeping the insertion order of the rest. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

function sortedValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedValue);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortedValue((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function printedAction(a: Action): Record<string, unknown> {
  return compact({
    parameters: Object.keys(a.parameters).length > 0 ? sortedValue(a.parameters) : undefined,
    output: a.output ? { parameters: sortedValue(a.output.parameters), target: a.output.target } : undefined,
    action: a.name,
    description: a.description || undefined,
    actionner: a.actionner,
    continue: flag(a.continue),
    ignore_errors: flag(a.ignoreErrors),
    additional_contexts: nonEmpty(a.additionalContexts),
  });
}

function printedMatch(m: Match): Record<string, unknown> {
  return compact({
    output_fields: nonEmpty(m.outputFields.map((g) => g.map((c) => `${c.key}${c.op}${c.value}`).join(", "))),
    priority: m.priority?.text,
    source: m.source || undefined,
    rules: nonEmpty(m.rules),
    tags: nonEmpty(m.tags.map((g) => g.join(", "))),
  });
}

function printedRule(r: Rule): Record<string, unknown> {
  return compact({
    rule: r.name,
    description: r.description || undefined,
    continue: flag(r.continue),
    dry_run: flag(r.dryRun),
    cooldown_seconds: r.cooldownSeconds,
    notifiers: nonEmpty(r.notifiers),
    actions: r.actions.map(printedAction),
    match: printedMatch(r.match),
  });
}

/** The text `rules print` writes to stdout. */
export function printRules(ruleset: RuleSet): string {
  // indentSeq false: list items at their key's indentation, as Go's yaml.v2 prints them.
  return `---\n${stringify(ruleset.rules.map(printedRule), { indentSeq: false, lineWidth: 0 })}`;
}
