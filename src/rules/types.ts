/**
 * Rules after loading, merging and reference resolution (talon.md §2).
 * Booleans are real booleans; `undefined` means "not set" (defaults apply).
 */

/** Where an item came from, for `file:line:col` messages. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
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
  notifiers: string[];
  match: Match;
  actions: Action[];
  pos?: SourcePos;
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
}
