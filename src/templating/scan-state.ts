/** What the shell scanner reports, and the state it keeps per command list. */
import type { ShellVarNames } from "./refs.js";
import type { Word } from "./shell-rules.js";

export type RefContext = "word" | "double" | "single" | "ansi" | "heredoc" | "arith";

export interface ScanProblem {
  /** Offset in the template. */
  offset: number;
  /** The template variable concerned, when there is one. */
  variable?: string;
  /** The text concerned when it is not a variable (e.g. `${X:-y}`). */
  text?: string;
  reason: string;
}

export interface ScanRef {
  name: string;
  offset: number;
  context: RefContext;
}

export interface Heredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

export type CaseState = "subject" | "pattern" | "body";

/** One command list: the template itself, a $(…), a backquoted body. */
export interface Frame {
  words: Word[];
  cur: Word | null;
  /** Open subshell / group parentheses. */
  depth: number;
  heredocs: Heredoc[];
  /** Inside `[[ … ]]`, where && || ( ) < > are operands. */
  dbl: boolean;
  /** Inside `name=( … )`. */
  array: boolean;
  /** The next word is a redirection target. */
  redirTarget: boolean;
  cases: CaseState[];
}

export const RESERVED = new Set([
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "do",
  "done",
  "while",
  "until",
  "!",
  "{",
  "}",
  "time",
]);

export interface ScanShared {
  names: ShellVarNames;
  refs: ScanRef[];
  problems: ScanProblem[];
  /** Offset of the first `declare -i` / `declare -n` (see declaresIntegerOrNameref). */
  integerDecl?: number;
}
