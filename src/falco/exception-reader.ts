// A rule's `exceptions:` (names, fields, comps, values), validated with Falco's messages.
import { isMap, isScalar, isSeq, type Node } from "yaml";
import type { ExceptionInfo, Problems } from "./definitions.js";
import { BINARY_OPERATORS, LIST_OPERATORS } from "./parser.js";
import { Item, scalarString } from "./yamlitem.js";

/** Reads `exceptions:`; with `base` set, appends to those exceptions (values of same-named ones). */
export function readExceptions(
  item: Item,
  base: ExceptionInfo[] | undefined,
  file: string,
  problems: Problems,
): ExceptionInfo[] {
  const node = item.node("exceptions");
  if (node === undefined || (isScalar(node) && node.value === null)) return base ?? [];
  if (!isSeq(node))
    item.fail("LOAD_ERR_YAML_VALIDATE", "Rule exceptions must be a sequence", item.keyLoc("exceptions"));
  const lc = item.lc;
  const out = base ? base.map((e) => ({ ...e, values: [...e.values] as ExceptionInfo["values"] })) : [];
  const seen = new Set<string>();
  for (const el of node.items as Node[]) {
    if (!isMap(el)) item.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception must be a mapping", item.loc(el));
    const ex: Item = new Item(el, lc);
    const exName = ex.scalarText("name", true)!;
    const origin = { file, loc: ex.loc() };
    if (seen.has(exName)) {
      problems.warn(
        "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
        `Multiple definitions of exception '${exName}' in the same rule`,
        origin,
      );
    }
    seen.add(exName);
    const fields = readStrOrList(ex, "fields");
    const comps = readStrOrList(ex, "comps");
    const existing = base ? out.find((e) => e.name === exName) : undefined;
    if (base && !ex.has("values")) {
      problems.warn("LOAD_APPEND_NO_VALUES", "Overriding/appending exception with no values", origin);
    }
    if (existing) {
      if (fields !== undefined) {
        ex.fail(
          "LOAD_ERR_YAML_VALIDATE",
          "Can not append exception fields to existing exception, only values",
        );
      }
      if (comps !== undefined) {
        ex.fail(
          "LOAD_ERR_YAML_VALIDATE",
          "Can not append exception comps to existing exception, only values",
        );
      }
      const vals = readExceptionValues(ex, existing.fields);
      (existing.values as unknown[]).push(...vals);
      continue;
    }
    if (fields === undefined) {
      if (base)
        ex.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception must have fields property with a list of fields");
      ex.fail("LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'fields'");
    }
    if (base && !ex.has("values")) {
      ex.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception must have values property with a list of values");
    }
    if (Array.isArray(fields)) {
      if (comps !== undefined && !Array.isArray(comps)) {
        ex.fail("LOAD_ERR_YAML_VALIDATE", "Fields and comps must both be strings");
      }
      if (comps !== undefined && comps.length !== fields.length) {
        ex.fail("LOAD_ERR_YAML_VALIDATE", "Fields and comps lists must have equal length");
      }
      for (const c of comps ?? []) {
        if (!BINARY_OPERATORS.has(c.trim())) {
          ex.fail("LOAD_ERR_YAML_VALIDATE", `'${c.trim()}' is not a supported comparison operator`);
        }
      }
    } else {
      if (Array.isArray(comps)) ex.fail("LOAD_ERR_YAML_VALIDATE", "Fields and comps must both be strings");
      if (comps !== undefined && !LIST_OPERATORS.has(comps.trim())) {
        ex.fail(
          "LOAD_ERR_YAML_VALIDATE",
          `When fields is a single value, comps must be one of (in, pmatch, intersects), but it is ${comps}`,
        );
      }
    }
    const values = readExceptionValues(ex, fields);
    out.push({ name: exName, fields, comps, values, origin });
  }
  return out;
}

function readStrOrList(ex: Item, key: string): string | string[] | undefined {
  const n = ex.node(key);
  if (!ex.has(key) || n === undefined) return undefined;
  if (isSeq(n)) return n.items.map((x) => scalarString(x as Node));
  if (isScalar(n)) return scalarString(n);
  ex.fail("LOAD_ERR_YAML_VALIDATE", `Value of ${key} must be a string or a sequence`);
}

function readExceptionValues(ex: Item, fields: string | string[] | undefined): ExceptionInfo["values"] {
  const n = ex.node("values");
  if (!ex.has("values") || n === undefined || (isScalar(n) && n.value === null)) return [];
  if (!isSeq(n)) ex.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception values must be a sequence");
  if (!Array.isArray(fields)) {
    return n.items.map((v): string => {
      if (!isScalar(v))
        ex.fail("LOAD_ERR_YAML_VALIDATE", "Expected values array to contain a list of strings");
      return scalarString(v);
    });
  }
  return n.items.map((tuple) => {
    if (!isSeq(tuple)) ex.fail("LOAD_ERR_YAML_VALIDATE", "Expected values array to contain a list of lists");
    if (tuple.items.length !== fields.length) {
      ex.fail("LOAD_ERR_YAML_VALIDATE", "Fields and values lists must have equal length");
    }
    return tuple.items.map((v) =>
      isSeq(v) ? v.items.map((x) => scalarString(x as Node)) : scalarString(v as Node),
    );
  });
}
