/**
 * Command-level checks on a template: positions where the shell, or the command, treats a
 * variable's value as code or as a variable name, so that no quoting makes it safe. The scanner
 * (shell-scan.ts) hands over each simple command as words; a word knows the template variables
 * used in it (also inside nested quotes and command substitutions).
 */

/** A template variable used inside a word. */
export interface WordRef {
  name: string;
  /** Offset of the `$` in the template. */
  offset: number;
  /** Length of the word's literal text when the reference was met. */
  at: number;
}

export interface Word {
  /** The word's characters with quotes and escapes removed; each variable adds one `\0`. */
  lit: string;
  refs: WordRef[];
}

export interface RuleHit {
  ref: WordRef;
  reason: string;
}

/** Why bash's evaluation of arithmetic is unsafe for event values. */
const ARITH =
  "bash evaluates the contents of variables in arithmetic, so a value such as a[$(cmd)] would run cmd";
const NAME_EVAL =
  "bash evaluates array subscripts in variable names, so a value such as a[$(cmd)] would run cmd";

const SHELLS = new Set(["sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "su", "runuser"]);
/** Commands that run another command given as their arguments. */
const WRAPPERS = new Set([
  "command",
  "builtin",
  "exec",
  "nohup",
  "env",
  "time",
  "nice",
  "sudo",
  "doas",
  "timeout",
  "setsid",
  "stdbuf",
  "xargs",
  "ionice",
  "chrt",
  "taskset",
  "unbuffer",
]);
const DECLARE = new Set(["declare", "typeset", "local", "export", "readonly"]);
const ARITH_OPS = new Set(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]);
/** `read` options that take a value which is not a variable name. */
const READ_VALUE_OPTS = new Set(["-p", "-d", "-t", "-n", "-N", "-u", "-i"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

function base(lit: string): string {
  return lit.slice(lit.lastIndexOf("/") + 1);
}

function all(words: readonly Word[], reason: string): RuleHit[] {
  return words.flatMap((w) => w.refs.map((ref) => ({ ref, reason })));
}

/** Variables inside `name[...]=` (an assignment's array subscript, also `[i]=v` in `a=(...)`). */
export function subscriptHits(word: Word): RuleHit[] {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)?\[/.exec(word.lit);
  if (!m || word.refs.length === 0) return [];
  const open = m[0].length - 1;
  const close = word.lit.search(/\]\+?=/);
  if (close < open) return [];
  return word.refs
    .filter((r) => r.at > open && r.at < close)
    .map((ref) => ({ ref, reason: `it is in an array subscript, which is arithmetic: ${ARITH}` }));
}

/**
 * True for `declare -i` / `-n` (and typeset, local, export, readonly): every later assignment to
 * such a variable is evaluated as arithmetic or as a variable name, wherever it is.
 */
export function declaresIntegerOrNameref(words: readonly Word[]): boolean {
  return words.some(
    (w, j) => DECLARE.has(base(w.lit)) && words.slice(j + 1).some((o) => /^[-+][A-Za-z]*[in]/.test(o.lit)),
  );
}

/** The checks for one simple command. */
export function commandHits(words: readonly Word[]): RuleHit[] {
  const hits: RuleHit[] = words.flatMap(subscriptHits);
  let k = 0;
  // Leading assignments (`A=1 cmd`) and wrappers with their options (`env -i`, `timeout 5`).
  while (k < words.length) {
    const w = words[k] as Word;
    if (ASSIGNMENT.test(w.lit)) k++;
    else if (WRAPPERS.has(base(w.lit))) {
      k++;
      while (k < words.length && /^(-|[0-9.]+[smhd]?$)/.test((words[k] as Word).lit)) k++;
    } else break;
  }
  const cmdWord = words[k];
  if (!cmdWord) return hits;
  const cmd = base(cmdWord.lit);
  const args = words.slice(k + 1);
  for (const ref of cmdWord.refs) {
    hits.push({ ref, reason: "it is the command name, so the event would choose the program that runs" });
  }

  if (cmd === "eval") hits.push(...all(args, "'eval' runs its arguments as shell code"));
  else if (cmd === "source" || cmd === ".") {
    hits.push(...all(args, `'${cmd}' runs the file it is given as shell code`));
  } else if (cmd === "trap") hits.push(...all(args, "'trap' runs its argument as shell code"));
  else if (cmd === "alias") hits.push(...all(args, "'alias' defines shell code"));
  else if (cmd === "let") hits.push(...all(args, `'let' is arithmetic: ${ARITH}`));
  else if (DECLARE.has(cmd)) {
    if (args.some((w) => /^[-+][A-Za-z]*[in]/.test(w.lit))) {
      hits.push(
        ...all(args, `'${cmd} -i' / '${cmd} -n' makes an integer or name-reference variable: ${ARITH}`),
      );
    } else {
      for (const w of args) {
        const eq = w.lit.indexOf("=");
        for (const ref of w.refs) {
          if (eq < 0 || ref.at < eq)
            hits.push({ ref, reason: `'${cmd}' takes it as a variable name: ${NAME_EVAL}` });
        }
      }
    }
  } else if (cmd === "unset") hits.push(...all(args, `'unset' takes it as a variable name: ${NAME_EVAL}`));
  else if (cmd === "read" || cmd === "mapfile" || cmd === "readarray") {
    for (const [j, w] of args.entries()) {
      if (w.lit.startsWith("-")) continue;
      if (READ_VALUE_OPTS.has(args[j - 1]?.lit ?? "")) continue;
      hits.push(...all([w], `'${cmd}' takes it as a variable name: ${NAME_EVAL}`));
    }
  }
  if (cmd === "printf" || cmd === "test" || cmd === "[" || cmd === "[[" || cmd === "getopts") {
    for (const [j, w] of args.entries()) {
      const prev = args[j - 1]?.lit;
      if (prev === "-v" || (cmd === "[[" && prev === "-R")) {
        hits.push(...all([w], `'${cmd} ${prev}' takes it as a variable name: ${NAME_EVAL}`));
      }
    }
    if (cmd === "getopts")
      hits.push(...all(args.slice(1, 2), `'getopts' takes it as a variable name: ${NAME_EVAL}`));
  }
  if (cmd === "[[" && args.some((w) => ARITH_OPS.has(w.lit))) {
    hits.push(...all(args, `'[[ … -eq … ]]' compares as arithmetic: ${ARITH}`));
  }

  hits.push(...interpreterHits(cmd, args));

  // `sh -c CODE`, also behind wrappers (xargs, env...) and find -exec: CODE is parsed as shell code.
  // Values passed as the arguments after CODE ($1, $2...) stay data and are fine.
  const starts = [k];
  if (cmd === "find") {
    for (const [j, w] of args.entries()) if (/^-(exec|execdir|ok|okdir)$/.test(w.lit)) starts.push(k + 2 + j);
  }
  for (const s of starts) {
    const shell = base(words[s]?.lit ?? "");
    if (!SHELLS.has(shell)) continue;
    for (let j = s + 1; j < words.length; j++) {
      const w = words[j] as Word;
      if (!w.lit.startsWith("-")) {
        // The first operand: a script file to run (no -c).
        hits.push(...all([w], `'${shell}' runs the file it is given as shell code`));
        break;
      }
      hits.push(...all([w], `'${shell}' takes it as an option`));
      if (/^-[A-Za-z]*c[A-Za-z]*$/.test(w.lit)) {
        const code = words[j + 1];
        if (code) {
          const why = `'${shell} ${w.lit}' runs its command string as shell code; pass the value as an argument after it instead (sh -c '… "$1"' sh "\${NAME}")`;
          hits.push(...all([code], why));
        }
        break;
      }
    }
  }
  return hits;
}

const AWK = new Set(["awk", "gawk", "mawk", "nawk"]);
const SCRIPTING = new Set([
  "perl",
  "python",
  "python2",
  "python3",
  "ruby",
  "node",
  "nodejs",
  "php",
  "lua",
  "tclsh",
  "Rscript",
]);

/**
 * Values inside the program text of awk, sed and scripting languages would be parsed as code by
 * that language (awk's system(), sed's `e` command, perl -e ...). The program is the first operand
 * of awk and sed unless -e/-f is given, and the argument of -e/-c/-E/-r for the others.
 */
function interpreterHits(cmd: string, args: readonly Word[]): RuleHit[] {
  const isAwk = AWK.has(cmd);
  const isSed = cmd === "sed" || cmd === "gsed";
  const isScript = SCRIPTING.has(cmd) || /^python3\.[0-9]+$/.test(cmd);
  if (!isAwk && !isSed && !isScript) return [];
  const why = `it is in the program text of '${cmd}', which would parse the value as code; pass it as data instead (e.g. ${isAwk ? "awk -v v=\"${X}\" '… v …'" : "an environment variable or an argument"})`;
  const hits: RuleHit[] = [];
  const codeOpts = isScript ? /^-[A-Za-z]*[ecEr]$/ : /^(-e|--expression|--source|-f|--file)$/;
  const valueOpts = isAwk ? /^-[vF]$/ : isSed ? /^(-l|--line-length)$/ : /^-[IiMmWX]$/;
  let programSeen = false;
  for (const [j, w] of args.entries()) {
    const prev = args[j - 1]?.lit ?? "";
    if (codeOpts.test(prev)) {
      programSeen = true;
      hits.push(...all([w], why));
      continue;
    }
    if (valueOpts.test(prev) || w.lit.startsWith("-")) {
      if (codeOpts.test(w.lit)) programSeen = true;
      continue;
    }
    if (!programSeen && !isScript) {
      programSeen = true;
      hits.push(...all([w], why));
    }
  }
  return hits;
}
