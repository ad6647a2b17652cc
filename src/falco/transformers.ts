// Stand-alone transformer application (the compiler inlines the same logic into closures).
import { asciiLower, asciiUpper } from "./operators.js";

type TrValue = string | number | bigint;

/** Applies a transformer to a value, or to each value of a list (`len` counts the list), as libsinsp does. */
export function applyTransformer(name: string, input: TrValue | TrValue[]): unknown {
  if (name === "len") {
    if (Array.isArray(input)) return input.length;
    return Buffer.byteLength(String(input), "latin1");
  }
  if (Array.isArray(input)) return input.map((v) => applyTransformer(name, v));
  const s = String(input);
  switch (name) {
    case "tolower":
      return asciiLower(s);
    case "toupper":
      return asciiUpper(s);
    case "b64":
      return Buffer.from(s, "base64").toString("latin1");
    case "basename": {
      const i = s.lastIndexOf("/");
      return i < 0 ? s : s.slice(i + 1);
    }
    default:
      throw new Error(`unknown transformer '${name}'`);
  }
}

/**
 * getopt(3)'s reading of an optstring: valid option characters and those taking a value. A
 * leading ':' only changes getopt(3)'s error reporting, which the transformer does not expose.
 */
export interface OptString {
  valid: Set<string>;
  withValue: Set<string>;
}

export function parseOptString(optstring: string): OptString {
  const info: OptString = { valid: new Set(), withValue: new Set() };
  for (let i = optstring.startsWith(":") ? 1 : 0; i < optstring.length; i++) {
    const c = optstring[i]!;
    if (c === ":") continue;
    info.valid.add(c);
    if (optstring[i + 1] === ":") {
      info.withValue.add(c);
      i++;
    }
  }
  return info;
}

/**
 * The `getopt(args, optstring)` transformer: scans short options as getopt(3) does (stops at
 * `--` and at the first non-option, skips long options, expands clusters like `-nt`). Without a
 * selector: each option, then its value when it takes one; an unknown option gives "?" and a
 * missing value "". With a selector (`getopt(...)[t]`): the last value (or the option itself) of
 * that option, undefined when absent.
 */
export function getopt(
  args: readonly string[],
  opts: OptString,
  selector?: string,
): string[] | string | undefined {
  const out: string[] = [];
  let selected: string | undefined;
  const emit = (name: string, value: string | undefined): void => {
    if (selector !== undefined) selected = value ?? name;
    else {
      out.push(name);
      if (value !== undefined) out.push(value);
    }
  };
  for (let a = 0; a < args.length; a++) {
    const arg = args[a]!;
    if (arg === "--") break;
    if (arg.length > 2 && arg.startsWith("--")) continue;
    if (arg.length < 2 || arg[0] !== "-") break;
    for (let i = 1; i < arg.length; i++) {
      const opt = arg[i]!;
      if (opt === ":" || !opts.valid.has(opt)) {
        if (selector === undefined) out.push("?");
        continue;
      }
      const matches = selector === undefined || opt === selector;
      if (!opts.withValue.has(opt)) {
        if (matches) emit(opt, undefined);
        continue;
      }
      let value: string | undefined;
      if (i + 1 < arg.length) value = arg.slice(i + 1);
      else if (a + 1 < args.length) value = args[++a]!;
      if (matches) {
        // a missing value reads as "" (the option itself is not emitted then)
        if (value === undefined) emit("", undefined);
        else emit(opt, value);
      }
      break;
    }
  }
  return selector === undefined ? out : selected;
}
