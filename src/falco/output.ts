// Output templates: `%field`, `%10field`, `%tolower(field)`, `<NA>` for missing values.
import { JsonNumber } from "../events/event.js";
import { FalcoCompileError } from "./compile-error.js";
import { compileValue } from "./compiler.js";
import {
  type Extracted,
  type FalcoEventCtx,
  type FieldTable,
  type Scalar,
  scalarToText,
} from "./fields/types.js";
import { asciiLower, asciiUpper } from "./operators.js";
import {
  CURRENT_LANGUAGE,
  FalcoSyntaxError,
  type Language,
  MULTIVALUE_TRANSFORMERS,
  parseOutputTransformer,
  TRANSFORMERS,
} from "./parser.js";

interface OutputToken {
  /** literal text, or a field reference */
  text?: string;
  field?: {
    /** the key in output_fields: the field text with its argument (inner field for transformers) */
    key: string;
    width: number;
    get: (ev: FalcoEventCtx) => Extracted;
    numeric: boolean;
    isList: boolean;
    /** output_fields entries when they are not `key` itself: the fields a multivalue transformer reads */
    resolve?: { key: string; get: (ev: FalcoEventCtx) => Extracted; numeric: boolean; isList: boolean }[];
  };
}

export interface CompiledOutput {
  tokens: OutputToken[];
  fieldKeys: string[];
  render(ev: FalcoEventCtx): { text: string; fields: Record<string, unknown> };
}

const FIELD_RE = /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;

/**
 * Longest prefix of `candidate` that names a known field: libsinsp matches field names as
 * character prefixes, so `%proc.namex` is proc.name followed by the text "x".
 */
function longestField(candidate: string, table: FieldTable): string | undefined {
  for (let n = candidate.length; n > 0; n--) {
    const name = candidate.slice(0, n);
    if (name.includes(".") && !name.endsWith(".") && table.lookup(name)) return name;
  }
  return undefined;
}

export function renderValue(v: Extracted): string {
  if (v === undefined) return "<NA>";
  if (Array.isArray(v)) return "(" + v.map(scalarToText).join(",") + ")";
  return scalarToText(v);
}

/**
 * An integer for output_fields: a number when a double holds it exactly, else its exact
 * digits as a JsonNumber (ns timestamps such as evt.rawtime exceed 2^53).
 */
export function exactInteger(n: bigint): number | JsonNumber {
  const s = n.toString();
  return String(Number(s)) === s ? Number(s) : new JsonNumber(s);
}

function jsonValue(v: Extracted, numeric: boolean, isList: boolean): unknown {
  if (v === undefined) return null;
  const one = (s: Scalar) => (numeric && typeof s === "bigint" ? exactInteger(s) : scalarToText(s));
  if (Array.isArray(v)) return v.map(one);
  return isList ? [one(v)] : one(v);
}

/**
 * `language`: the release's; before 0.44 (no multivalue transformers) libsinsp's formatter also
 * refused filter-only fields, from 0.44 its parser-based formatter takes join/concat/getopt.
 */
export function compileOutput(
  format: string,
  table: FieldTable,
  language: Language = CURRENT_LANGUAGE,
): CompiledOutput {
  const tokens: OutputToken[] = [];
  let lit = "";
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== "%") {
      lit += c;
      i++;
      continue;
    }
    if (i + 1 >= format.length) {
      throw new FalcoCompileError("invalid formatting syntax: formatting cannot end with a %");
    }
    if (lit) tokens.push({ text: lit });
    lit = "";
    let j = i + 1;
    let width = 0;
    while (j < format.length && format[j]! >= "0" && format[j]! <= "9")
      width = width * 10 + Number(format[j++]);
    if (j > i + 1 && j >= format.length)
      throw new FalcoCompileError("invalid formatting syntax: formatting cannot end with a number");
    const parsed = language.multivalue
      ? parseToken044(format, j, table, language)
      : parseFieldRef(format, j, table, language);
    if (!parsed) throw new FalcoCompileError(`invalid formatting token ${format.slice(i + 1)}`);
    tokens.push({ field: { ...parsed.field, width } });
    i = parsed.end;
  }
  if (lit) tokens.push({ text: lit });
  const fieldTokens = tokens.filter((t) => t.field);
  const fieldKeys = [
    ...new Set(
      fieldTokens.flatMap((t) => (t.field!.resolve ? t.field!.resolve.map((r) => r.key) : [t.field!.key])),
    ),
  ];
  return {
    tokens,
    fieldKeys,
    render(ev) {
      let text = "";
      const fields: Record<string, unknown> = {};
      for (const t of tokens) {
        if (t.text !== undefined) {
          text += t.text;
          continue;
        }
        const f = t.field!;
        const v = f.get(ev);
        let s = renderValue(v);
        if (f.width > 0) s = s.length > f.width ? s.slice(0, f.width) : s.padEnd(f.width, " ");
        text += s;
        if (f.resolve) {
          for (const r of f.resolve)
            if (!(r.key in fields)) fields[r.key] = jsonValue(r.get(ev), r.numeric, r.isList);
        } else if (!(f.key in fields)) fields[f.key] = jsonValue(v, f.numeric, f.isList);
      }
      return { text, fields };
    },
  };
}

interface ParsedRef {
  field: Omit<NonNullable<OutputToken["field"]>, "width">;
  end: number;
}

/**
 * Falco 0.44's formatter parses a token with the filter parser and retries shorter texts until
 * one compiles; when none does, its error is always the one the last (one-character) try gives.
 */
function parseToken044(s: string, start: number, table: FieldTable, language: Language): ParsedRef {
  let parsed: ParsedRef | undefined;
  try {
    parsed = parseFieldRef(s, start, table, language);
  } catch (e) {
    if (!(e instanceof FalcoCompileError)) throw e;
  }
  if (!parsed) throw new FalcoCompileError("unknown filter: unexpected token after '");
  return parsed;
}

/** Parses `field[arg]` or `transformer(…)` at `start`; undefined if nothing valid is there. */
function parseFieldRef(
  s: string,
  start: number,
  table: FieldTable,
  language: Language,
): ParsedRef | undefined {
  if (language.multivalue && MULTIVALUE_TRANSFORMERS.some((t) => s.startsWith(t + "(", start)))
    return parseMultivalue(s, start, table);
  for (const tr of TRANSFORMERS) {
    if (!s.startsWith(tr + "(", start)) continue;
    const inner = parseFieldRef(s, start + tr.length + 1, table, language);
    if (!inner || s[inner.end] !== ")") return undefined;
    const g = inner.field.get;
    const fn = (x: Scalar): Scalar => {
      const t = scalarToText(x);
      switch (tr) {
        case "tolower":
          return asciiLower(t);
        case "toupper":
          return asciiUpper(t);
        case "b64":
          return Buffer.from(t, "base64").toString("latin1");
        case "basename":
          return t.slice(t.lastIndexOf("/") + 1);
        default:
          return BigInt(Buffer.byteLength(t, "latin1"));
      }
    };
    return {
      field: {
        key: inner.field.key,
        numeric: tr === "len",
        isList: inner.field.isList && tr !== "len",
        get: (ev) => {
          const v = g(ev);
          if (tr === "len" && inner.field.isList)
            return BigInt(v === undefined ? 0 : Array.isArray(v) ? v.length : 1);
          if (v === undefined) return undefined;
          return Array.isArray(v) ? v.map(fn) : fn(v);
        },
      },
      end: inner.end + 1,
    };
  }
  FIELD_RE.lastIndex = start;
  const m = FIELD_RE.exec(s);
  if (!m) return undefined;
  const name = longestField(m[0], table);
  if (!name) return undefined;
  const def = table.lookup(name)!;
  let end = start + name.length;
  let arg: string | undefined;
  if (s[end] === "[" && def.arg) {
    const close = s.indexOf("]", end);
    if (close < 0) return undefined;
    arg = s.slice(end + 1, close);
    end = close + 1;
  } else if (def.arg?.required && !def.checkArg) return undefined;
  // libsinsp parses an output field from its start to the end of the format, so its texts
  // quote that whole rest (Falco 0.42's formatter)
  const rest = s.slice(start);
  const argError = outputArgError(def.checkArg?.(arg), name, rest);
  if (argError !== undefined) throw new FalcoCompileError(argError);
  if (def.filterOnly && !language.multivalue)
    throw new FalcoCompileError(`${rest} is filter only and cannot be used as a display field`);
  const key = name + (arg !== undefined ? `[${arg}]` : "");
  const a = arg;
  const numeric =
    def.type !== "string" && def.type !== "bytebuf" && def.type !== "ipaddr" && def.type !== "ipnet";
  return {
    field: {
      key,
      numeric: numeric && def.type !== "bool",
      isList: !!def.isList,
      get: (ev) => def.extract(ev, a),
    },
    end,
  };
}

/**
 * A field's argument error as libsinsp words it in an output, where it sees the format's rest:
 * the evt.arg family's own parsing (a missing `.name`/`[n]`, an unknown parameter). Other argument
 * problems are not errors in outputs (the `[…]` stays text).
 */
function outputArgError(message: string | undefined, name: string, rest: string): string | undefined {
  if (message === undefined) return undefined;
  if (message.startsWith("filter syntax error: ")) return `filter syntax error: ${rest}`;
  const base = /^evt\.(?:raw)?arg\./.exec(name)?.[0];
  if (base && message.startsWith("unknown event argument "))
    return `unknown event argument ${rest.slice(base.length)}`;
  return undefined;
}

/** `join(…)`, `concat(…)`, `getopt(…)[o]` in an output (Falco 0.44): rendered as a filter compiles them. */
function parseMultivalue(s: string, start: number, table: FieldTable): ParsedRef | undefined {
  let parsed: ReturnType<typeof parseOutputTransformer>;
  try {
    parsed = parseOutputTransformer(s, start);
  } catch (e) {
    if (e instanceof FalcoSyntaxError) return undefined;
    throw e;
  }
  const v = compileValue(parsed.node, table);
  // output_fields has the fields read, untransformed (Falco leaves transformed values out)
  const resolve = v.fields.map((f) => {
    const def = table.lookup(f.name)!;
    const arg = f.arg;
    const numeric =
      def.type !== "string" &&
      def.type !== "bytebuf" &&
      def.type !== "ipaddr" &&
      def.type !== "ipnet" &&
      def.type !== "bool";
    return {
      key: f.name + (arg !== undefined ? `[${arg}]` : ""),
      get: (ev: FalcoEventCtx) => def.extract(ev, arg),
      numeric,
      isList: !!def.isList,
    };
  });
  return {
    field: { key: s.slice(start, parsed.end), get: v.get, numeric: false, isList: v.isList, resolve },
    end: parsed.end,
  };
}
