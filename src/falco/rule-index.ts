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

/** At most this many value combinations keep their candidate list, of values this long at most: hostile input cannot grow it further. */
const MAX_CACHED = 4096;
const MAX_KEY = 256;

type Level<R> = Map<string | undefined, Level<R> | R[]>;

export class RuleIndex<R> {
  private readonly reqs: Requirements[];
  /** candidate lists by the values of the fields, one map level per field */
  private readonly cache: Level<R> = new Map();
  private cached = 0;

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
    let level = this.cache;
    const last = values.length - 1;
    for (let k = 0; k < last; k++) {
      const next = level.get(values[k]) as Level<R> | undefined;
      if (next === undefined) return this.computeAndCache(values);
      level = next;
    }
    return (level.get(values[last]) as R[] | undefined) ?? this.computeAndCache(values);
  }

  private computeAndCache(values: (string | undefined)[]): R[] {
    const out = this.compute(values);
    if (this.cached >= MAX_CACHED || values.some((v) => v !== undefined && v.length > MAX_KEY)) return out;
    let level = this.cache;
    const last = values.length - 1;
    for (let k = 0; k < last; k++) {
      let next = level.get(values[k]) as Level<R> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(values[k], next);
      }
      level = next;
    }
    level.set(values[last], out);
    this.cached++;
    return out;
  }

  private compute(values: (string | undefined)[]): R[] {
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
    return out;
  }
}
