/**
 * Matching an event against rules: AND across the five categories (rules, priority, source,
 * tags, output fields); an unset category matches anything.
 *
 * Each rule's `match` is compiled once into a closure (memoised per Match object; rules are
 * not mutated after loading). A rule set is indexed once by the Falco rule names its rules
 * select (`match.rules`), so an event is tested only against the rules naming its Falco rule
 * plus the rules that name none: with 1,000 rules that each name their Falco rules, an event
 * costs a map lookup and the rules it can match, not 1,000 tests. The per-event work
 * (priority number, tag set, field texts) is done once per event, and only when some rule
 * is left to test.
 */
import type { FalcoEvent } from "../events/event.js";
import { fieldText } from "../events/fields.js";
import { priorityNumber } from "./schema.js";
import type { Match, Rule } from "./types.js";

/** What the matchers read from an event, computed once per event. */
interface EventView {
  rule: string;
  source: string;
  priority: number;
  tags: ReadonlySet<string>;
  fields: Record<string, unknown>;
  /** Field texts already computed (undefined = field absent). */
  texts: Map<string, string | undefined>;
}

type Matcher = (ev: EventView) => boolean;

function viewOf(event: FalcoEvent): EventView {
  return {
    rule: event.rule,
    // Intake already defaults it; kept here so code-built events behave the same.
    source: event.source || "syscall",
    priority: priorityNumber(event.priority ?? ""),
    tags: new Set((event.tags ?? []).map(String)),
    fields: event.output_fields ?? {},
    texts: new Map(),
  };
}

/** The `%v`-like text of a field (numbers as sent), or undefined when the field is absent. */
function textOf(ev: EventView, key: string): string | undefined {
  if (ev.texts.has(key)) return ev.texts.get(key);
  const t = Object.hasOwn(ev.fields, key) ? fieldText(ev.fields[key]) : undefined;
  ev.texts.set(key, t);
  return t;
}

function priorityMatcher(op: string, level: number): Matcher {
  switch (op) {
    case ">":
      return (ev) => ev.priority > level;
    case ">=":
      return (ev) => ev.priority >= level;
    case "<":
      return (ev) => ev.priority < level;
    case "<=":
      return (ev) => ev.priority <= level;
    default:
      return (ev) => ev.priority === level;
  }
}

/** Every check of `match` but the Falco rule names (the index has applied those already). */
function compileRest(match: Match): Matcher {
  // Cheapest checks first.
  const checks: Matcher[] = [];
  if (match.source) {
    const source = match.source;
    checks.push((ev) => ev.source === source);
  }
  if (match.priority && match.priority.level > 0)
    checks.push(priorityMatcher(match.priority.op, match.priority.level));
  if (match.tags.length > 0) {
    // Distinct tags: a duplicate in the event or the group cannot fake a match (Talon BUG).
    const groups = match.tags.map((g) => [...new Set(g)]);
    checks.push((ev) => groups.some((g) => g.every((t) => ev.tags.has(t))));
  }
  if (match.outputFields.length > 0) {
    const groups = match.outputFields;
    checks.push((ev) =>
      groups.some((g) =>
        g.every((c) => {
          const t = textOf(ev, c.key);
          // `=` needs the field with the same text; `!=` is satisfied by a missing field.
          return c.op === "=" ? t === c.value : t !== c.value;
        }),
      ),
    );
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0]!;
  return (ev) => {
    for (const check of checks) if (!check(ev)) return false;
    return true;
  };
}

const compiled = new WeakMap<Match, Matcher>();

function restOf(match: Match): Matcher {
  let m = compiled.get(match);
  if (!m) {
    m = compileRest(match);
    compiled.set(match, m);
  }
  return m;
}

/** Whether the event passes the rule's `match`. */
export function matchRule(rule: Rule, event: FalcoEvent): boolean {
  if (rule.match.rules.length > 0 && !rule.match.rules.includes(event.rule)) return false;
  return restOf(rule.match)(viewOf(event));
}

/** A rule set's rules by the Falco rule names they select; positions in file order. */
interface RuleIndex {
  byName: Map<string, number[]>;
  /** Rules with no `match.rules`: candidates for every event. */
  anyName: number[];
  rest: Matcher[];
}

const indexes = new WeakMap<readonly Rule[], RuleIndex>();

function indexOf(rules: readonly Rule[]): RuleIndex {
  let index = indexes.get(rules);
  if (index) return index;
  index = { byName: new Map(), anyName: [], rest: rules.map((r) => restOf(r.match)) };
  for (const [pos, rule] of rules.entries()) {
    if (rule.match.rules.length === 0) {
      index.anyName.push(pos);
      continue;
    }
    for (const name of new Set(rule.match.rules)) {
      const list = index.byName.get(name);
      if (list) list.push(pos);
      else index.byName.set(name, [pos]);
    }
  }
  indexes.set(rules, index);
  return index;
}

const NONE: readonly number[] = [];

/** Every rule whose `match` passes, in file order. */
export function matchingRules(rules: readonly Rule[], event: FalcoEvent): Rule[] {
  const index = indexOf(rules);
  const named = index.byName.get(event.rule) ?? NONE;
  const any = index.anyName;
  const out: Rule[] = [];
  if (named.length === 0 && any.length === 0) return out;
  const ev = viewOf(event);
  // Merge the two ascending position lists, so matches stay in file order.
  let i = 0;
  let j = 0;
  while (i < named.length || j < any.length) {
    const pos = j >= any.length || (i < named.length && named[i]! < any[j]!) ? named[i++]! : any[j++]!;
    if (index.rest[pos]!(ev)) out.push(rules[pos]!);
  }
  return out;
}
