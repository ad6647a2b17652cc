/**
 * Label values that come from events are mapped onto bounded sets before they reach a metric:
 * anyone who can post to the intake could otherwise grow /metrics without limit with random
 * rule, priority or source values. Values outside a set are counted under `other`.
 */
import { PRIORITY_NUMBERS } from "../rules/schema.js";
import type { RuleSet } from "../rules/types.js";

export const OTHER = "other";

/** Event sources of Falco and its official plug-ins. */
export const KNOWN_SOURCES = [
  "syscall",
  "k8s_audit",
  "aws_cloudtrail",
  "okta",
  "github",
  "gcp_auditlog",
  "azure_platformlogs",
  "k8saudit-eks",
  "k8saudit-gke",
  "k8saudit-aks",
  "k8saudit-ovh",
  "docker",
  "nomad",
  "kafka",
  "dummy",
] as const;

/** Falco's eight priorities by lower-case name, in Falco's spelling (`Warning`). */
const priorityByLower = new Map<string, string>(
  Object.keys(PRIORITY_NUMBERS).map((p) => [p, p.charAt(0).toUpperCase() + p.slice(1)]),
);
// Falco also writes `Info` for Informational.
priorityByLower.set("info", "Informational");

export class LabelBounds {
  private readonly falcoRules: ReadonlySet<string>;
  private readonly sources: ReadonlySet<string>;

  constructor(falcoRules: Iterable<string>, sources: Iterable<string> = []) {
    this.falcoRules = new Set(falcoRules);
    this.sources = new Set([...KNOWN_SOURCES, ...sources]);
  }

  /** The Falco rule of an event: a name some loaded rule matches on, else `other`. */
  falcoRule(value: string): string {
    return this.falcoRules.has(value) ? value : OTHER;
  }

  priority(value: string): string {
    return priorityByLower.get(value.toLowerCase()) ?? OTHER;
  }

  source(value: string): string {
    return this.sources.has(value) ? value : OTHER;
  }
}

const cache = new WeakMap<RuleSet, LabelBounds>();

/**
 * The bounds for a rule set (memoised per loaded set, so a hot reload brings new names):
 * the Falco rule names and sources the rules match on, plus `extraFalcoRules` (the rules of
 * the built-in Falco engine, when it runs).
 */
export function boundsFor(rules: RuleSet, extraFalcoRules: Iterable<string> = []): LabelBounds {
  let bounds = cache.get(rules);
  if (!bounds) {
    const names = new Set<string>(extraFalcoRules);
    const sources = new Set<string>();
    for (const rule of rules.rules) {
      for (const name of rule.match.rules) names.add(name);
      if (rule.match.source) sources.add(rule.match.source);
    }
    bounds = new LabelBounds(names, sources);
    cache.set(rules, bounds);
  }
  return bounds;
}
