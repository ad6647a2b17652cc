/** `GET /ui/api/rules`: the merged rules in force, where each came from, and the last reload. */
import type { Match, Rule, RuleSet } from "../rules/types.js";
import { originOf } from "./reasons.js";
import type { ConsoleRule, RulesState } from "./types.js";

/** A rule's `match` as a rules file writes it. */
export function writtenMatch(m: Match): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.rules.length > 0) out.rules = m.rules;
  if (m.priority) out.priority = m.priority.text;
  if (m.source) out.source = m.source;
  if (m.tags.length > 0) out.tags = m.tags.map((g) => g.join(", "));
  if (m.outputFields.length > 0)
    out.output_fields = m.outputFields.map((g) => g.map((c) => `${c.key}${c.op}${c.value}`).join(", "));
  return out;
}

export function consoleRule(r: Rule): ConsoleRule {
  const origin = originOf(r.pos);
  return {
    name: r.name,
    ...(origin ? { origin } : {}),
    ...(r.description ? { description: r.description } : {}),
    match: writtenMatch(r.match),
    actions: r.actions.map((a) => {
      const at = originOf(a.pos);
      return {
        name: a.name,
        actionner: a.actionner,
        ...(at ? { origin: at } : {}),
        parameters: a.parameters,
      };
    }),
    ...(r.dryRun !== undefined ? { dry_run: r.dryRun } : {}),
    ...(r.continue !== undefined ? { continue: r.continue } : {}),
  };
}

export function rulesState(
  ruleset: RuleSet,
  files: string[],
  last: { time: Date; ok: boolean; problems: string[] },
): RulesState {
  return {
    rules: ruleset.rules.map(consoleRule),
    files,
    last_reload: { time: last.time.toISOString(), ok: last.ok, problems: [...last.problems] },
  };
}
