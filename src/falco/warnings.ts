// Checks that only warn, as Falco's rule compiler makes them: comparing ka.*/jevt.* fields with
// <NA>, and the deprecated fields (evt.dir, the evt.latency family, evt.wait_latency) in a
// condition or an output.
import { type Expr, innerField, type Lhs, walk } from "./ast.js";

export interface ConditionWarning {
  code: "LOAD_UNSAFE_NA_CHECK" | "LOAD_DEPRECATED_ITEM";
  message: string;
}

/** Falco's deprecated fields, in its order (the order its warnings come in). */
export const DEPRECATED_FIELDS = [
  "evt.dir",
  "evt.latency",
  "evt.latency.s",
  "evt.latency.ns",
  "evt.latency.human",
  "evt.wait_latency",
] as const;

/** What Falco says about a deprecated field used in a condition: the field's description. */
export const EVT_DIR_DESCRIPTION =
  "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'";
export const LATENCY_DESCRIPTION = "field is not available due to the drop of enter events.";

export function deprecatedFieldDescription(field: string): string {
  return field === "evt.dir" ? EVT_DIR_DESCRIPTION : LATENCY_DESCRIPTION;
}

/** Falco's text for a deprecated field found in an output. */
export function deprecatedInOutputText(field: string): string {
  return `usage of deprecated field '${field}' has been detected in the rule output`;
}

const NA_OPS = new Set(["=", "==", "!=", "in", "intersects", "pmatch"]);

function lhsField(l: Lhs): string {
  return innerField(l)?.name ?? "";
}

/** The condition's warnings: <NA> first, then one per deprecated field used, in Falco's order. */
export function conditionWarnings(ast: Expr): ConditionWarning[] {
  const out: ConditionWarning[] = [];
  let unsafeNa = false;
  const deprecated = new Set<string>();
  walk(ast, (n) => {
    // Falco's visitor looks at the fields of left-hand sides only (not at val() on the right)
    if (n.kind === "binary" || n.kind === "unary") {
      walk(n.left, (m) => {
        if (m.kind === "field" && (DEPRECATED_FIELDS as readonly string[]).includes(m.name))
          deprecated.add(m.name);
      });
    }
    if (n.kind !== "binary" || !NA_OPS.has(n.op)) return;
    const f = lhsField(n.left);
    if (!f.startsWith("ka.") && !f.startsWith("jevt.")) return;
    const r = n.right;
    if ((r.kind === "value" && r.value === "<NA>") || (r.kind === "list" && r.values.includes("<NA>"))) {
      unsafeNa = true;
    }
  });
  if (unsafeNa) {
    out.push({
      code: "LOAD_UNSAFE_NA_CHECK",
      message:
        "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.",
    });
  }
  for (const f of DEPRECATED_FIELDS) {
    if (deprecated.has(f)) out.push({ code: "LOAD_DEPRECATED_ITEM", message: deprecatedFieldDescription(f) });
  }
  return out;
}

/**
 * Falco searches the output text for each deprecated field's name (anywhere, `%` or not), so
 * `%evt.latency.human` warns about evt.latency and evt.latency.human.
 */
export function outputWarnings(output: string): ConditionWarning[] {
  return DEPRECATED_FIELDS.filter((f) => output.includes(f)).map((f) => ({
    code: "LOAD_DEPRECATED_ITEM",
    message: deprecatedInOutputText(f),
  }));
}
