/**
 * Merging of same-name actions and rules across files, and resolution of a rule's action
 * references against the action definitions.
 *
 * Chosen semantics (Talon's, minus its bugs, each noted where it differs):
 *
 * Two action definitions with the same name — the first stays and absorbs the later ones:
 *  - `actionner`, `description`, `continue`, `ignore_errors`: the later value wins when set;
 *  - `output.target`: the first wins; a later one only fills an unset target (as Talon);
 *  - `additional_contexts`: appended, duplicates dropped;
 *  - `parameters` and `output.parameters`, key by key ({@link combineParameters}, base =
 *    the earlier definition): null is skipped; a kind mismatch keeps the earlier value (with
 *    a warning); lists are appended (never nested — Talon nested a list when the key was
 *    new); maps are merged one level deep, the later key winning; scalars: the later wins.
 *
 * Two rules with the same name — the first stays and absorbs the later ones; every rule
 * takes part (Talon bounded this loop by the number of actions):
 *  - `continue`, `dry_run`, `cooldown_seconds`, `description`: the later value wins when set;
 *  - `match.priority` and `match.source`: the later value wins *only when set* (Talon
 *    cleared them when an override did not repeat them);
 *  - `notifiers`, `match.rules`: appended, duplicates dropped;
 *  - `match.tags`, `match.output_fields`, `actions`: appended.
 *
 * A rule's action `{action: X, …}` against the definition X ({@link resolveReference}):
 *  - `description`, `actionner`, `continue`, `ignore_errors`, `additional_contexts`: the
 *    rule's value, else the definition's;
 *  - `parameters` and `output.parameters` (base = definition, override = rule): lists are
 *    the definition's items then the rule's; maps are merged with the RULE's keys winning
 *    (Talon let the definition's win); scalars: the rule wins; a kind mismatch keeps the
 *    rule's value (with Talon's `mismatch of type for a parameter` warning);
 *  - `output.target`: the rule's, else the definition's.
 */
import { isNull, type LocatedMap } from "./located.js";
import type { LocatedValue, Match, SourcePos } from "./types.js";

/** An action as read from one item, before merging. */
export interface ItemAction {
  name?: string;
  description?: string;
  actionner?: string;
  continue?: boolean;
  ignoreErrors?: boolean;
  parameters?: LocatedMap;
  output?: ItemOutput;
  additionalContexts: { name: string; pos: SourcePos }[];
  pos: SourcePos;
  namePos?: SourcePos;
  actionnerPos?: SourcePos;
}

export interface ItemOutput {
  target?: string;
  targetPos?: SourcePos;
  parameters?: LocatedMap;
  pos: SourcePos;
}

/** A rule as read from one item, before merging. */
export interface ItemRule {
  name?: string;
  description?: string;
  continue?: boolean;
  dryRun?: boolean | "server";
  cooldownSeconds?: number;
  notifiers: string[];
  /** Where each notifier name is written (first occurrence). */
  notifierPos?: Record<string, SourcePos>;
  match: Match;
  actions: ItemAction[];
  pos: SourcePos;
  namePos?: SourcePos;
  /** The `actions` node, when present. */
  actionsPos?: SourcePos;
}

/** A non-fatal problem (Talon logs these and goes on). */
export type Warn = (pos: SourcePos, message: string) => void;

export const MISMATCH_MESSAGE = "mismatch of type for a parameter";

/**
 * Combines two parameter maps key by key. `base` gives the list order (its items first)
 * and loses to `over` for map keys and scalars. On a kind mismatch the value of
 * `keepOnMismatch` stays and `warn` is called with the position of the dropped value.
 */
export function combineParameters(
  base: LocatedMap | undefined,
  over: LocatedMap | undefined,
  keepOnMismatch: "base" | "over",
  warn: Warn,
): LocatedMap | undefined {
  if (!base) return over;
  if (!over) return base;
  const entries = new Map(base.entries);
  const keyPos = new Map(base.keyPos);
  const fromOver = (key: string) => {
    const p = over.keyPos?.get(key);
    if (p) keyPos.set(key, p);
  };
  for (const [key, o] of over.entries) {
    const b = entries.get(key);
    if (isNull(o)) continue;
    if (!b || isNull(b)) {
      entries.set(key, o);
      fromOver(key);
      continue;
    }
    if (b.kind !== o.kind) {
      warn(keepOnMismatch === "base" ? o.pos : b.pos, `${MISMATCH_MESSAGE} '${key}'`);
      entries.set(key, keepOnMismatch === "base" ? b : o);
      if (keepOnMismatch === "over") fromOver(key);
      continue;
    }
    entries.set(key, combineValues(b, o));
    if (b.kind === "scalar") fromOver(key);
  }
  return { kind: "map", pos: base.pos, entries, keyPos };
}

/** Same-kind values: lists appended, maps merged one level (over wins), scalars: over. */
function combineValues(b: LocatedValue, o: LocatedValue): LocatedValue {
  if (b.kind === "list" && o.kind === "list")
    return { kind: "list", pos: b.pos, items: [...b.items, ...o.items] };
  if (b.kind === "map" && o.kind === "map") {
    const entries = new Map(b.entries);
    const keyPos = new Map(b.keyPos);
    for (const [k, v] of o.entries) {
      entries.set(k, v);
      const p = o.keyPos?.get(k);
      if (p) keyPos.set(k, p);
    }
    return { kind: "map", pos: b.pos, entries, keyPos };
  }
  return o;
}

function appendUnique<T>(list: T[], more: T[], key: (t: T) => string): T[] {
  const seen = new Set(list.map(key));
  const out = [...list];
  for (const m of more) {
    const k = key(m);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(m);
  }
  return out;
}

/** `later` absorbed into `first` (same name). */
function absorbAction(first: ItemAction, later: ItemAction, warn: Warn): ItemAction {
  const merged: ItemAction = { ...first };
  if (later.actionner) {
    merged.actionner = later.actionner;
    merged.actionnerPos = later.actionnerPos;
  }
  if (later.description) merged.description = later.description;
  if (later.continue !== undefined) merged.continue = later.continue;
  if (later.ignoreErrors !== undefined) merged.ignoreErrors = later.ignoreErrors;
  merged.additionalContexts = appendUnique(first.additionalContexts, later.additionalContexts, (c) => c.name);
  merged.parameters = combineParameters(first.parameters, later.parameters, "base", warn);
  if (later.output) {
    const out = first.output;
    merged.output = {
      target: out?.target || later.output.target,
      targetPos: out?.target ? out.targetPos : later.output.targetPos,
      parameters: combineParameters(out?.parameters, later.output.parameters, "base", warn),
      pos: out?.pos ?? later.output.pos,
    };
  }
  return merged;
}

/** Same-name action definitions merged into the first occurrence; unnamed ones kept as is. */
export function mergeActionDefinitions(defs: ItemAction[], warn: Warn): ItemAction[] {
  const out: ItemAction[] = [];
  const byName = new Map<string, number>();
  for (const d of defs) {
    const at = d.name ? byName.get(d.name) : undefined;
    if (at === undefined) {
      if (d.name) byName.set(d.name, out.length);
      out.push(d);
    } else {
      out[at] = absorbAction(out[at]!, d, warn);
    }
  }
  return out;
}

function absorbRule(first: ItemRule, later: ItemRule): ItemRule {
  const m = first.match;
  const l = later.match;
  const priority = l.priority ?? m.priority;
  const source = l.source || m.source;
  return {
    ...first,
    description: later.description || first.description,
    continue: later.continue ?? first.continue,
    dryRun: later.dryRun ?? first.dryRun,
    cooldownSeconds: later.cooldownSeconds ?? first.cooldownSeconds,
    notifiers: appendUnique(first.notifiers, later.notifiers, (n) => n),
    notifierPos: { ...later.notifierPos, ...first.notifierPos },
    match: {
      rules: appendUnique(m.rules, l.rules, (r) => r),
      ...(priority ? { priority } : {}),
      ...(source ? { source } : {}),
      tags: [...m.tags, ...l.tags],
      outputFields: [...m.outputFields, ...l.outputFields],
    },
    actions: [...first.actions, ...later.actions],
    actionsPos: first.actionsPos ?? later.actionsPos,
  };
}

/** Same-name rules merged into the first occurrence, in file order; unnamed ones kept. */
export function mergeRules(rules: ItemRule[]): ItemRule[] {
  const out: ItemRule[] = [];
  const byName = new Map<string, number>();
  for (const r of rules) {
    const at = r.name ? byName.get(r.name) : undefined;
    if (at === undefined) {
      if (r.name) byName.set(r.name, out.length);
      out.push(r);
    } else {
      out[at] = absorbRule(out[at]!, r);
    }
  }
  return out;
}

/** A rule's action entry completed from the definition of the same name (if any). */
export function resolveReference(ref: ItemAction, def: ItemAction | undefined, warn: Warn): ItemAction {
  if (!def) return ref;
  const resolved: ItemAction = {
    ...ref,
    description: ref.description || def.description,
    actionner: ref.actionner || def.actionner,
    actionnerPos: ref.actionner ? ref.actionnerPos : def.actionnerPos,
    continue: ref.continue ?? def.continue,
    ignoreErrors: ref.ignoreErrors ?? def.ignoreErrors,
    additionalContexts: ref.additionalContexts.length > 0 ? ref.additionalContexts : def.additionalContexts,
    parameters: combineParameters(def.parameters, ref.parameters, "over", warn),
  };
  if (ref.output || def.output) {
    resolved.output = {
      target: ref.output?.target || def.output?.target,
      targetPos: ref.output?.target ? ref.output.targetPos : def.output?.targetPos,
      parameters: combineParameters(def.output?.parameters, ref.output?.parameters, "over", warn),
      pos: (ref.output ?? def.output)!.pos,
    };
  }
  return resolved;
}
