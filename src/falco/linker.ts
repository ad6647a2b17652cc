// Links what the reader collected into runnable rules: expands nested lists, substitutes lists
// into conditions, expands macros (a macro sees only macros defined before it), adds exception
// conditions, then compiles each rule's condition and output against its source's fields.
import type { Expr } from "./ast.js";
import { FalcoCompileError } from "./compile-error.js";
import { compileFilter, type Predicate } from "./compiler.js";
import {
  type ExceptionInfo,
  type LoadedRule,
  type Origin,
  type Problems,
  quoteItem,
  type RuleInfo,
  type RuleItems,
  substituteList,
} from "./definitions.js";
import { EvttypeSearchError, matchesTooManyEvttypes, unknownEvttypes } from "./evttypes.js";
import { fieldTableFor, SYSCALL_SOURCE } from "./fields/index.js";
import { type CompiledOutput, compileOutput } from "./output.js";
import {
  CURRENT_LANGUAGE,
  FalcoSyntaxError,
  isModifiedOperator,
  type Language,
  LIST_OPERATORS,
  parseCondition,
} from "./parser.js";
import { conditionWarnings, outputWarnings } from "./warnings.js";
import { LoadError, type Loc } from "./yamlitem.js";

/** A problem found while building a rule's exception condition (LOAD_ERR_VALIDATE, at the exception). */
export class ExceptionConditionError extends Error {
  constructor(
    message: string,
    readonly origin: Origin,
  ) {
    super(message);
    this.name = "ExceptionConditionError";
  }
}

/**
 * The text Falco adds to a rule condition for one exception (after " and not "), spacing
 * included: a single field gives `(field comp (v1, v2))`; a list of fields gives one
 * `( f1 c1 v1 and  f2 c2 v2)` per values tuple joined by " or ". A scalar compared with a list
 * operator is parenthesised, any other scalar quoted. Undefined when the exception has no values.
 */
export function buildExceptionCondition(ex: ExceptionInfo): string | undefined {
  if (ex.values.length === 0) return undefined;
  if (!Array.isArray(ex.fields)) {
    const vals = ex.values.map((v) => {
      if (Array.isArray(v))
        throw new ExceptionConditionError("Expected values array to contain a list of strings", ex.origin);
      return quoteItem(v);
    });
    return `(${ex.fields} ${ex.comps} (${vals.join(", ")}))`;
  }
  const fields = ex.fields;
  const comps = ex.comps as string[];
  const tuples = ex.values.map((tuple) => {
    const items = Array.isArray(tuple) ? tuple : [];
    if (items.length !== fields.length)
      throw new ExceptionConditionError("Fields and values lists must have equal length", ex.origin);
    const terms = fields.map((f, k) => {
      const comp = comps[k]!;
      const v = items[k]!;
      let text: string;
      if (Array.isArray(v))
        text = "(" + v.map((x) => quoteItem(typeof x === "string" ? x : "")).join(", ") + ")";
      else if (LIST_OPERATORS.has(comp) || isModifiedOperator(comp)) text = v.startsWith("(") ? v : `(${v})`;
      else text = quoteItem(v);
      return ` ${f} ${comp} ${text}`;
    });
    return "(" + terms.join(" and ") + ")";
  });
  return "(" + tuples.join(" or ") + ")";
}

/**
 * Compiles the rules in definition order. Stops at the first error; the rules compiled until
 * then are returned. `sources`: the event sources rules may be compiled for.
 */
export function linkRules(
  items: RuleItems,
  sources: Set<string>,
  problems: Problems,
  language: Language = CURRENT_LANGUAGE,
): LoadedRule[] {
  const linker = new Linker(items, sources, problems, language);
  linker.linkAll();
  return linker.compiled;
}

class Linker {
  readonly compiled: LoadedRule[] = [];

  constructor(
    private readonly items: RuleItems,
    private readonly sources: Set<string>,
    private readonly problems: Problems,
    private readonly language: Language,
  ) {}

  linkAll(): void {
    // each link starts afresh (Falco compiles everything read so far once per rules file)
    for (const li of this.items.lists.values()) li.used = false;
    for (const m of this.items.macros.values()) m.used = false;
    // lists: nested list expansion
    const expanded = new Map<string, string[]>();
    const listsByOrdinal = [...this.items.lists.values()].sort((a, b) => a.ordinal - b.ordinal);
    for (const li of listsByOrdinal) {
      const items: string[] = [];
      for (const it of li.items) {
        const ref = this.items.lists.get(it);
        if (ref && ref !== li && ref.ordinal < li.lastOrdinal && expanded.has(it)) {
          ref.used = true;
          items.push(...expanded.get(it)!);
        } else items.push(quoteItem(it));
      }
      expanded.set(li.name, items);
    }
    const substitute = (cond: string): string => {
      for (const li of listsByOrdinal) {
        if (!cond.includes(li.name)) continue;
        const [next, used] = substituteList(cond, li.name, expanded.get(li.name)!);
        if (used) {
          li.used = true;
          cond = next;
        }
      }
      return cond;
    };

    // macros: parse after list substitution
    const macrosByOrdinal = [...this.items.macros.values()].sort((a, b) => a.ordinal - b.ordinal);
    for (const m of macrosByOrdinal) {
      const text = substitute(m.condition);
      try {
        m.ast = parseCondition(text, { language: this.language });
      } catch (e) {
        if (e instanceof FalcoSyntaxError) {
          this.problems.error(
            "LOAD_ERR_COMPILE_CONDITION",
            e.message,
            exactPosition(m.origin, m.condStart, m.condition, e.pos.idx, text === m.condition),
          );
          return;
        }
        throw e;
      }
    }
    for (const m of macrosByOrdinal) {
      try {
        this.expandMacros(m.ast!, m.lastOrdinal, [m.name]);
      } catch (e) {
        if (e instanceof LoadError) {
          this.problems.error(e.code, e.message, m.itemOrigin);
          return;
        }
        throw e;
      }
    }

    // rules
    const rulesByOrdinal = [...this.items.rules.values()].sort((a, b) => a.ordinal - b.ordinal);
    for (const r of rulesByOrdinal) {
      this.compileRule(r, substitute);
      if (this.problems.hasErrors()) return;
    }

    // macros first, as Falco reports them
    for (const m of macrosByOrdinal) {
      if (!m.used)
        this.problems.warn(
          "LOAD_UNUSED_MACRO",
          "Macro not referred to by any other rule/macro",
          m.itemOrigin,
        );
    }
    for (const li of listsByOrdinal) {
      if (!li.used)
        this.problems.warn("LOAD_UNUSED_LIST", "List not referred to by any other rule/macro", li.origin);
    }
  }

  /** Replaces macro references by (expanded copies of) their ASTs. `visible`: macros first defined before this ordinal. */
  private expandMacros(e: Expr, visible: number, stack: string[]): Expr {
    switch (e.kind) {
      case "and":
      case "or":
        return { ...e, children: e.children.map((c) => this.expandMacros(c, visible, stack)) };
      case "not":
        return { ...e, child: this.expandMacros(e.child, visible, stack) };
      case "identifier": {
        const m = this.items.macros.get(e.name);
        if (!m || m.ordinal >= visible) {
          throw new LoadError("LOAD_ERR_VALIDATE", `Undefined macro '${e.name}' used in filter.`, 0, 0);
        }
        if (stack.includes(e.name)) {
          throw new LoadError("LOAD_ERR_VALIDATE", `reference loop in macro '${e.name}'`, 0, 0);
        }
        m.used = true;
        return this.expandMacros(m.ast!, m.lastOrdinal, [...stack, e.name]);
      }
      default:
        return e;
    }
  }

  private compileRule(r: RuleInfo, substitute: (c: string) => string): void {
    // a rule of an unknown source was warned about when read, and is never compiled
    if (!this.sources.has(r.source)) return;
    const table = fieldTableFor(r.source);
    // Falco parenthesises the condition only when the rule has exceptions
    const wrapped = r.exceptions.length > 0;
    let cond = wrapped ? "(" + r.condition + ")" : r.condition;
    for (const ex of r.exceptions) {
      let part: string | undefined;
      try {
        part = buildExceptionCondition(ex);
      } catch (e) {
        if (e instanceof ExceptionConditionError) {
          this.problems.error("LOAD_ERR_VALIDATE", e.message, e.origin);
          return;
        }
        throw e;
      }
      if (part) cond += " and not " + part;
    }
    // Falco validates the output before it parses the condition
    let output: CompiledOutput;
    try {
      output = compileOutput(r.output, table, this.language);
    } catch (e) {
      if (e instanceof FalcoCompileError) {
        if (r.skipIfUnknownFilter && isUnknownTypeOrField(e.message)) {
          this.problems.warn("LOAD_UNKNOWN_FILTER", e.message, r.origin);
          return;
        }
        this.problems.error("LOAD_ERR_COMPILE_OUTPUT", e.message, r.origin);
        return;
      }
      throw e;
    }
    for (const w of outputWarnings(r.output)) this.problems.warn(w.code, w.message, r.origin);
    const finalCond = substitute(cond);
    let ast: Expr;
    try {
      ast = parseCondition(finalCond, { language: this.language });
    } catch (e) {
      if (e instanceof FalcoSyntaxError) {
        this.problems.error(
          "LOAD_ERR_COMPILE_CONDITION",
          e.message,
          exactPosition(
            r.condOrigin,
            r.condStart,
            r.condition,
            e.pos.idx - (wrapped ? 1 : 0),
            cond === finalCond,
          ),
        );
        return;
      }
      throw e;
    }
    try {
      ast = this.expandMacros(ast, Number.POSITIVE_INFINITY, []);
    } catch (e) {
      if (e instanceof LoadError) {
        this.problems.error(e.code, e.message, r.condOrigin);
        return;
      }
      throw e;
    }
    // the <NA> and deprecated-field checks run on the condition before it is compiled
    for (const w of conditionWarnings(ast)) this.problems.warn(w.code, w.message, r.condOrigin);
    if (r.source === SYSCALL_SOURCE) {
      // An unknown event name never matches: Falco warns and still loads the rule, or skips the
      // rule with skip-if-unknown-filter. A warning also keeps a rule naming an event this list
      // lacks working as before.
      const bad = unknownEvttypes(ast);
      if (bad.length) {
        const msg = `unknown event type '${bad[0]}'`;
        if (r.skipIfUnknownFilter) {
          this.problems.warn("LOAD_UNKNOWN_FILTER", msg, r.condOrigin);
          return;
        }
        this.problems.warn("LOAD_COMPILE_CONDITION", msg, r.condOrigin);
      }
    }
    let evaluate: Predicate;
    try {
      const compiled = compileFilter(ast, table);
      evaluate = compiled.evaluate;
      for (const w of compiled.warnings) this.problems.warn("LOAD_COMPILE_CONDITION", w, r.condOrigin);
    } catch (e) {
      if (e instanceof FalcoCompileError) {
        if (r.skipIfUnknownFilter && isUnknownTypeOrField(e.message)) {
          this.problems.warn("LOAD_UNKNOWN_FILTER", e.message, r.condOrigin);
          return;
        }
        this.problems.error("LOAD_ERR_COMPILE_CONDITION", e.message, r.condOrigin);
        return;
      }
      throw e;
    }
    if (r.source === SYSCALL_SOURCE) {
      let tooMany: boolean;
      try {
        tooMany = matchesTooManyEvttypes(ast);
      } catch (e) {
        // libsinsp's event-code search refuses evt.type compared with a field or transformed
        if (e instanceof EvttypeSearchError) {
          this.problems.error("LOAD_ERR_COMPILE_CONDITION", e.message, r.condOrigin);
          return;
        }
        throw e;
      }
      if (tooMany && r.warnEvttypes) {
        this.problems.warn(
          "LOAD_NO_EVTTYPE",
          "Rule matches too many evt.type values. This has a significant performance penalty.",
          r.origin,
        );
      }
    }
    this.compiled.push({
      name: r.name,
      desc: r.desc,
      source: r.source,
      priority: r.priority,
      tags: [...r.tags].sort(),
      enabled: r.enabled,
      condition: finalCond,
      ast,
      evaluate,
      output,
      ordinal: r.ordinal,
    });
  }
}

/**
 * Position of an offset in a condition: exact when the condition is a one-line scalar and no
 * list was substituted into it, else the condition's own position.
 */
function exactPosition(
  origin: Origin,
  start: Loc | undefined,
  condition: string,
  offset: number,
  unchanged: boolean,
): Origin {
  if (start && unchanged && offset >= 0 && offset <= condition.length) {
    return { file: origin.file, loc: { line: start.line, col: start.col + offset } };
  }
  return origin;
}

/** The errors skip-if-unknown-filter turns into a LOAD_UNKNOWN_FILTER warning (Falco's test). */
function isUnknownTypeOrField(message: string): boolean {
  return (
    message.includes("nonexistent field") ||
    message.includes("invalid formatting token") ||
    message.includes("unknown filter:") ||
    message.includes("unknown event type")
  );
}
