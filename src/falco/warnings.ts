// Condition checks that only warn: comparing ka.*/jevt.* fields with <NA>, and the deprecated evt.dir.
import { type Expr, innerField, type Lhs, walk } from "./ast.js";

export interface ConditionWarning {
  code: "LOAD_UNSAFE_NA_CHECK" | "LOAD_DEPRECATED_ITEM";
  message: string;
}

const NA_OPS = new Set(["=", "==", "!=", "in", "intersects", "pmatch"]);

function lhsField(l: Lhs): string {
  return innerField(l)?.name ?? "";
}

export function conditionWarnings(ast: Expr): ConditionWarning[] {
  const out: ConditionWarning[] = [];
  let unsafeNa = false;
  let deprecated = false;
  walk(ast, (n) => {
    if (n.kind === "field" && n.name === "evt.dir") deprecated = true;
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
  if (deprecated) {
    out.push({
      code: "LOAD_DEPRECATED_ITEM",
      message: "usage of deprecated field 'evt.dir' has been detected in the rule condition",
    });
  }
  return out;
}
