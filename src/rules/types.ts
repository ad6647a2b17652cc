/**
 * Rules after loading, merging and reference resolution.
 * Booleans are real booleans; `undefined` means "not set" (defaults apply).
 */

/** Where an item came from, for `file:line:col` messages. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/**
 * A YAML value with the position of every node. Merging and reference resolution work on
 * these trees so that a problem in a merged parameter can point at the node it came from.
 */
export type LocatedValue =
  | { kind: "map"; pos: SourcePos; entries: Map<string, LocatedValue>; keyPos?: Map<string, SourcePos> }
  | { kind: "list"; pos: SourcePos; items: LocatedValue[] }
  | { kind: "scalar"; pos: SourcePos; value: unknown };

/** Positions of an action's parts after merging (for validation messages). */
export interface ActionLocations {
  name?: SourcePos;
  actionner?: SourcePos;
  parameters?: LocatedValue;
  output?: SourcePos;
  outputTarget?: SourcePos;
  outputParameters?: LocatedValue;
  /** Same order as `additionalContexts`. */
  additionalContexts?: SourcePos[];
}

export interface ActionOutput {
  target: string;
  parameters: Record<string, unknown>;
}

export interface Action {
  name: string;
  description: string;
  /** `category:name` */
  actionner: string;
  continue?: boolean;
  ignoreErrors?: boolean;
  parameters: Record<string, unknown>;
  output?: ActionOutput;
  additionalContexts: string[];
  pos?: SourcePos;
  /** Set by the loader; absent for actions built in code. */
  locations?: ActionLocations;
}

export type PriorityOp = "=" | ">" | ">=" | "<" | "<=";

export interface OutputFieldCondition {
  key: string;
  op: "=" | "!=";
  value: string;
}

export interface Match {
  /** OR between entries; empty = any. */
  rules: string[];
  /** Unset = any. */
  priority?: { op: PriorityOp; level: number; text: string };
  /** Unset or "" = any. */
  source?: string;
  /** OR of AND-groups; empty = any. */
  tags: string[][];
  /** OR of AND-groups; empty = any. */
  outputFields: OutputFieldCondition[][];
}

export interface Rule {
  name: string;
  description: string;
  /** Only an explicit false stops later matched rules. */
  continue?: boolean;
  /** true = log only (Talon); "server" = Kubernetes server-side dry run. */
  dryRun?: boolean | "server";
  /** After this rule acted on a target, its actions are skipped for that target for this long. */
  cooldownSeconds?: number;
  notifiers: string[];
  match: Match;
  actions: Action[];
  pos?: SourcePos;
  /** Set by the loader: where each notifier name is written. */
  locations?: { notifiers?: Record<string, SourcePos> };
}

export interface RuleSet {
  rules: Rule[];
  /** Merged action definitions by name (for `rules print` and references). */
  actions: Action[];
}

/** A problem found while loading or validating rules. */
export interface RuleProblem {
  pos: SourcePos;
  message: string;
  /** Context for logs (`rule=… action=… actionner=…`), set when known. */
  rule?: string;
  action?: string;
  actionner?: string;
  outputTarget?: string;
}
