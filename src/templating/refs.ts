/**
 * Talon's variable reference syntax, as Go's os.Expand reads it, for one `$` in a template:
 * `${...}` takes everything up to the first `}` as the name, `$NAME` takes `[A-Za-z0-9_]+`, and
 * `$` followed by anything else is left alone. Differences from Talon, on purpose:
 *   - shell special parameters (`$1`, `$?`, `$$`, `$#`, `$@`, `$*`, `$!`, `$-`, `${1}`, `${10}`,
 *     `${#}`...) are left to the shell, which is what a script author expects (Talon turned
 *     them into "" by looking them up as environment variables);
 *   - a `${...}` whose text is not a plain name (`${X:-default}`, `${#X}`, `${X%.*}`,
 *     `${a[$X]}`, `${x:$X}`, `${}`, an unterminated `${`) is rejected instead of silently
 *     expanding to "" (Talon reads the whole text as one name, which never exists).
 */

export type DollarRef =
  /** A template variable: replaced by the event's value (unknown names are empty). */
  | { kind: "var"; name: string; length: number }
  /** A shell special parameter, left as written for the shell. */
  | { kind: "special"; length: number }
  /** A `${...}` form that is not accepted; `reason` says why. */
  | { kind: "bad"; text: string; length: number; reason: string }
  /** `$` not followed by a name (`$(`, `$'`, `$ `, end of text): a literal `$` here. */
  | { kind: "none" };

const SPECIAL = /^[*#$@!?\-0-9]$/;
const NAME_CHAR = /[A-Za-z0-9_]/;
/**
 * What `${...}` accepts as a name: the characters Talon's variable names are made of (output
 * fields and context keys uppercased, `.`/`[` turned into `_`, so letters, digits, `_`, `-` as in
 * `FALCO-TALON_RULE`, `/` from label keys) plus `.` for names written in field form.
 */
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_\-./]*$/;

/** True when `name` can be used as written (`$name` / `${name}`) as a shell variable name. */
export function isShellIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** Reads the reference starting at `s[i] === "$"`. */
export function readDollar(s: string, i: number): DollarRef {
  const next = s[i + 1];
  if (next === undefined) return { kind: "none" };
  if (next === "{") {
    const close = s.indexOf("}", i + 2);
    if (close < 0) {
      return {
        kind: "bad",
        text: s.slice(i, i + 2),
        length: 2,
        reason: "'${' has no closing '}'",
      };
    }
    const name = s.slice(i + 2, close);
    const length = close + 1 - i;
    if (name === "") return { kind: "bad", text: "${}", length, reason: "'${}' names no variable" };
    if (SPECIAL.test(name) || /^[0-9]+$/.test(name)) return { kind: "special", length };
    if (PLAIN_NAME.test(name)) return { kind: "var", name, length };
    return {
      kind: "bad",
      text: `\${${name}}`,
      length,
      reason:
        "'${…}' takes everything up to the first '}' as one variable name, so shell forms such as " +
        "${X:-default}, ${#X}, ${X%…}, ${a[…]} or ${x:offset} are not available here (as in Talon, " +
        "this would always be empty)",
    };
  }
  if (SPECIAL.test(next)) return { kind: "special", length: 2 };
  let j = i + 1;
  while (j < s.length && NAME_CHAR.test(s[j] as string)) j++;
  if (j === i + 1) return { kind: "none" };
  return { kind: "var", name: s.slice(i + 1, j), length: j - i };
}

/** The reserved prefix of the shell variables that carry template values. */
export const SHELL_VAR_PREFIX = "__talon_";

/**
 * Maps template variable names to the shell variables that carry their values: a name that is
 * a valid shell identifier becomes `__talon_NAME`; any other (`FALCO-TALON_RULE`, `1X`) becomes
 * `__talon_<n>_<name with _ for each invalid character>`. Identifiers never start with a digit,
 * so the two forms can't collide, and `<n>` (the order of first use) keeps the second unique.
 */
export class ShellVarNames {
  private readonly map = new Map<string, string>();
  private odd = 0;

  shellName(name: string): string {
    let v = this.map.get(name);
    if (v === undefined) {
      v = isShellIdentifier(name)
        ? `${SHELL_VAR_PREFIX}${name}`
        : `${SHELL_VAR_PREFIX}${this.odd++}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
      this.map.set(name, v);
    }
    return v;
  }

  /** Template names in order of first use, with their shell variables. */
  entries(): [name: string, shellVar: string][] {
    return [...this.map.entries()];
  }
}
