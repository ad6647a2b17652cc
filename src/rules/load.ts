/**
 * Loading rules files (talon.md §2.1–2.3.1): parse every file, check each item against the
 * schema, merge same-name actions and rules, resolve action references, then run Talon's
 * structural checks. Every problem carries the file:line:col of the offending node and all
 * problems are collected, not just the first.
 */
import { readFileSync } from "node:fs";
import { isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { expandRulesPaths } from "../files/rules-paths.js";
import {
  buildLocated,
  entry,
  type LocatedMap,
  locate,
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
import { type RawAction, type RawRule, rawActionSchema, rawMatchSchema, rawRuleSchema } from "./schema.js";
import type { Action, LocatedValue, Rule, RuleProblem, RuleSet, SourcePos } from "./types.js";

export interface LoadResult {
  /** Set only when there is no problem. */
  ruleset?: RuleSet;
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

/**
 * `category:name`. Talon's regex `[a-z]+:[a-z]+` was unanchored; anchoring it (and
 * allowing digits) rejects `Kubernetes:terminate ` typos early. Unknown names are caught
 * by validation anyway.
 */
const ACTIONNER_RE = /^[a-z0-9]+:[a-z0-9]+$/;

/** Reads the files in order (folders expanded by expandRulesPaths) and loads them. */
export function loadRules(paths: string[]): LoadResult {
  const problems: RuleProblem[] = [];
  const files = expandRulesPaths(paths);
  if (files.length === 0) {
    const message = paths.length === 0 ? "no rule file is provided" : "no rules file (*.yaml, *.yml) found";
    problems.push({ pos: { file: paths.join(", "), line: 0, col: 0 }, message });
    return { problems, warnings: [] };
  }
  const sources: RulesSource[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: readFileSync(file, "utf8") });
    } catch (err) {
      problems.push({
        pos: { file, line: 0, col: 0 },
        message: `cannot read the rule file '${file}': ${(err as Error).message}`,
      });
    }
  }
  return loadSources(sources, problems);
}

/** Loads rules from in-memory sources (same checks as {@link loadRules}). */
export function loadRulesFromSources(sources: RulesSource[]): LoadResult {
  return loadSources(sources, []);
}

/** `problems` holds the read failures, if any (which also stop the cross-item checks). */
function loadSources(sources: RulesSource[], problems: RuleProblem[]): LoadResult {
  const warnings: RuleProblem[] = [];
  const problem: Report = (pos, message, context) => problems.push({ pos, message, ...context });
  const warn: Warn = (pos, message) => warnings.push({ pos, message });

  const items: Items = { defs: [], rules: [], brokenActions: new Set(), brokenRules: new Set() };
  let unreadable = problems.length > 0;
  for (const source of sources) if (!readSource(source, items, problem, warn)) unreadable = true;
  // Cross-item checks on a partial set of items would only add confusing problems.
  if (unreadable) return { problems: sortByPosition(problems, sources), warnings };
  const { defs, rules } = items;

  const mergedDefs = mergeActionDefinitions(defs, warn);
  const mergedRules = mergeRules(rules);
  const defByName = new Map<string, ItemAction>();
  for (const d of mergedDefs) {
    if (d.name) defByName.set(d.name, d);
    else problem(d.namePos ?? d.pos, "action without a name");
  }

  const out: Rule[] = [];
  for (const r of mergedRules) {
    const ruleContext = r.name ? { rule: r.name } : {};
    if (!r.name) problem(r.namePos ?? r.pos, "all rules must have a name");
    // A same-name rule item with schema problems may have carried the actions.
    if (r.actions.length === 0 && !(r.name && items.brokenRules.has(r.name))) {
      problem(r.actionsPos ?? r.pos, "no action specified", ruleContext);
    }
    const actions: Action[] = [];
    for (const ref of r.actions) {
      const def = ref.name ? defByName.get(ref.name) : undefined;
      const a = resolveReference(ref, def, warn);
      // A definition with schema problems is already reported; its references are not.
      if (!(ref.name && items.brokenActions.has(ref.name))) {
        checkAction(a, def !== undefined, (pos, message) =>
          problem(pos, message, { ...ruleContext, action: a.name, actionner: a.actionner }),
        );
      }
      actions.push(toAction(a));
    }
    out.push(toRule(r, actions));
  }

  if (problems.length > 0) return { problems: sortByPosition(problems, sources), warnings };
  const ruleset: RuleSet = { rules: out, actions: mergedDefs.map(toAction) };
  return { ruleset, problems, warnings };
}

/** Problems in file order, then by line and column (stable). */
function sortByPosition(problems: RuleProblem[], sources: RulesSource[]): RuleProblem[] {
  const fileIndex = new Map(sources.map((s, i) => [s.file, i]));
  const rank = (p: RuleProblem) => fileIndex.get(p.pos.file) ?? -1;
  return problems
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        rank(a.p) - rank(b.p) || a.p.pos.line - b.p.pos.line || a.p.pos.col - b.p.pos.col || a.i - b.i,
    )
    .map(({ p }) => p);
}

/** Reports a problem, with the rule/action names when known. */
type Report = (pos: SourcePos, message: string, context?: Partial<RuleProblem>) => void;

/** Talon's structural checks on a resolved rule action. */
function checkAction(a: ItemAction, hasDefinition: boolean, problem: Report): void {
  if (!a.name) problem(a.namePos ?? a.pos, "action without a name");
  if (!a.actionner) {
    const hint = a.name && !hasDefinition ? ` (no action definition named '${a.name}')` : "";
    problem(a.pos, `missing actionner${hint}`);
  } else if (!ACTIONNER_RE.test(a.actionner)) {
    problem(a.actionnerPos ?? a.pos, `incorrect actionner '${a.actionner}'`);
  }
  if (a.output && !a.output.target && a.output.parameters && a.output.parameters.entries.size > 0) {
    problem(a.output.pos, "missing target for the output");
  }
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
function readSource(source: RulesSource, items: Items, problem: Report, warn: Warn): boolean {
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
      const raw = parseItem(rawActionSchema, item, problem);
      warnUnknownKeys(item, "action", warn);
      if (raw) items.defs.push(itemAction(raw, item));
      else items.brokenActions.add(nameOf(item, "action"));
    } else if (isRule) {
      const raw = parseItem(rawRuleSchema, item, problem);
      warnUnknownKeys(item, "rule", warn);
      if (raw) items.rules.push(itemRule(raw, item));
      else items.brokenRules.add(nameOf(item, "rule"));
    } else {
      problem(item.pos, "an item must have an 'action' or a 'rule' key");
    }
  }
  return true;
}

const ACTION_KEYS = new Set(Object.keys(rawActionSchema.shape));
const RULE_KEYS = new Set(Object.keys(rawRuleSchema.shape));
const MATCH_KEYS = new Set(Object.keys(rawMatchSchema.shape));
const OUTPUT_KEYS = new Set(["target", "parameters"]);
const SUGGESTIONS: Record<string, string> = { contexts: "additional_contexts", dryrun: "dry_run" };

/**
 * Unknown keys are ignored, as in Talon, but reported as warnings: a misspelt key (or the
 * docs' old `contexts`) would otherwise silently change what a rule does.
 */
function warnUnknownKeys(item: LocatedMap, kind: "action" | "rule", warn: Warn): void {
  const check = (node: LocatedValue | undefined, known: Set<string>, where: string) => {
    if (node?.kind !== "map") return;
    for (const [key, v] of node.entries) {
      if (known.has(key)) continue;
      const hint = SUGGESTIONS[key] ? ` (did you mean '${SUGGESTIONS[key]}'?)` : "";
      warn(v.pos, `unknown key '${key}' in ${where} is ignored${hint}`);
    }
  };
  const checkAction = (node: LocatedValue | undefined) => {
    check(node, ACTION_KEYS, "an action");
    check(entry(node, "output"), OUTPUT_KEYS, "an output");
  };
  if (kind === "action") {
    checkAction(item);
    return;
  }
  check(item, RULE_KEYS, "a rule");
  check(entry(item, "match"), MATCH_KEYS, "a match");
  const actions = entry(item, "actions");
  if (actions?.kind === "list") for (const a of actions.items) checkAction(a);
}

function nameOf(item: LocatedMap, key: string): string {
  const v = entry(item, key);
  return v?.kind === "scalar" ? String(v.value) : "";
}

/** Schema check of one item; each issue is reported at the node its path names. */
function parseItem<S extends z.ZodType>(
  schema: S,
  item: LocatedMap,
  problem: Report,
): z.output<S> | undefined {
  const parsed = schema.safeParse(toPlain(item));
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const pos = locate(item, issue.path).pos;
    // Custom messages are Talon's and name the culprit; type errors need the key path.
    problem(pos, issue.code === "custom" ? issue.message : `${pathText(issue.path)}: ${issue.message}`);
  }
  return undefined;
}

function pathText(path: readonly PropertyKey[]): string {
  let s = "";
  for (const seg of path) s += typeof seg === "number" ? `[${seg}]` : s ? `.${String(seg)}` : String(seg);
  return s || "item";
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
  return {
    name: raw.rule,
    description: raw.description,
    continue: raw.continue,
    dryRun: raw.dry_run,
    cooldownSeconds: raw.cooldown_seconds,
    notifiers: [...new Set(defined(raw.notifiers).filter((n) => n !== ""))],
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
