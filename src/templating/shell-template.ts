/**
 * Templates run by a shell (kubernetes:exec `command`, kubernetes:script `script`/`file`).
 * Event values are never spliced into the shell text. The text sent to the shell is:
 *
 *     __talon_FD_NAME='x; touch /tmp/pwned'      one single-quoted assignment per variable used
 *     __talon_0_FALCO_TALON_RULE='…'             (not exported; unknown names are '')
 *     echo "seen $(basename "${__talon_FD_NAME}")"   the template, references rewritten
 *
 * so the shell expands the values and never parses them as code. Positions where a value would
 * still be evaluated (arithmetic, eval, sh -c, quoted here-documents...) are rejected by
 * `checkShellTemplate`, which the exec/script parameter schemas run when rules are loaded.
 */
import { shellQuote } from "./quote.js";
import { SHELL_VAR_PREFIX, ShellVarNames } from "./refs.js";
import { type ScanProblem, type ScanRef, type ScanShared, ShellScanner } from "./shell-scan.js";

export interface ShellTemplateProblem {
  /** The template variable concerned, if any. */
  variable?: string;
  /** 1-based line and column in the template. */
  line: number;
  column: number;
  /** A sentence naming the variable (or text) and why it can't be used there. */
  message: string;
}

export interface ScannedShellTemplate {
  /** The template with each variable reference rewritten to its shell variable. */
  body: string;
  /** Template variable names in order of first use, with their shell variables. */
  variables: [name: string, shellVar: string][];
  refs: ScanRef[];
  problems: ShellTemplateProblem[];
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = text.indexOf("\n"); k >= 0 && k < offset; k = text.indexOf("\n", k + 1)) {
    line++;
    start = k + 1;
  }
  return { line, column: offset - start + 1 };
}

function describe(template: string, p: ScanProblem): ShellTemplateProblem {
  const { line, column } = lineCol(template, p.offset);
  const where = `(line ${line}, column ${column})`;
  const message =
    p.variable !== undefined
      ? `the variable ${p.variable} ${where} can't be used here: ${p.reason}`
      : `'${p.text ?? ""}' ${where} is not accepted: ${p.reason}`;
  return { ...(p.variable !== undefined ? { variable: p.variable } : {}), line, column, message };
}

/** Scans a shell template: the rewritten body, the variables it uses and its problems. */
export function scanShellTemplate(template: string): ScannedShellTemplate {
  const names = new ShellVarNames();
  const shared: ScanShared = { names, refs: [], problems: [] };
  const body = new ShellScanner(template, shared).run();
  for (let k = template.indexOf(SHELL_VAR_PREFIX); k >= 0; k = template.indexOf(SHELL_VAR_PREFIX, k + 1)) {
    shared.problems.push({
      offset: k,
      text: SHELL_VAR_PREFIX,
      reason: `shell names starting with ${SHELL_VAR_PREFIX} are reserved for the values of template variables`,
    });
  }
  const first = shared.refs[0];
  if (shared.integerDecl !== undefined && first) {
    const decl = lineCol(template, shared.integerDecl);
    shared.problems.push({
      offset: first.offset,
      variable: first.name,
      reason: `the template declares an integer or name-reference variable (declare -i / -n, line ${decl.line}), and bash evaluates the values assigned to those as arithmetic or as variable names; such a template can't use variables`,
    });
  }
  const problems = shared.problems.sort((a, b) => a.offset - b.offset).map((p) => describe(template, p));
  return { body, variables: names.entries(), refs: shared.refs, problems };
}

/** The problems that make a template unusable with a shell (empty when it is fine). */
export function checkShellTemplate(template: string): ShellTemplateProblem[] {
  return scanShellTemplate(template).problems;
}

/** The assignment lines for the variables a template uses (unknown names are empty). */
export function shellAssignments(
  variables: readonly [string, string][],
  vars: ReadonlyMap<string, string>,
): string {
  let out = "";
  for (const [name, shellVar] of variables) {
    const value = vars.get(name) ?? "";
    if (value.includes("\0")) {
      throw new Error(
        `the value of the variable ${name} contains a NUL byte, which can't be passed to a shell command`,
      );
    }
    out += `${shellVar}=${shellQuote(value)}\n`;
  }
  return out;
}

/**
 * The shell text for a template and an event's variables: the assignments, then the rewritten
 * template. A first line starting with `#!` stays first. Throws when the template has problems
 * (they are normally caught when rules are loaded) or a value holds a NUL byte.
 */
export function renderShellTemplate(template: string, vars: ReadonlyMap<string, string>): string {
  const scanned = scanShellTemplate(template);
  if (scanned.problems.length > 0) {
    throw new Error(`unsafe shell template: ${scanned.problems.map((p) => p.message).join("; ")}`);
  }
  const defs = shellAssignments(scanned.variables, vars);
  if (scanned.body.startsWith("#!")) {
    const nl = scanned.body.indexOf("\n");
    if (nl < 0) return `${scanned.body}\n${defs}`;
    return scanned.body.slice(0, nl + 1) + defs + scanned.body.slice(nl + 1);
  }
  return defs + scanned.body;
}
