// Estimates how many syscall event types a condition can match, for LOAD_NO_EVTTYPE (over 100 warns).
import type { Expr } from "./ast.js";
import { EVENT_TYPE_NAMES } from "./fields/event-table.js";

/** Async events of the container plugin (its ASYNC_EVENT_NAMES). */
const CONTAINER_PLUGIN_ASYNC_EVENTS = ["container", "container_removed"];

/** Size of the event-type universe (libsinsp knows a few hundred syscall/event names). */
const ALL = 400;

/** A set of event types, or its complement (`neg`). */
interface TypeSet {
  neg: boolean;
  names: Set<string>;
}

const any = (): TypeSet => ({ neg: true, names: new Set() });

function size(s: TypeSet): number {
  return s.neg ? ALL - s.names.size : s.names.size;
}

function intersect(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.neg && !b.neg) return { neg: false, names: new Set([...a.names].filter((x) => b.names.has(x))) };
  if (a.neg && b.neg) return { neg: true, names: new Set([...a.names, ...b.names]) };
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return { neg: false, names: new Set([...pos.names].filter((x) => !neg.names.has(x))) };
}

function union(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.neg && !b.neg) return { neg: false, names: new Set([...a.names, ...b.names]) };
  if (a.neg && b.neg) return { neg: true, names: new Set([...a.names].filter((x) => b.names.has(x))) };
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return { neg: true, names: new Set([...neg.names].filter((x) => !pos.names.has(x))) };
}

function types(e: Expr, negated: boolean): TypeSet {
  switch (e.kind) {
    case "and":
    case "or": {
      // De Morgan: under negation and/or swap
      const useAnd = (e.kind === "and") !== negated;
      const parts = e.children.map((c) => types(c, negated));
      return parts.reduce((acc, p) => (useAnd ? intersect(acc, p) : union(acc, p)));
    }
    case "not":
      return types(e.child, !negated);
    case "binary": {
      if (e.left.kind !== "field" || e.left.name !== "evt.type") return any();
      let names: string[] | undefined;
      let op = e.op;
      if ((op === "=" || op === "==" || op === "!=") && e.right.kind === "value") names = [e.right.value];
      else if ((op === "in" || op === "intersects") && e.right.kind === "list") names = e.right.values;
      if (!names) return any();
      if (op === "!=") op = "=";
      const positive = e.op !== "!=";
      const set = new Set(names);
      return positive !== negated ? { neg: false, names: set } : { neg: true, names: set };
    }
    default:
      return any();
  }
}

export function evttypeCount(e: Expr): number {
  return size(types(e, false));
}

/**
 * The evt.type values libsinsp accepts: event-table and syscall names, plus the async events of the
 * container plugin Falco loads by default. Anything else is an unknown filter.
 */
const KNOWN: ReadonlySet<string> = new Set([...EVENT_TYPE_NAMES, ...CONTAINER_PLUGIN_ASYNC_EVENTS]);

export function isKnownEvttype(name: string): boolean {
  return KNOWN.has(name);
}

const EQ_OPS = new Set(["=", "==", "!=", "in", "intersects"]);

/** The evt.type values in a condition that name no known event, in order of appearance. */
export function unknownEvttypes(e: Expr): string[] {
  const out: string[] = [];
  const visit = (n: Expr): void => {
    if (n.kind === "and" || n.kind === "or") n.children.forEach(visit);
    else if (n.kind === "not") visit(n.child);
    else if (
      n.kind === "binary" &&
      n.left.kind === "field" &&
      n.left.name === "evt.type" &&
      EQ_OPS.has(n.op)
    ) {
      const vals = n.right.kind === "value" ? [n.right.value] : n.right.kind === "list" ? n.right.values : [];
      for (const v of vals) if (!KNOWN.has(v) && !out.includes(v)) out.push(v);
    }
  };
  visit(e);
  return out;
}
