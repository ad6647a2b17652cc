/**
 * Semantic validation of loaded rules against the plug-ins: actionners,
 * outputs, contexts and notifiers exist, their zod schemas accept the merged parameters,
 * parameters have no unknown key, outputs pass their `checks()`. The registries are passed
 * in so tests can use stubs.
 */
import { errorText } from "../error-text.js";
import type { Actionner, ContextProvider, Notifier, Output, PluginEnv } from "../plugins/types.js";
import { unknownKeys } from "../validation/keys.js";
import { closest } from "../validation/suggest.js";
import { pathText, zodProblems } from "../validation/zod-errors.js";
import { sortProblems } from "./load.js";
import { locate, locateKey } from "./located.js";
import type { Action, LocatedValue, Rule, RuleProblem, RuleSet, SourcePos } from "./types.js";

export interface RuleRegistry {
  findActionner(fullName: string): Actionner | undefined;
  findOutput(fullName: string): Output | undefined;
  findContext(name: string): ContextProvider | undefined;
  /** When given, a rule's `notifiers` must name known notifiers. */
  findNotifier?(name: string): Notifier | undefined;
  /** Known names, for "did you mean" hints. */
  names?(): { actionners: string[]; outputs: string[]; contexts: string[]; notifiers: string[] };
}

/**
 * Parameter keys Talon's own examples and docs use that the plug-in does not: accepted (with
 * a warning) so those files keep loading. `hint` is the key that does the job.
 */
export const TALON_IGNORED_PARAMETERS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // Talon's repo rules.yaml gives kubernetes:networkpolicy an `allow:` list.
  "kubernetes:networkpolicy": { allow: "allow_cidr" },
  // Talon's docs list `order` for cilium:networkpolicy, which never had one.
  "cilium:networkpolicy": { order: "" },
};

const NOWHERE: SourcePos = { file: "", line: 0, col: 0 };

/**
 * Every semantic problem of every rule action (all of them, not just the first).
 * Output `checks()` run only when `env` is given (they may touch the filesystem or a
 * cloud API); each distinct target+parameters pair is checked once. Non-fatal findings
 * (Talon-only keys that are ignored) go to `warnings` when given.
 */
export async function validateRules(
  ruleset: RuleSet,
  registry: RuleRegistry,
  env?: Omit<PluginEnv, "signal">,
  warnings?: RuleProblem[],
): Promise<RuleProblem[]> {
  const problems: RuleProblem[] = [];
  const outputChecks = new Map<string, Promise<string | undefined>>();
  for (const rule of ruleset.rules) {
    validateNotifiers(rule, registry, problems);
    for (const action of rule.actions) {
      await validateAction(rule, action, registry, env, outputChecks, problems, warnings ?? []);
    }
  }
  return sortProblems(problems, [...new Set(problems.map((p) => p.pos.file))]);
}

function hint(name: string, candidates: string[] | undefined): string {
  const c = candidates ? closest(name, candidates) : undefined;
  return c ? `, did you mean '${c}'?` : "";
}

function validateNotifiers(rule: Rule, registry: RuleRegistry, problems: RuleProblem[]): void {
  if (!registry.findNotifier) return;
  for (const name of rule.notifiers) {
    if (registry.findNotifier(name)) continue;
    const pos = rule.locations?.notifiers?.[name] ?? rule.pos ?? NOWHERE;
    problems.push({
      pos,
      message: `unknown notifier '${name}'${hint(name, registry.names?.().notifiers)}`,
      rule: rule.name,
    });
  }
}

async function validateAction(
  rule: Rule,
  action: Action,
  registry: RuleRegistry,
  env: Omit<PluginEnv, "signal"> | undefined,
  outputChecks: Map<string, Promise<string | undefined>>,
  problems: RuleProblem[],
  warnings: RuleProblem[],
): Promise<void> {
  const loc = action.locations ?? {};
  const base = action.pos ?? rule.pos ?? NOWHERE;
  const ctx = { rule: rule.name, action: action.name, actionner: action.actionner };
  const problem = (pos: SourcePos | undefined, message: string, extra: Partial<RuleProblem> = {}) =>
    problems.push({ pos: pos ?? base, message, ...ctx, ...extra });
  const names = registry.names?.();

  for (const [i, name] of action.additionalContexts.entries()) {
    if (!registry.findContext(name))
      problem(loc.additionalContexts?.[i], `unknown context '${name}'${hint(name, names?.contexts)}`);
  }

  const actionner = registry.findActionner(action.actionner);
  if (!actionner) {
    problem(
      loc.actionner,
      `unknown actionner '${action.actionner}'${hint(action.actionner, names?.actionners)}`,
    );
    return;
  }

  const ignored = TALON_IGNORED_PARAMETERS[action.actionner] ?? {};
  for (const u of unknownKeys(actionner.parameters, action.parameters)) {
    const where = `parameters.${pathText(u.path)}`;
    const pos = keyPositionIn(loc.parameters, u.path) ?? base;
    if (u.path.length === 1 && Object.hasOwn(ignored, u.key)) {
      const instead = ignored[u.key] ? `, use '${ignored[u.key]}'` : "";
      warnings.push({
        pos,
        message: `unknown key '${where}' is ignored by ${action.actionner} (kept for Talon's examples)${instead}`,
        ...ctx,
      });
      continue;
    }
    problem(
      pos,
      `unknown key '${where}' for ${action.actionner}${u.suggestion ? `, did you mean '${u.suggestion}'?` : ""}`,
    );
  }

  const params = await actionner.parameters.safeParseAsync(action.parameters);
  if (!params.success) {
    for (const p of zodProblems(params.error, action.parameters)) {
      problem(positionIn(loc.parameters, p.path), `${pathText(["parameters", ...p.path])}: ${p.reason}`);
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
    problem(
      loc.outputTarget ?? loc.output,
      `unknown target '${outputTarget}'${hint(outputTarget, names?.outputs)}`,
      {
        outputTarget,
      },
    );
    return;
  }
  if (Object.keys(output.parameters).length === 0) {
    problem(loc.output, "missing parameters for the output", { outputTarget });
    return;
  }
  let unknown = false;
  for (const u of unknownKeys(target.parameters, output.parameters)) {
    unknown = true;
    problem(
      keyPositionIn(loc.outputParameters, u.path) ?? loc.output,
      `unknown key 'output.parameters.${pathText(u.path)}' for ${outputTarget}${u.suggestion ? `, did you mean '${u.suggestion}'?` : ""}`,
      { outputTarget },
    );
  }
  const outParams = await target.parameters.safeParseAsync(output.parameters);
  if (!outParams.success) {
    for (const p of zodProblems(outParams.error, output.parameters)) {
      problem(
        positionIn(loc.outputParameters, p.path),
        `${pathText(["output", "parameters", ...p.path])}: ${p.reason}`,
        {
          outputTarget,
        },
      );
    }
    return;
  }
  if (!env || unknown) return;
  const key = `${outputTarget}\u0000${JSON.stringify(output.parameters)}`;
  let check = outputChecks.get(key);
  if (!check) {
    check = target.checks(outParams.data, env).then(
      () => undefined,
      (err: unknown) => errorText(err),
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

/** Where a parameter key is written. */
function keyPositionIn(tree: LocatedValue | undefined, path: readonly PropertyKey[]): SourcePos | undefined {
  return tree ? locateKey(tree, path) : undefined;
}
