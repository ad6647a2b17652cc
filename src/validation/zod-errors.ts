/**
 * One formatter for zod issues, shared by the rules, the configuration and the plug-in
 * parameters: each issue becomes `<field path>: <reason>`, where the reason says what was
 * expected and what was given (never zod's bare `Invalid input`). Unions report the branch
 * the value was meant for, or the list of accepted types.
 */
import type { z } from "zod";

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

export interface FieldProblem {
  /** Full path of the field (prefix included). */
  path: PropertyKey[];
  /** What is wrong, e.g. `expected a number, got 'abc'`. */
  reason: string;
}

/** `a.b[0].c`; keys that are not plain words are quoted: `labels["app.kubernetes.io/name"]`. */
export function pathText(path: Path): string {
  let s = "";
  for (const seg of path) {
    if (typeof seg === "number") s += `[${seg}]`;
    else {
      const key = String(seg);
      if (/^[A-Za-z_][\w-]*$/.test(key)) s += s ? `.${key}` : key;
      else s += `[${JSON.stringify(key)}]`;
    }
  }
  return s;
}

const MAX_TEXT = 80;

/** How a given value reads in a message: `'abc'`, `42`, `true`, `null`, `a list`, `a map`, `nothing`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") {
    const text = v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}…` : v;
    return `'${text}'`;
  }
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return v.length === 0 ? "an empty list" : "a list";
  if (v instanceof Date) return "a date";
  if (typeof v === "object") return "a map";
  return typeof v;
}

/** What a zod type name is called in messages. */
const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  int32: "an integer",
  uint32: "a non-negative integer",
  safeint: "an integer",
  float32: "a number",
  float64: "a number",
  bigint: "an integer",
  boolean: "a boolean (true or false)",
  object: "a map",
  record: "a map",
  map: "a map",
  array: "a list",
  tuple: "a list",
  set: "a list",
  date: "a date",
  null: "null",
  undefined: "nothing",
  nan: "NaN",
  symbol: "a symbol",
  function: "a function",
};

function typeName(t: string): string {
  return TYPE_NAMES[t] ?? `a ${t}`;
}

/** `a, b or c`. */
function alternatives(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** zod's own (English) messages start with a capital; schema authors' messages in this code base do not. */
function isDefaultMessage(message: string): boolean {
  return /^(Invalid|Too (big|small)|Unrecognized key|Expected|Input not instance)\b/.test(message);
}

function valueAt(root: unknown, path: Path): { found: boolean; value: unknown } {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return { found: false, value: undefined };
    if (Array.isArray(cur) && typeof seg === "number") cur = cur[seg];
    else if (!Array.isArray(cur) && Object.hasOwn(cur, seg as string))
      cur = (cur as Record<string, unknown>)[seg as string];
    else return { found: false, value: undefined };
  }
  return { found: true, value: cur };
}

function literal(v: unknown): string {
  return typeof v === "string" ? v : v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v));
}

function sizeWord(origin: string, n: number): string {
  if (origin === "string") return `${n} character${n === 1 ? "" : "s"}`;
  if (origin === "array" || origin === "set") return `${n} item${n === 1 ? "" : "s"}`;
  if (origin === "file") return `${n} byte${n === 1 ? "" : "s"}`;
  return String(n);
}

function sizeOf(v: unknown): number | undefined {
  if (typeof v === "string" || Array.isArray(v)) return v.length;
  if (v instanceof Set || v instanceof Map) return v.size;
  return undefined;
}

const FORMAT_NAMES: Record<string, string> = {
  url: "URL",
  email: "email address",
  uuid: "UUID",
  ipv4: "IPv4 address",
  ipv6: "IPv6 address",
  cidrv4: "IPv4 CIDR",
  cidrv6: "IPv6 CIDR",
  datetime: "RFC 3339 date-time",
  date: "date (YYYY-MM-DD)",
  time: "time",
  duration: "ISO 8601 duration",
  base64: "base64 text",
  hostname: "host name",
};

/** The reason of one issue whose value is `given` (the user's value, before any coercion). */
function reasonOf(issue: Issue, given: unknown, hasGiven: boolean): string {
  const value = hasGiven ? given : (issue as { input?: unknown }).input;
  const got = describeValue(value);
  const custom = !isDefaultMessage(issue.message);
  switch (issue.code) {
    case "invalid_type": {
      if (custom) return withGot(issue.message, value);
      if (value === undefined) return `is required (expected ${typeName(issue.expected)})`;
      return `expected ${typeName(issue.expected)}, got ${got}`;
    }
    case "too_small": {
      if (custom) return withGot(issue.message, value);
      const min = Number(issue.minimum);
      const size = sizeOf(value);
      if (issue.origin === "string" && min === 1) return "must not be empty";
      if (size !== undefined && issue.origin !== "number") {
        const bound =
          issue.inclusive === false
            ? `more than ${sizeWord(issue.origin, min)}`
            : `at least ${sizeWord(issue.origin, min)}`;
        return `expected ${bound}, got ${sizeWord(issue.origin, size)}`;
      }
      return `expected a number ${issue.inclusive === false ? ">" : ">="} ${String(issue.minimum)}, got ${got}`;
    }
    case "too_big": {
      if (custom) return withGot(issue.message, value);
      const max = Number(issue.maximum);
      const size = sizeOf(value);
      if (size !== undefined && issue.origin !== "number") {
        const bound =
          issue.inclusive === false
            ? `fewer than ${sizeWord(issue.origin, max)}`
            : `at most ${sizeWord(issue.origin, max)}`;
        return `expected ${bound}, got ${sizeWord(issue.origin, size)}`;
      }
      return `expected a number ${issue.inclusive === false ? "<" : "<="} ${String(issue.maximum)}, got ${got}`;
    }
    case "invalid_format": {
      if (custom) return withGot(issue.message, value);
      const f = issue as Issue & {
        format: string;
        pattern?: string;
        prefix?: string;
        suffix?: string;
        includes?: string;
      };
      if (f.format === "regex") return `${got} does not match the pattern ${f.pattern ?? ""}`.trim();
      if (f.format === "starts_with") return `expected text starting with '${f.prefix}', got ${got}`;
      if (f.format === "ends_with") return `expected text ending with '${f.suffix}', got ${got}`;
      if (f.format === "includes") return `expected text including '${f.includes}', got ${got}`;
      return `expected a valid ${FORMAT_NAMES[f.format] ?? f.format}, got ${got}`;
    }
    case "not_multiple_of":
      return custom
        ? withGot(issue.message, value)
        : `expected a multiple of ${String(issue.divisor)}, got ${got}`;
    case "unrecognized_keys":
      return issue.keys.length === 1
        ? `unknown key '${issue.keys[0]}'`
        : `unknown keys ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
    case "invalid_value": {
      if (custom) return withGot(issue.message, value);
      const values = issue.values.map(literal);
      if (values.length === 1) return `invalid value ${got}, expected '${values[0]}'`;
      return `invalid value ${got}, expected one of: ${values.join(", ")}`;
    }
    case "custom":
      return custom ? issue.message : `invalid value ${got}`;
    default:
      return custom ? issue.message : `invalid value ${got}`;
  }
}

/** An author's `expected …` message gains the given value when it does not say it already. */
function withGot(message: string, value: unknown): string {
  if (/^expected\b/i.test(message) && !/\bgot\b/.test(message))
    return `${message}, got ${describeValue(value)}`;
  return message;
}

/**
 * Every problem of a zod error (or issue list), with full paths. `root` is the value that was
 * parsed: the reported value is read from it (so a coerced `'abc'` is not shown as NaN).
 * `prefix` is prepended to every path (e.g. `["parameters"]`).
 */
export function zodProblems(
  error: z.ZodError | readonly Issue[],
  root?: unknown,
  prefix: Path = [],
): FieldProblem[] {
  const issues = Array.isArray(error) ? (error as readonly Issue[]) : (error as z.ZodError).issues;
  const out: FieldProblem[] = [];
  for (const issue of issues) collect(issue, [], root, root !== undefined, prefix, out);
  // Union branches can repeat a problem; each is reported once.
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = `${pathText(p.path)}\u0000${p.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function collect(
  issue: Issue,
  base: PropertyKey[],
  root: unknown,
  hasRoot: boolean,
  prefix: Path,
  out: FieldProblem[],
): void {
  const path = [...base, ...issue.path];
  const at = hasRoot ? valueAt(root, path) : { found: false, value: undefined };
  const full = [...prefix, ...path];
  switch (issue.code) {
    case "invalid_union": {
      const given = at.found ? at.value : issue.input;
      const branches = issue.errors;
      // A branch that got past the type check is the one the value was meant for.
      const typeOnly = (b: readonly Issue[]) =>
        b.length > 0 &&
        b.every((i) => i.code === "invalid_type" && i.path.length === 0 && isDefaultMessage(i.message));
      const meant = branches.filter((b) => b.length > 0 && !typeOnly(b));
      if (meant.length > 0) {
        for (const i of meant[0]!) collect(i, path, root, hasRoot, prefix, out);
        return;
      }
      if (!isDefaultMessage(issue.message)) {
        out.push({ path: full, reason: withGot(issue.message, given) });
        return;
      }
      if (branches.length === 0) {
        const disc = (issue as { discriminator?: string }).discriminator;
        out.push({
          path: full,
          reason: disc
            ? `no option matches ${pathText([disc])} in ${describeValue(given)}`
            : `invalid value ${describeValue(given)}`,
        });
        return;
      }
      const expected = [...new Set(branches.map((b) => typeName((b[0] as { expected: string }).expected)))];
      out.push({ path: full, reason: `expected ${alternatives(expected)}, got ${describeValue(given)}` });
      return;
    }
    case "invalid_key": {
      for (const i of issue.issues) {
        const reason = reasonOf(i, issue.input, true);
        out.push({ path: full, reason: `invalid key ${describeValue(issue.input)}: ${reason}` });
      }
      return;
    }
    case "invalid_element": {
      for (const i of issue.issues)
        collect(i, [...path, issue.key as PropertyKey], root, hasRoot, prefix, out);
      return;
    }
    default:
      out.push({ path: full, reason: reasonOf(issue, at.value, at.found) });
  }
}

/** `path: reason` (just the reason for a problem at the root). */
export function problemText(p: FieldProblem): string {
  const where = pathText(p.path);
  return where ? `${where}: ${p.reason}` : p.reason;
}

/** Every issue as `path: reason`, one string each. */
export function zodMessages(
  error: z.ZodError | readonly Issue[],
  root?: unknown,
  prefix: Path = [],
): string[] {
  return zodProblems(error, root, prefix).map(problemText);
}
