/**
 * Why a rule matched an event or not: each criterion of its `match` (the ones it sets), what
 * the rule asks, what the event had, and whether it held. Computed on demand for the console
 * (an event's detail, the stream, a rehearsal), never on the intake path; the verdict is the
 * same as src/rules/match.ts's, which tests check.
 */
import type { FalcoEvent } from "../events/event.js";
import { fieldText } from "../events/fields.js";
import { priorityNumber } from "../rules/schema.js";
import type { Match, Rule } from "../rules/types.js";
import type { ConsoleEvent, MatchReason, RuleMatch } from "./types.js";

type Matchable = Pick<FalcoEvent, "rule" | "priority" | "source" | "tags" | "output_fields">;

function priorityHolds(op: string, have: number, level: number): boolean {
  switch (op) {
    case ">":
      return have > level;
    case ">=":
      return have >= level;
    case "<":
      return have < level;
    case "<=":
      return have <= level;
    default:
      return have === level;
  }
}

/** Every criterion `match` sets, in the order the rules file lists them. */
export function matchReasons(match: Match, event: Matchable): MatchReason[] {
  const reasons: MatchReason[] = [];
  if (match.rules.length > 0)
    reasons.push({
      criterion: "rules",
      expected: match.rules.join(", "),
      actual: event.rule,
      held: match.rules.includes(event.rule),
    });
  if (match.priority && match.priority.level > 0) {
    const { op, level, text } = match.priority;
    reasons.push({
      criterion: "priority",
      expected: text,
      actual: event.priority,
      held: priorityHolds(op, priorityNumber(event.priority ?? ""), level),
    });
  }
  if (match.source) {
    const source = event.source || "syscall";
    reasons.push({
      criterion: "source",
      expected: match.source,
      actual: source,
      held: source === match.source,
    });
  }
  if (match.tags.length > 0) {
    const tags = new Set((event.tags ?? []).map(String));
    reasons.push({
      criterion: "tags",
      expected: match.tags.map((g) => g.join(", ")).join(" | "),
      actual: [...tags].join(", "),
      held: match.tags.some((g) => g.every((t) => tags.has(t))),
    });
  }
  if (match.outputFields.length > 0) {
    const fields = event.output_fields ?? {};
    const text = (key: string) => (Object.hasOwn(fields, key) ? fieldText(fields[key]) : undefined);
    const keys = [...new Set(match.outputFields.flat().map((c) => c.key))];
    reasons.push({
      criterion: "output_fields",
      expected: match.outputFields
        .map((g) => g.map((c) => `${c.key}${c.op}${c.value}`).join(", "))
        .join(" | "),
      actual: keys.map((k) => `${k}=${text(k) ?? "(absent)"}`).join(", "),
      held: match.outputFields.some((g) =>
        g.every((c) => (c.op === "=" ? text(c.key) === c.value : text(c.key) !== c.value)),
      ),
    });
  }
  return reasons;
}

/** `file:line:col` of a rule, when it was loaded from a file. */
export function originOf(pos: Rule["pos"]): string | undefined {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : undefined;
}

export function ruleMatch(rule: Rule, event: Matchable): RuleMatch {
  const origin = originOf(rule.pos);
  return { rule: rule.name, ...(origin ? { origin } : {}), reasons: matchReasons(rule.match, event) };
}

/**
 * An event read back from the audit trail (its matches carry no reasons) with the reasons its
 * rules give now, for the rules still loaded under the same name whose criteria all still hold
 * (a rule changed since is left without reasons rather than shown with others').
 */
export function withReasons(ev: ConsoleEvent, rules: readonly Rule[]): ConsoleEvent {
  if (ev.matches.every((m) => m.reasons.length > 0)) return ev;
  const matches = ev.matches.map((m) => {
    if (m.reasons.length > 0) return m;
    const rule = rules.find((r) => r.name === m.rule);
    if (!rule) return m;
    const now = ruleMatch(rule, ev.event);
    return now.reasons.every((r) => r.held) ? now : m;
  });
  return { ...ev, matches };
}
