// The event codes a syscall condition can match, computed as libsinsp's event-code search does
// (Falco's LOAD_NO_EVTTYPE), and the evt.type values libsinsp knows.
import type { Expr, Rhs, TransformerArg } from "./ast.js";
import { EVENT_CODE_NAMES, EVENT_TABLE_NAMES, EVENT_TYPE_NAMES } from "./fields/event-table.js";

/** Async events of the container plugin (its ASYNC_EVENT_NAMES). */
const CONTAINER_PLUGIN_ASYNC_EVENTS = ["container", "container_removed"];

const EVENT_MAX = EVENT_CODE_NAMES.length;
/** Event codes 0/1: the generic syscall events that carry every syscall without an event of its own. */
const GENERIC_CODES = [0, 1];
/** PPME_ASYNCEVENT_E: plugins' async events (the container plugin's) are delivered as this code. */
const ASYNCEVENT_E = EVENT_CODE_NAMES.indexOf("asyncevent");
const TABLE_NAMES: ReadonlySet<string> = new Set(EVENT_TABLE_NAMES);
const CODES_BY_NAME = new Map<string, number[]>();
// libsinsp's lookup starts at code 2: "syscall" (the generic events) is not found by name
for (let code = 2; code < EVENT_MAX; code++) {
  const name = EVENT_CODE_NAMES[code]!;
  const codes = CODES_BY_NAME.get(name);
  if (codes) codes.push(code);
  else CODES_BY_NAME.set(name, [code]);
}

type Codes = Set<number>;
const allCodes = (): Codes => new Set(Array.from({ length: EVENT_MAX }, (_, i) => i));
const diff = (a: Codes, b: Codes): Codes => new Set([...a].filter((x) => !b.has(x)));

/**
 * libsinsp's names_to_event_set: event-table names give all their codes (enter, exit, every
 * version); the container plugin's async event names give PPME_ASYNCEVENT_E; any other syscall
 * name gives the two generic codes.
 */
function namesToCodes(names: readonly string[]): Codes {
  const out: Codes = new Set();
  let remaining = false;
  for (const n of new Set(names)) {
    const codes = CODES_BY_NAME.get(n);
    if (codes) for (const c of codes) out.add(c);
    else if (CONTAINER_PLUGIN_ASYNC_EVENTS.includes(n)) out.add(ASYNCEVENT_E);
    else if (KNOWN.has(n) && !TABLE_NAMES.has(n)) remaining = true;
  }
  if (remaining) for (const c of GENERIC_CODES) out.add(c);
  return out;
}

const UINT64_MAX = (1n << 64n) - 1n;
/** sscanf("%lu"): optional sign, digits, nothing after; negatives wrap, overflow saturates. */
function parseU64(s: string): bigint | undefined {
  const m = /^\s*([+-]?)(\d+)$/.exec(s);
  if (!m) return undefined;
  let n = BigInt(m[2]!);
  if (n > UINT64_MAX) n = UINT64_MAX;
  return m[1] === "-" && n !== 0n ? (1n << 64n) - n : n;
}

/**
 * What libsinsp statically knows about a check on evt.num (every event's number is at least 1):
 * "empty" when it can never be true, "all" when always true, else undefined.
 */
function evtNumInvariant(e: Extract<Expr, { kind: "binary" }>): "empty" | "all" | undefined {
  if (e.left.kind !== "field" || e.left.name !== "evt.num" || e.left.arg !== undefined) return undefined;
  if (e.op === "in") {
    if (e.right.kind !== "list") return undefined;
    for (const v of e.right.values) if (parseU64(v) !== 0n) return undefined;
    return "empty";
  }
  if (e.right.kind !== "value") return undefined;
  const n = parseU64(e.right.value);
  if (n === undefined) return undefined;
  switch (e.op) {
    case "=":
    case "==":
      return n === 0n ? "empty" : undefined;
    case "!=":
      return n === 0n ? "all" : undefined;
    case "<":
      return n <= 1n ? "empty" : undefined;
    case "<=":
      return n === 0n ? "empty" : undefined;
    case ">":
      return n === 0n ? "all" : undefined;
    case ">=":
      return n <= 1n ? "all" : undefined;
    default:
      return undefined;
  }
}

const EVTTYPE_OPS = new Set(["==", "=", "!=", "in"]);

/** An error of libsinsp's event-code search (a condition it cannot analyse). */
export class EvttypeSearchError extends Error {
  override name = "EvttypeSearchError";
}

/**
 * libsinsp's ppm_event_codes visitor: and/or intersect/unite their children's codes, negation is
 * pushed down to the leaves (De Morgan), evt.type checks give their events' codes, evt.num checks
 * with a known outcome give none or all, and every other check gives all codes.
 */
class CodeSearch {
  isEvttypeField = false;
  isFieldOrTransformer = true;
  negated = false;
  hasCodes = false;
  codes: Codes = new Set();

  private inversion(c: Codes): Codes {
    return this.hasCodes ? diff(allCodes(), c) : c;
  }
  private tryInversion(c: Codes): Codes {
    return this.negated ? this.inversion(c) : c;
  }

  expr(e: Expr): void {
    switch (e.kind) {
      case "and":
      case "or": {
        const intersect = (e.kind === "and") !== this.negated;
        let acc: Codes = intersect ? allCodes() : new Set();
        for (const c of e.children) {
          this.expr(c);
          acc = intersect
            ? new Set([...acc].filter((x) => this.codes.has(x)))
            : new Set([...acc, ...this.codes]);
        }
        this.codes = acc;
        this.isEvttypeField = false;
        return;
      }
      case "not": {
        this.codes = new Set();
        const was = this.negated;
        this.negated = !was;
        this.expr(e.child);
        this.negated = was;
        this.isEvttypeField = false;
        return;
      }
      case "identifier":
        this.hasCodes = false;
        this.codes = this.tryInversion(allCodes());
        this.isEvttypeField = false;
        return;
      case "unary":
        this.operand(e.left);
        this.hasCodes = this.isEvttypeField && e.op === "exists";
        this.isEvttypeField = false;
        this.codes = this.tryInversion(allCodes());
        return;
      case "binary": {
        this.hasCodes = false;
        const known = evtNumInvariant(e);
        if (known !== undefined) {
          this.hasCodes = true;
          this.isEvttypeField = false;
          this.codes = this.tryInversion(known === "empty" ? new Set() : allCodes());
          return;
        }
        if (EVTTYPE_OPS.has(e.op)) {
          this.operand(e.left);
          if (this.isEvttypeField) {
            this.isFieldOrTransformer = false;
            this.rhs(e.right);
            if (this.isFieldOrTransformer) {
              throw new EvttypeSearchError(
                "right-hand field comparisons on `evt.type`/`syscall.type` checks are not supported by event code search",
              );
            }
            if (e.op === "!=") this.codes = this.inversion(this.codes);
            this.isEvttypeField = false;
            return;
          }
        }
        this.codes = this.tryInversion(allCodes());
        this.isEvttypeField = false;
        return;
      }
    }
  }

  private rhs(r: Rhs): void {
    if (r.kind === "value" || r.kind === "list" || r.kind === "identifier") {
      const names = r.kind === "value" ? [r.value] : r.kind === "list" ? r.values : [r.name];
      this.hasCodes = true;
      this.codes = this.tryInversion(namesToCodes(names));
      this.isEvttypeField = false;
      return;
    }
    this.operand(r);
  }

  private operand(a: TransformerArg | Rhs): void {
    switch (a.kind) {
      case "field":
        this.hasCodes = false;
        this.isFieldOrTransformer = true;
        this.isEvttypeField = (a.name === "evt.type" || a.name === "syscall.type") && a.arg === undefined;
        this.codes = this.tryInversion(allCodes());
        return;
      case "transformer":
        for (const c of a.args) {
          this.operand(c);
          if (this.isEvttypeField)
            throw new EvttypeSearchError(
              "event code search does not support `evt.type` checks with transformers",
            );
        }
        this.isFieldOrTransformer = true;
        return;
      case "transformer_list":
        for (const c of a.items) this.operand(c);
        return;
      default:
        this.rhs(a);
    }
  }
}

/** The event codes (0…453) a macro-free syscall condition can match, as libsinsp computes them. */
export function evttypeCodes(e: Expr): Set<number> {
  const s = new CodeSearch();
  s.expr(e);
  return s.codes;
}

/**
 * Falco's LOAD_NO_EVTTYPE test: more than 100 event codes "matches too many evt.type values". An
 * empty set is a condition that can never match (the `evt.num = 0` placeholder idiom) and does not
 * warn (Falco up to 0.44 warned on it too; current Falco and libsinsp, whose evt.num reasoning this
 * uses, do not).
 */
export function matchesTooManyEvttypes(e: Expr): boolean {
  return evttypeCodes(e).size > 100;
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
