/**
 * `falco-talon rbac -r rules.yaml`: the least-privilege ClusterRole for a set of rules —
 * the union of the Kubernetes permissions of the actionners, outputs, contexts and
 * notifiers those rules use, one rule per apiGroup+resource with sorted verbs.
 */
import { stringify } from "yaml";
import { findActionner } from "../actionners/registry.js";
import { findContext } from "../contexts/registry.js";
import { findNotifier } from "../notifiers/registry.js";
import { findOutput } from "../outputs/registry.js";
import type { Actionner, ContextProvider, Notifier, Output, PolicyRule } from "../plugins/types.js";
import { formatProblem, loadRules, validateRules } from "../rules/index.js";
import type { RuleSet } from "../rules/types.js";

export const CLUSTER_ROLE_NAME = "falco-talon";

export interface RbacRegistry {
  findActionner(fullName: string): Actionner | undefined;
  findOutput(fullName: string): Output | undefined;
  findContext(name: string): ContextProvider | undefined;
  findNotifier(name: string): Notifier | undefined;
}

export const defaultRbacRegistry: RbacRegistry = { findActionner, findOutput, findContext, findNotifier };

export interface RbacOptions {
  /** Notifiers enabled outside the rules (the config's `default_notifiers`). */
  notifiers?: string[];
}

export interface ClusterRole {
  apiVersion: "rbac.authorization.k8s.io/v1";
  kind: "ClusterRole";
  metadata: { name: string; labels: Record<string, string> };
  rules: PolicyRule[];
}

/** Merges rules per apiGroup+resource (verbs unioned and sorted), sorted by group then resource. */
export function mergePolicyRules(rules: PolicyRule[]): PolicyRule[] {
  const verbs = new Map<string, Set<string>>();
  for (const r of rules) {
    for (const g of r.apiGroups) {
      for (const res of r.resources) {
        const key = JSON.stringify([g, res]);
        let set = verbs.get(key);
        if (!set) {
          set = new Set();
          verbs.set(key, set);
        }
        for (const v of r.verbs) set.add(v);
      }
    }
  }
  return [...verbs.entries()]
    .map(([key, set]) => {
      const [g, res] = JSON.parse(key) as [string, string];
      return { apiGroups: [g], resources: [res], verbs: [...set].sort() };
    })
    .sort((a, b) =>
      a.apiGroups[0] === b.apiGroups[0]
        ? (a.resources[0] as string).localeCompare(b.resources[0] as string)
        : (a.apiGroups[0] as string).localeCompare(b.apiGroups[0] as string),
    );
}

/**
 * The ClusterRole for `ruleset`. Unknown actionners, outputs, contexts or notifiers are
 * errors (the role would silently miss their permissions).
 */
export function buildClusterRole(
  ruleset: RuleSet,
  registry: RbacRegistry = defaultRbacRegistry,
  opts: RbacOptions = {},
): ClusterRole {
  const collected: PolicyRule[] = [];
  const unknown: string[] = [];
  const take = <T extends { info: { permissions: { kubernetes?: PolicyRule[] } } }>(
    kind: string,
    name: string,
    found: T | undefined,
  ) => {
    if (!found) unknown.push(`unknown ${kind} '${name}'`);
    else collected.push(...(found.info.permissions.kubernetes ?? []));
  };
  const notifiers = new Set(opts.notifiers ?? []);
  for (const rule of ruleset.rules) {
    for (const n of rule.notifiers) notifiers.add(n);
    for (const action of rule.actions) {
      const actionner = registry.findActionner(action.actionner);
      if (actionner?.kubernetesPermissions) {
        // Validated rules: the parameters parse.
        collected.push(...actionner.kubernetesPermissions(actionner.parameters.parse(action.parameters)));
      } else take("actionner", action.actionner, actionner);
      if (action.output) take("output", action.output.target, registry.findOutput(action.output.target));
      for (const ctx of action.additionalContexts) take("context", ctx, registry.findContext(ctx));
    }
  }
  for (const n of notifiers) take("notifier", n, registry.findNotifier(n));
  if (unknown.length > 0) throw new Error([...new Set(unknown)].join("; "));
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: {
      name: CLUSTER_ROLE_NAME,
      labels: { "app.kubernetes.io/name": "falco-talon", "app.kubernetes.io/part-of": "falco-talon" },
    },
    rules: mergePolicyRules(collected),
  };
}

/** Loads and validates the rules files, then renders their ClusterRole as YAML. */
export async function renderRbac(files: string[], opts: RbacOptions = {}): Promise<string> {
  const loaded = loadRules(files);
  if (!loaded.ruleset || loaded.problems.length > 0) {
    throw new Error(`invalid rules:\n${loaded.problems.map(formatProblem).join("\n")}`);
  }
  const problems = await validateRules(loaded.ruleset, defaultRbacRegistry);
  if (problems.length > 0) throw new Error(`invalid rules:\n${problems.map(formatProblem).join("\n")}`);
  return `---\n${stringify(buildClusterRole(loaded.ruleset, defaultRbacRegistry, opts), { lineWidth: 0 })}`;
}
