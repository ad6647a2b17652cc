/**
 * Loading rules files: parse every file, check each item against the
 * schema, merge same-name actions and rules, resolve action references, then run Talon's
 * structural checks. Every problem carries the file:line:col of the offending node and all
 * problems are collected, not just the first.
 */

import { readFileSync } from "node:fs";
import { isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { errorText } from "../error-text.js";
import { expandRulesPaths } from "../files/rules-paths.js";
import { unknownKeys } from "../validation/keys.js";
import { pathText, zodProblems } from "../validation/zod-errors.js";
import {
  buildLocated,
  entry,
  type LocatedMap,
  locate,
  locateKey,
  posAt,
  toPlain,
  toPlainRecord,
  type YamlSource,
} from "./located.js";
import {
  type ItemAction,
  type ItemRule,
  mergeActionDefinitions,
  mergeRules,
  resolveReference,
  type Warn,
} from "./merge.js";
import { ACTIONNER_RE, type RawAction, type RawRule, rawActionSchema, rawRuleSchema } from "./schema.js";
import type { Action, LocatedValue, Rule, RuleProblem, RuleSet, SourcePos } from "./types.js";

export interface LoadResult {
  /** Set only when there is no problem. */
  ruleset?: RuleSet;
  /**
   * The rules and actions that passed the loading checks, also when others did not (items
   * with problems, and actions whose reference cannot be resolved, are left out): the
   * semantic validation still checks them, so one run reports every problem. Absent when a
   * file cannot be read or parsed.
   */
  partial?: RuleSet;
  /** The rules files read, in order (folders expanded). */
  files?: string[];
  /** Fatal problems (the rules must not be used). */
  problems: RuleProblem[];
  /** Non-fatal problems Talon only logs (e.g. `mismatch of type for a parameter`). */
  warnings: RuleProblem[];
}

/** A rules file already read into memory. */
export interface RulesSource {
  file: string;
  text: string;
}

/** Reads the files in order (folders expanded by expandRulesPaths) and loads them. */
export function loadRules(paths: string[]): LoadResult {
  const problems: RuleProblem[] = [];
  const files = expandRulesPaths(paths);
  if (files.length === 0) {
    const message = paths.length === 0 ? "no rule file is provided" : "no rules file (*.yaml, *.yml) found";
    problems.push({ pos: { file: paths.join(", "), line: 0, col: 0 }, message });
    return { problems, warnings: [], files };
  }
  const sources: RulesSource[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: readFileSync(file, "utf8") });
    } catch (err) {
      problems.push({
        pos: { file, line: 0, col: 0 },
        message: `cannot read the rule file '${file}': ${errorText(err)}`,
      });
    }
  }
  return { ...loadSources(sources, problems, files), files };
}

/** Loads rules from in-memory sources (same checks as {@link loadRules}). */
export function loadRulesFromSources(sources: RulesSource[]): LoadResult {
  return { ...loadSources(sources, []), files: sources.map((s) => s.file) };
}

/** `problems` holds the read failures, if any (which also stop the cross-item checks). */
function loadSources(
  sources: RulesSource[],
  problems: RuleProblem[],
  order: string[] = sources.map((s) => s.file),
): LoadResult {
  const warnings: RuleProblem[] = [];
  const problem: Report = (pos, message, context) => problems.push({ pos, message, ...context });
  const warn: Warn = (pos, message) => warnings.push({ pos, message });

  const items: Items = { defs: [], rules: [], brokenActions: new Set(), brokenRules: new Set() };
  let unreadable = problems.length > 0;
  for (const source of sources) if (!readSource(source, items, problem)) unreadable = true;
  // Cross-item checks on a partial set of items would only add confusing problems.
  if (unreadable)
    return { problems: sortByPosition(problems, order), warnings: sortByPosition(warnings, order) };
  const { defs, rules } = items;

  const mergedDefs = mergeActionDefinitions(defs, warn);
  const mergedRules = mergeRules(rules);
  const defByName = new Map<string, ItemAction>();
  for (const d of mergedDefs) {
    if (d.name) defByName.set(d.name, d);
    else problem(d.namePos ?? d.pos, "action without a name");
  }

  const out: Rule[] = [];
  const sound: Rule[] = [];
  for (const r of mergedRules) {
    const ruleContext = r.name ? { rule: r.name } : {};
    if (!r.name) problem(r.namePos ?? r.pos, "all rules must have a name");
    // A same-name rule item with schema problems may have carried the actions.
    if (r.actions.length === 0 && !(r.name && items.brokenRules.has(r.name))) {
      problem(r.actionsPos ?? r.pos, "no action specified", ruleContext);
    }
    const actions: Action[] = [];
    const soundActions: Action[] = [];
    for (const ref of r.actions) {
      const def = ref.name ? defByName.get(ref.name) : undefined;
      const a = resolveReference(ref, def, warn);
      // A definition with schema problems is already reported; its references are not.
      const brokenDefinition = ref.name !== undefined && items.brokenActions.has(ref.name);
      const fine =
        !brokenDefinition &&
        checkAction(a, def !== undefined, (pos, message) =>
          problem(pos, message, { ...ruleContext, action: a.name, actionner: a.actionner }),
        );
      const action = toAction(a);
      actions.push(action);
      if (fine) soundActions.push(action);
    }
    out.push(toRule(r, actions));
    sound.push(toRule(r, soundActions));
  }

  const definitions = mergedDefs.map(toAction);
  if (problems.length > 0) {
    return {
      problems: sortByPosition(problems, order),
      warnings: sortByPosition(warnings, order),
      partial: { rules: sound, actions: definitions },
    };
  }
  const ruleset: RuleSet = { rules: out, actions: definitions };
  return { ruleset, partial: ruleset, problems, warnings: sortByPosition(warnings, order) };
}

function sortByPosition(problems: RuleProblem[], order: string[]): RuleProblem[] {
  return sortProblems(problems, order);
}

/**
 * Problems in file order (`files`; other files after them, by name), then by line and
 * column; the same text at the same place is kept once (a definition referenced by several
 * rules would otherwise repeat its problems).
 */
export function sortProblems(problems: RuleProblem[], files: readonly string[] = []): RuleProblem[] {
  const fileIndex = new Map(files.map((f, i) => [f, i]));
  const rank = (p: RuleProblem) => fileIndex.get(p.pos.file) ?? (p.pos.file ? files.length : -1);
  const seen = new Set<string>();
  return problems
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        rank(a.p) - rank(b.p) ||
        (rank(a.p) === files.length ? a.p.pos.file.localeCompare(b.p.pos.file) : 0) ||
        a.p.pos.line - b.p.pos.line ||
        a.p.pos.col - b.p.pos.col ||
        a.i - b.i,
    )
    .map(({ p }) => p)
    .filter((p) => {
      const key = formatProblem(p);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Reports a problem, with the rule/action names when known. */
type Report = (pos: SourcePos, message: string, context?: Partial<RuleProblem>) => void;

/** Talon's structural checks on a resolved rule action; true when it passes them. */
function checkAction(a: ItemAction, hasDefinition: boolean, problem: Report): boolean {
  let fine = true;
  const report: Report = (pos, message, context) => {
    fine = false;
    problem(pos, message, context);
  };
  if (!a.name) report(a.namePos ?? a.pos, "action without a name");
  if (!a.actionner) {
    const hint = a.name && !hasDefinition ? ` (no action definition named '${a.name}')` : "";
    report(a.pos, `missing actionner${hint}`);
  } else if (!ACTIONNER_RE.test(a.actionner)) {
    report(a.actionnerPos ?? a.pos, `incorrect actionner '${a.actionner}', expected category:name`);
  }
  if (a.output && !a.output.target && a.output.parameters && a.output.parameters.entries.size > 0) {
    report(a.output.pos, "missing target for the output");
  }
  return fine;
}

/** The items read from every file, in order. */
interface Items {
  defs: ItemAction[];
  rules: ItemRule[];
  /** Names of items left out because of schema problems. */
  brokenActions: Set<string>;
  brokenRules: Set<string>;
}

/** Reads one file's items; false when the file is not readable as a list of items. */
function readSource(source: RulesSource, items: Items, problem: Report): boolean {
  const { file } = source;
  const lineCounter = new LineCounter();
  // merge: `<<` keys work as in Talon's yaml.v3; duplicate keys are errors (yaml's default).
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false, merge: true });
  const src: YamlSource = { file, doc, lineCounter };
  const syntax = (pos: SourcePos, detail: string) =>
    problem(pos, `wrong syntax for the rule file '${file}': ${detail}`);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) syntax(posAt(src, e.pos[0]), e.message);
    return false;
  }
  if (doc.contents === null) return true; // an empty file holds no item
  const start: SourcePos = { file, line: 1, col: 1 };
  if (!isSeq(doc.contents)) {
    syntax(buildLocated(src, doc.contents, start).pos, "expected a list of actions and rules");
    return false;
  }
  const root = buildLocated(src, doc.contents, start);
  if (root.kind !== "list") return false;
  for (const item of root.items) {
    if (item.kind !== "map") {
      problem(item.pos, "an item must be a map with an 'action' or a 'rule' key");
      continue;
    }
    const isAction = item.entries.has("action");
    const isRule = item.entries.has("rule");
    if (isAction && isRule) {
      problem(item.pos, "an item cannot have both an 'action' and a 'rule' key");
    } else if (isAction) {
      const { data, repaired, failed } = parseItem(rawActionSchema, item, problem);
      reportUnknownKeys(rawActionSchema, item, problem);
      // A definition whose name and actionner are fine is still used (and its parameters
      // checked) without the offending values; otherwise its references are not checked.
      const usable = data ?? (failed?.has("action") || failed?.has("actionner") ? undefined : repaired);
      if (usable) items.defs.push(itemAction(usable, item));
      else items.brokenActions.add(nameOf(item, "action"));
    } else if (isRule) {
      const { data, repaired } = parseItem(rawRuleSchema, item, problem);
      reportUnknownKeys(rawRuleSchema, item, problem);
      // A rule with problems still has its other parts (actions) checked, but never goes live.
      const raw = data ?? (nameOf(item, "rule") ? repaired : undefined);
      if (raw) items.rules.push(itemRule(raw, item));
      if (!data) items.brokenRules.add(nameOf(item, "rule"));
    } else {
      problem(item.pos, "an item must have an 'action' or a 'rule' key");
    }
  }
  return true;
}

/** Keys people write for another one, too far apart for the edit distance to find. */
const KEY_HINTS: Record<string, string> = { contexts: "additional_contexts" };

/**
 * Unknown keys of a rule or action item, in `match`, `output` and the rule's actions, are
 * errors (Talon ignored them: a misspelt `match` made a rule match every event). Each is
 * reported at the key, with the closest known key when one looks meant.
 */
function reportUnknownKeys(schema: z.ZodType, item: LocatedMap, problem: Report): void {
  const rule = nameOf(item, "rule");
  const action = nameOf(item, "action");
  const context = rule ? { rule } : action ? { action } : {};
  for (const u of unknownKeys(schema, toPlain(item))) {
    const hint = Object.hasOwn(KEY_HINTS, u.key) ? KEY_HINTS[u.key] : u.suggestion;
    const message = `unknown key '${pathText(u.path)}'${hint ? `, did you mean '${hint}'?` : ""}`;
    problem(locateKey(item, u.path), message, context);
  }
}

function nameOf(item: LocatedMap, key: string): string {
  const v = entry(item, key);
  return v?.kind === "scalar" ? String(v.value) : "";
}

/**
 * Schema check of one item; each issue is reported at the node its path names. When the
 * item has problems, `repaired` is the item read without the offending values (when that
 * reads), so the rest of it can still be checked in the same run.
 */
function parseItem<S extends z.ZodType>(
  schema: S,
  item: LocatedMap,
  problem: Report,
): { data?: z.output<S>; repaired?: z.output<S>; failed?: Set<string> } {
  const plain = toPlain(item);
  const parsed = schema.safeParse(plain);
  if (parsed.success) return { data: parsed.data };
  const rule = nameOf(item, "rule");
  const action = nameOf(item, "action");
  const context = rule ? { rule } : action ? { action } : {};
  for (const p of zodProblems(parsed.error, plain)) {
    const where = pathText(p.path);
    problem(locate(item, p.path).pos, where ? `${where}: ${p.reason}` : p.reason, context);
  }
  const failed = new Set(parsed.error.issues.map((i) => String(i.path[0] ?? "")));
  const copy = structuredClone(plain);
  for (const issue of parsed.error.issues) if (!markAt(copy, issue.path)) return { failed };
  const again = schema.safeParse(compact(copy, true));
  return again.success ? { repaired: again.data, failed } : { failed };
}

const REMOVED = Symbol("removed");

/** Marks the value at `path` for removal; false for the root. */
function markAt(value: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let cur = value;
  for (const seg of path.slice(0, -1)) {
    if (cur === null || typeof cur !== "object") return true;
    cur = (cur as Record<PropertyKey, unknown>)[seg as string];
  }
  if (cur !== null && typeof cur === "object")
    (cur as Record<PropertyKey, unknown>)[path[path.length - 1] as string] = REMOVED;
  return true;
}

/**
 * Removes the marked values: map keys are dropped, list items too, except in the item's
 * `actions` list, where each entry stays in place (it is matched to its YAML node by index).
 */
function compact(value: unknown, top = false): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== REMOVED).map((v) => compact(v));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === REMOVED) continue;
    if (top && k === "actions" && Array.isArray(v))
      out[k] = v.map((a) => (a === REMOVED ? undefined : compact(a)));
    else out[k] = compact(v);
  }
  return out;
}

function mapAt(node: LocatedValue | undefined, key: string): LocatedMap | undefined {
  const e = entry(node, key);
  return e?.kind === "map" ? e : undefined;
}

function itemAction(raw: RawAction, node: LocatedMap): ItemAction {
  const outputNode = mapAt(node, "output");
  const a: ItemAction = {
    name: raw.action,
    description: raw.description,
    actionner: raw.actionner,
    continue: raw.continue,
    ignoreErrors: raw.ignore_errors,
    parameters: mapAt(node, "parameters"),
    additionalContexts: (raw.additional_contexts ?? []).flatMap((name, i) =>
      name === undefined || name === "" ? [] : [{ name, pos: locate(node, ["additional_contexts", i]).pos }],
    ),
    pos: node.pos,
    namePos: entry(node, "action")?.pos,
    actionnerPos: entry(node, "actionner")?.pos,
  };
  if (raw.output && outputNode) {
    a.output = {
      target: raw.output.target || undefined,
      targetPos: entry(outputNode, "target")?.pos,
      parameters: mapAt(outputNode, "parameters"),
      pos: outputNode.pos,
    };
  }
  return a;
}

function defined<T>(list: (T | undefined)[] | undefined): T[] {
  return (list ?? []).filter((x): x is T => x !== undefined);
}

function itemRule(raw: RawRule, node: LocatedMap): ItemRule {
  const m = raw.match;
  const actionsNode = entry(node, "actions");
  const actions = actionsNode?.kind === "list" ? actionsNode.items : [];
  const notifierPos: Record<string, SourcePos> = {};
  const notifiersNode = entry(node, "notifiers");
  if (notifiersNode?.kind === "list") {
    for (const n of notifiersNode.items) {
      if (n.kind === "scalar" && n.value !== null && !Object.hasOwn(notifierPos, String(n.value)))
        notifierPos[String(n.value)] = n.pos;
    }
  }
  return {
    name: raw.rule,
    description: raw.description,
    continue: raw.continue,
    dryRun: raw.dry_run,
    cooldownSeconds: raw.cooldown_seconds,
    notifiers: [...new Set(defined(raw.notifiers).filter((n) => n !== ""))],
    notifierPos,
    match: {
      rules: defined(m?.rules),
      ...(m?.priority ? { priority: m.priority } : {}),
      ...(m?.source ? { source: m.source } : {}),
      tags: m?.tags ?? [],
      outputFields: m?.output_fields ?? [],
    },
    actions: (raw.actions ?? []).map((a, i) => itemAction(a, actions[i] as LocatedMap)),
    pos: node.pos,
    namePos: entry(node, "rule")?.pos,
    actionsPos: actionsNode?.pos,
  };
}

/** The final shape of an action (plain values plus the positions for validation). */
function toAction(a: ItemAction): Action {
  const action: Action = {
    name: a.name ?? "",
    description: a.description ?? "",
    actionner: a.actionner ?? "",
    parameters: toPlainRecord(a.parameters),
    additionalContexts: a.additionalContexts.map((c) => c.name),
    pos: a.pos,
    locations: {
      name: a.namePos,
      actionner: a.actionnerPos,
      parameters: a.parameters,
      output: a.output?.pos,
      outputTarget: a.output?.targetPos,
      outputParameters: a.output?.parameters,
      additionalContexts: a.additionalContexts.map((c) => c.pos),
    },
  };
  if (a.continue !== undefined) action.continue = a.continue;
  if (a.ignoreErrors !== undefined) action.ignoreErrors = a.ignoreErrors;
  if (a.output?.target)
    action.output = { target: a.output.target, parameters: toPlainRecord(a.output.parameters) };
  return action;
}

function toRule(r: ItemRule, actions: Action[]): Rule {
  const rule: Rule = {
    name: r.name ?? "",
    description: r.description ?? "",
    notifiers: r.notifiers,
    match: r.match,
    actions,
    pos: r.pos,
    locations: { notifiers: r.notifierPos ?? {} },
  };
  if (r.continue !== undefined) rule.continue = r.continue;
  if (r.dryRun !== undefined) rule.dryRun = r.dryRun;
  if (r.cooldownSeconds !== undefined) rule.cooldownSeconds = r.cooldownSeconds;
  return rule;
}

/** `file:line:col: message` (`file: message` when the problem has no line). */
export function formatProblem(p: RuleProblem): string {
  const { file, line, col } = p.pos;
  if (!file) return p.message;
  if (!line) return `${file}: ${p.message}`;
  return `${file}:${line}:${col}: ${p.message}`;
}
