/**
 * Semantic validation of loaded rules against the plug-ins (talon.md §2.3.2): actionners
 * and outputs exist, their zod schemas accept the merged parameters, outputs pass their
 * `checks()`, contexts exist. The registries are passed in so tests can use stubs.
 */
import type { z } from "zod";
import type { Actionner, ContextProvider, Output, PluginEnv } from "../plugins/types.js";
import { locate } from "./located.js";
import type { Action, LocatedValue, Rule, RuleProblem, RuleSet, SourcePos } from "./types.js";

export interface RuleRegistry {
  findActionner(fullName: string): Actionner | undefined;
  findOutput(fullName: string): Output | undefined;
  findContext(name: string): ContextProvider | undefined;
}

const NOWHERE: SourcePos = { file: "", line: 0, col: 0 };

/**
 * Every semantic problem of every rule action (all of them, not just the first).
 * Output `checks()` run only when `env` is given (they may touch the filesystem or a
 * cloud API); each distinct target+parameters pair is checked once.
 */
export async function validateRules(
  ruleset: RuleSet,
  registry: RuleRegistry,
  env?: Omit<PluginEnv, "signal">,
): Promise<RuleProblem[]> {
  const problems: RuleProblem[] = [];
  const outputChecks = new Map<string, Promise<string | undefined>>();
  for (const rule of ruleset.rules) {
    for (const action of rule.actions) {
      await validateAction(rule, action, registry, env, outputChecks, problems);
    }
  }
  return problems;
}

async function validateAction(
  rule: Rule,
  action: Action,
  registry: RuleRegistry,
  env: Omit<PluginEnv, "signal"> | undefined,
  outputChecks: Map<string, Promise<string | undefined>>,
  problems: RuleProblem[],
): Promise<void> {
  const loc = action.locations ?? {};
  const base = action.pos ?? rule.pos ?? NOWHERE;
  const ctx = { rule: rule.name, action: action.name, actionner: action.actionner };
  const problem = (pos: SourcePos | undefined, message: string, extra: Partial<RuleProblem> = {}) =>
    problems.push({ pos: pos ?? base, message, ...ctx, ...extra });

  for (const [i, name] of action.additionalContexts.entries()) {
    if (!registry.findContext(name)) problem(loc.additionalContexts?.[i], `unknown context '${name}'`);
  }

  const actionner = registry.findActionner(action.actionner);
  if (!actionner) {
    problem(loc.actionner, `unknown actionner '${action.actionner}'`);
    return;
  }

  const params = await actionner.parameters.safeParseAsync(action.parameters);
  if (!params.success) {
    for (const issue of params.error.issues) {
      problem(positionIn(loc.parameters, issue.path), parameterMessage("parameter", issue));
    }
  }

  const output = action.output;
  if (!output) {
    if (actionner.info.requireOutput) problem(base, "an output is required");
    return;
  }
  const outputTarget = output.target;
  const target = registry.findOutput(outputTarget);
  if (!target) {
    problem(loc.outputTarget ?? loc.output, `unknown target '${outputTarget}'`, { outputTarget });
    return;
  }
  if (Object.keys(output.parameters).length === 0) {
    problem(loc.output, "missing parameters for the output", { outputTarget });
    return;
  }
  const outParams = await target.parameters.safeParseAsync(output.parameters);
  if (!outParams.success) {
    for (const issue of outParams.error.issues) {
      problem(positionIn(loc.outputParameters, issue.path), parameterMessage("output parameter", issue), {
        outputTarget,
      });
    }
    return;
  }
  if (!env) return;
  const key = `${outputTarget}\u0000${JSON.stringify(output.parameters)}`;
  let check = outputChecks.get(key);
  if (!check) {
    check = target.checks(outParams.data, env).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    outputChecks.set(key, check);
  }
  const failure = await check;
  if (failure !== undefined) problem(loc.output, `output '${outputTarget}': ${failure}`, { outputTarget });
}

/** The node a parameter issue names, or its nearest existing ancestor. */
function positionIn(tree: LocatedValue | undefined, path: readonly PropertyKey[]): SourcePos | undefined {
  return tree ? locate(tree, path).pos : undefined;
}

function parameterMessage(what: string, issue: z.core.$ZodIssue): string {
  if (issue.path.length === 0) return `incorrect ${what}s: ${issue.message}`;
  return `incorrect ${what} '${pathText(issue.path)}': ${issue.message}`;
}

function pathText(path: readonly PropertyKey[]): string {
  let s = "";
  for (const seg of path) s += typeof seg === "number" ? `[${seg}]` : s ? `.${String(seg)}` : String(seg);
  return s;
}
