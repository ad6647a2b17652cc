// What the rules loader shares between reading and linking: the collected lists, macros and
// rules (Falco's "info" records), priorities, problems, and the textual list substitution.
import type { Expr } from "./ast.js";
import type { Predicate } from "./compiler.js";
import type { CompiledOutput } from "./output.js";
import type { Language } from "./parser.js";
import type { Loc } from "./yamlitem.js";

export interface FalcoProblem {
  severity: "error" | "warning";
  code: string;
  message: string;
  file: string;
  line: number;
  col: number;
}

export const PRIORITIES = [
  "Emergency",
  "Alert",
  "Critical",
  "Error",
  "Warning",
  "Notice",
  "Informational",
  "Debug",
] as const;
export type Priority = (typeof PRIORITIES)[number];

export function parsePriority(s: string): Priority | undefined {
  const l = s.toLowerCase();
  if (l === "info") return "Informational";
  return PRIORITIES.find((p) => p.toLowerCase() === l);
}

/** The engine version of the default release (Falco 0.44's FALCO_ENGINE_VERSION). */
export const ENGINE_VERSION = "0.62.0";
/** Plugins whose fields this engine provides natively (k8s_audit serves every k8saudit variant). */
export const DEFAULT_PLUGINS: Record<string, string> = {
  k8saudit: "0.18.0",
  "k8saudit-aks": "0.6.0",
  "k8saudit-eks": "0.12.0",
  "k8saudit-gke": "0.9.0",
  "k8saudit-ovh": "0.6.0",
  json: "0.7.3",
  container: "0.4.0",
};

export interface LoadOptions {
  engineVersion?: string;
  /** the condition language of the Falco release loading the rules (default: the current one) */
  language?: Language;
  plugins?: Record<string, string>;
  /** registered event sources (default syscall and k8s_audit) */
  sources?: string[];
}

export interface LoadedRule {
  name: string;
  desc: string;
  source: string;
  priority: Priority;
  tags: string[];
  enabled: boolean;
  /** final condition text (exceptions added, lists substituted) */
  condition: string;
  /** the condition with macros expanded (the engine indexes rules by what it requires) */
  ast?: Expr;
  evaluate: Predicate;
  output: CompiledOutput;
  ordinal: number;
}

export interface RulesFile {
  path: string;
  content: string;
}

export interface LoadResult {
  rules: LoadedRule[];
  problems: FalcoProblem[];
}

export interface Origin {
  file: string;
  loc: Loc;
}

export interface ListInfo {
  name: string;
  items: string[];
  ordinal: number;
  lastOrdinal: number;
  used: boolean;
  origin: Origin;
}

export interface MacroInfo {
  name: string;
  condition: string;
  ordinal: number;
  lastOrdinal: number;
  used: boolean;
  /** the condition's position (parse errors) */
  origin: Origin;
  /** the macro item's position (undefined macros, loops, unused warnings) */
  itemOrigin: Origin;
  /** where the condition text starts when it is a one-line plain/quoted scalar (for exact error columns) */
  condStart?: Loc;
  ast?: Expr;
}

/**
 * An exception's `fields`, `comps` or one of its `values` as written: a scalar's text, or a
 * sequence of those (nested as written). Anything else (a mapping, null) reads as "".
 */
export type ExEntry = string | ExEntry[];

/** Falco's validity test of an entry: a non-empty sequence or a non-empty scalar. */
export function entryIsValid(e: ExEntry | undefined): boolean {
  return e !== undefined && e.length > 0;
}

/** An exception as written (reading checks only the YAML shapes). */
export interface RawException {
  name: string;
  fields: ExEntry | undefined;
  comps: ExEntry | undefined;
  values: ExEntry[];
  origin: Origin;
}

/** A validated exception: comps defaulted (`=` per field, `in` for one field) and trimmed. */
export interface ExceptionInfo {
  name: string;
  fields: string | string[];
  comps: string | string[];
  /** list fields: a tuple per value; single field: scalars. Shapes are checked when the condition is built. */
  values: ExEntry[];
  origin: Origin;
}

export interface RuleInfo {
  name: string;
  ordinal: number;
  origin: Origin;
  condOrigin: Origin;
  /** where the condition text starts when it is a one-line plain/quoted scalar (for exact error columns) */
  condStart?: Loc;
  condition: string;
  output: string;
  desc: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  tags: Set<string>;
  exceptions: ExceptionInfo[];
  capture: boolean;
  captureDuration: number;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
}

/** Everything read from the rules files, by name, with overrides and appends already applied. */
export interface RuleItems {
  lists: Map<string, ListInfo>;
  macros: Map<string, MacroInfo>;
  rules: Map<string, RuleInfo>;
}

/** The problems of one load, in the order found. */
export class Problems {
  readonly list: FalcoProblem[] = [];

  hasErrors(): boolean {
    return this.list.some((p) => p.severity === "error");
  }

  warn(code: string, message: string, origin: Origin): void {
    this.list.push({ severity: "warning", code, message, file: origin.file, ...origin.loc });
  }

  error(code: string, message: string, origin: Origin): void {
    this.list.push({ severity: "error", code, message, file: origin.file, ...origin.loc });
  }

  /** Forgets the problems found after the first `count`. */
  truncate(count: number): void {
    this.list.length = Math.min(this.list.length, count);
  }
}

/** An item of a list or exception value: double-quoted when it contains a space and is not quoted yet. */
export function quoteItem(v: string): string {
  if (v.includes(" ") && !v.startsWith('"') && !v.startsWith("'")) return `"${v}"`;
  return v;
}

const BLANKS = " \t\n\r";
const DELIMS = BLANKS + "(),=";

/**
 * Textual list substitution as Falco's rule compiler does it: each occurrence of the list name
 * delimited by blanks, parentheses, commas or `=` becomes the items joined by ", ", with the
 * surrounding blanks replaced by single spaces; an empty list also swallows one adjacent comma.
 * Returns the new text and whether the name occurred.
 */
export function substituteList(cnd: string, name: string, items: string[]): [string, boolean] {
  let used = false;
  let start = cnd.indexOf(name);
  while (start !== -1) {
    let end = start + name.length;
    if (
      (start === 0 || DELIMS.includes(cnd[start - 1]!)) &&
      (end >= cnd.length || DELIMS.includes(cnd[end]!))
    ) {
      while (start > 0 && BLANKS.includes(cnd[start - 1]!)) start--;
      while (end < cnd.length && BLANKS.includes(cnd[end]!)) end++;
      const sub = items.join(", ");
      if (sub === "") {
        if (start > 0 && cnd[start - 1] === ",") start--;
        else if (end < cnd.length && cnd[end] === ",") end++;
      }
      let next = "";
      if (start > 0) next += cnd.slice(0, start) + " ";
      next += sub + " ";
      next += cnd.slice(end);
      cnd = next;
      start += sub.length + 1;
      used = true;
    }
    start = cnd.indexOf(name, start + 1);
  }
  return [cnd, used];
}
