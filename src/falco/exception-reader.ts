// A rule's `exceptions:` in Falco's two stages: reading checks the YAML shapes
// (LOAD_ERR_YAML_VALIDATE); defining or appending the rule then validates names, comps and
// fields (LOAD_ERR_VALIDATE), as Falco's rule collector does.
import { isMap, isScalar, isSeq, type Node } from "yaml";
import {
  type ExceptionInfo,
  type ExEntry,
  entryIsValid,
  type Problems,
  type RawException,
} from "./definitions.js";
import { isModifiedOperator, SUPPORTED_OPERATORS } from "./parser.js";
import { Item, LoadError } from "./yamlitem.js";

/** Whether a field (or transformer expression) is a valid left-hand side for the rule's source. */
export type FieldValidator = (field: string) => boolean;

/**
 * Reads `exceptions:` as written. `append`: the rule is appended to, so `fields` may be absent
 * and an exception without `values` is worth a warning.
 */
export function readExceptions(
  item: Item,
  append: boolean,
  file: string,
  problems: Problems,
): RawException[] {
  if (!item.has("exceptions")) return [];
  const node = item.node("exceptions");
  if (node === undefined || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) item.fail("LOAD_ERR_YAML_VALIDATE", "Rule exceptions must be a sequence", item.loc(node));
  const out: RawException[] = [];
  for (const el of node.items as (Node | null)[]) {
    if (!isMap(el))
      item.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception must be a mapping", item.loc(el ?? node));
    const ex: Item = new Item(el, item.lc);
    const name = ex.scalarText("name", true)!;
    const origin = { file, loc: ex.loc() };
    if (out.some((e) => e.name === name)) {
      problems.warn(
        "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
        `Multiple definitions of exception '${name}' in the same rule`,
        origin,
      );
    }
    if (!ex.has("fields") && !append)
      ex.fail("LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'fields'");
    const fields = ex.has("fields") ? readEntry(ex, ex.node("fields") ?? null) : undefined;
    const comps = ex.has("comps") ? readEntry(ex, ex.node("comps") ?? null) : undefined;
    const values: ExEntry[] = [];
    if (ex.has("values")) {
      const vn = ex.node("values") ?? null;
      if (!isSeq(vn))
        ex.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception values must be a sequence", ex.loc(vn));
      for (const v of vn.items as (Node | null)[]) values.push(readEntry(ex, v));
    } else if (append) {
      problems.warn("LOAD_APPEND_NO_VALUES", "Overriding/appending exception with no values", origin);
    }
    out.push({ name, fields, comps, values, origin });
  }
  return out;
}

/** A scalar's text or a sequence of entries; a mapping or null reads as "" (an invalid entry). */
function readEntry(ex: Item, n: Node | null): ExEntry {
  if (isSeq(n)) return (n.items as (Node | null)[]).map((x) => readEntry(ex, x));
  if (!isScalar(n) || n.value === null) return "";
  const text = scalarText(n);
  if (text === "") ex.fail("LOAD_ERR_YAML_VALIDATE", "Value must be non-empty", ex.loc(n));
  return text;
}

function scalarText(n: Node): string {
  if (!isScalar(n)) return "";
  if (typeof n.value === "string") return n.value;
  const src = (n as { source?: string }).source;
  return typeof src === "string" ? src : String(n.value);
}

const fail = (ex: RawException, message: string): never => {
  throw new LoadError("LOAD_ERR_VALIDATE", message, ex.origin.loc.line, ex.origin.loc.col);
};

/** The text of a list element (a nested sequence has none). */
const text = (e: ExEntry): string => (typeof e === "string" ? e : "");
/** Falco trims comps of ASCII blanks only. */
const trimComp = (c: string): string => c.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
const SINGLE_FIELD_COMPS = new Set(["in", "pmatch", "intersects"]);

/**
 * An exception of a rule being defined, or a new one appended to a rule: comps default to `=`
 * per field (`in` for one field) and must be operators; fields must exist for the source
 * (`validField` undefined when the source is unknown).
 */
export function validateException(
  ex: RawException,
  validField: FieldValidator | undefined,
  missingFields: string,
): ExceptionInfo {
  const fields = ex.fields;
  if (fields === undefined || !entryIsValid(fields)) fail(ex, missingFields);
  if (Array.isArray(fields)) {
    const comps = ex.comps !== undefined && entryIsValid(ex.comps) ? ex.comps : fields.map(() => "=");
    const items = Array.isArray(comps) ? comps : [];
    if (items.length !== fields.length) fail(ex, "Fields and comps lists must have equal length");
    const ops = items.map((c) => trimComp(text(c)));
    for (const op of ops) {
      if (!SUPPORTED_OPERATORS.has(op) && !isModifiedOperator(op))
        fail(ex, `'${op}' is not a supported comparison operator`);
    }
    const names = fields.map(text);
    if (validField) {
      for (const f of names) if (!validField(f)) fail(ex, `'${f}' is not a supported filter field`);
    }
    return { name: ex.name, fields: names, comps: ops, values: ex.values, origin: ex.origin };
  }
  const comps = ex.comps !== undefined && entryIsValid(ex.comps) ? ex.comps : "in";
  if (Array.isArray(comps)) fail(ex, "Fields and comps must both be strings");
  const op = trimComp(comps as string);
  if (!SINGLE_FIELD_COMPS.has(op) && !isModifiedOperator(op)) {
    fail(
      ex,
      "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)",
    );
  }
  if (validField && !validField(fields as string)) fail(ex, `'${fields}' is not a supported filter field`);
  return { name: ex.name, fields: fields as string, comps: op, values: ex.values, origin: ex.origin };
}

/**
 * Appends exceptions to a rule's: a known name gets the values (and may not redefine fields or
 * comps); a new one must be complete.
 */
export function appendExceptions(
  base: ExceptionInfo[],
  added: RawException[],
  validField: FieldValidator | undefined,
): ExceptionInfo[] {
  const out = base.map((e) => ({ ...e, values: [...e.values] }));
  for (const ex of added) {
    const prev = out.find((e) => e.name === ex.name);
    if (!prev) {
      if (!entryIsValid(ex.fields))
        fail(ex, "Rule exception must have fields property with a list of fields");
      if (ex.values.length === 0) fail(ex, "Rule exception must have values property with a list of values");
      out.push(validateException(ex, validField, ""));
      continue;
    }
    if (entryIsValid(ex.fields))
      fail(ex, "Can not append exception fields to existing exception, only values");
    if (entryIsValid(ex.comps)) fail(ex, "Can not append exception comps to existing exception, only values");
    prev.values.push(...ex.values);
  }
  return out;
}
