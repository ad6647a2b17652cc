// Rules indexed by the values their conditions require of a few fields (ka.verb,
// ka.target.resource), as Falco indexes syscall rules by event type: an event is tested only
// against the rules that can match its values. A rule whose condition does not pin a field is
// a candidate for any value of it.
import type { Expr } from "./ast.js";

/** field → the values a matching event must have (a field absent from the map: any value). */
export type Requirements = Map<string, Set<string>>;

function intersect(a: Set<string>, b: Set<string>): Set<string> {
  return new Set([...a].filter((x) => b.has(x)));
}

/**
 * What a condition requires of `fields`, read from its conjunctions: `f = v`, `f in (…)`, and an
 * `or` whose every branch pins the same field. Anything else (negations included) pins nothing,
 * so the index never drops a rule that could match.
 */
export function requirements(e: Expr, fields: ReadonlySet<string>): Requirements {
  switch (e.kind) {
    case "and": {
      const out: Requirements = new Map();
      for (const c of e.children) {
        for (const [f, s] of requirements(c, fields)) {
          const cur = out.get(f);
          out.set(f, cur ? intersect(cur, s) : s);
        }
      }
      return out;
    }
    case "or": {
      const parts = e.children.map((c) => requirements(c, fields));
      const out: Requirements = new Map();
      for (const [f, s] of parts[0] ?? []) {
        if (!parts.every((p) => p.has(f))) continue;
        const all = new Set(s);
        for (const p of parts) for (const v of p.get(f)!) all.add(v);
        out.set(f, all);
      }
      return out;
    }
    case "binary": {
      const l = e.left;
      if (l.kind !== "field" || l.arg !== undefined || !fields.has(l.name)) return new Map();
      const r = e.right;
      if ((e.op === "=" || e.op === "==") && r.kind === "value")
        return new Map([[l.name, new Set([r.value])]]);
      if ((e.op === "=" || e.op === "==") && r.kind === "identifier")
        return new Map([[l.name, new Set([r.name])]]);
      if (e.op === "in" && r.kind === "list") return new Map([[l.name, new Set(r.values)]]);
      return new Map();
    }
    default:
      return new Map();
  }
}

/** At most this many distinct value combinations keep their candidate list (hostile input cannot grow it further). */
const MAX_CACHED = 4096;
const MAX_KEY = 256;

export class RuleIndex<R> {
  private readonly reqs: Requirements[];
  private readonly cache = new Map<string, R[]>();

  /** `rules` in evaluation order, each with its condition AST (undefined: always a candidate). */
  constructor(
    private readonly rules: R[],
    asts: (Expr | undefined)[],
    private readonly fields: readonly string[],
  ) {
    const set = new Set(fields);
    this.reqs = asts.map((a) => (a ? requirements(a, set) : new Map()));
  }

  /** The rules that can match an event whose values of the indexed fields are `values` (undefined: missing). */
  candidates(values: (string | undefined)[]): R[] {
    // length-prefixed, so no two value lists share a key; "-" marks a missing value
    let key = "";
    for (const v of values) key += v === undefined ? "-" : `${v.length}:${v}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const out: R[] = [];
    for (let i = 0; i < this.rules.length; i++) {
      const req = this.reqs[i]!;
      let ok = true;
      for (let k = 0; k < this.fields.length && ok; k++) {
        const allowed = req.get(this.fields[k]!);
        if (allowed === undefined) continue;
        const v = values[k];
        ok = v !== undefined && allowed.has(v);
      }
      if (ok) out.push(this.rules[i]!);
    }
    if (this.cache.size < MAX_CACHED && key.length <= MAX_KEY) this.cache.set(key, out);
    return out;
  }
}
