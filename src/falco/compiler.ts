// Compiles a (macro-free) condition AST into closures, type-checking it against a field table
// with Falco's error texts. A missing left-hand value makes every comparison false.
import type {
  BinaryCheckExpr,
  Expr,
  FieldExpr,
  TransformerArg,
  TransformerExpr,
  TransformerListExpr,
} from "./ast.js";
import { notComparable, paramTypeName, paramTypeOf } from "./comparable.js";
import { comparator, scalarKey } from "./comparators.js";
import { FalcoCompileError } from "./compile-error.js";
import type {
  Extracted,
  FalcoEventCtx,
  FieldDef,
  FieldTable,
  FieldType,
  ParamType,
  Scalar,
} from "./fields/types.js";
import { asciiLower, asciiUpper } from "./operators.js";
import { LIST_OPERATORS, MULTIVALUE_TRANSFORMERS, TRANSFORMERS } from "./parser.js";
import { getopt, type OptString, parseOptString } from "./transformers.js";

export type Predicate = (ev: FalcoEventCtx) => boolean;

export interface CompiledFilter {
  evaluate: Predicate;
  warnings: string[];
  /** every field name used (without arguments) */
  fields: Set<string>;
}

interface CompiledLhs {
  get: (ev: FalcoEventCtx) => Extracted;
  /** type of the value after transformers */
  type: FieldType;
  /** libsinsp's parameter type of the value after transformers (what operators are checked against) */
  ptype: ParamType;
  isList: boolean;
  multi: boolean;
  /**
   * Type of what is read before single-value transformers apply: what multivalue transformers
   * check their arguments against (libsinsp checks the untransformed field).
   */
  argType: { type: FieldType; isList: boolean };
  /** name in error texts: the field read, "NA" for a literal or a multivalue transformer's result */
  name: string;
  def: FieldDef | undefined;
  transformed: boolean;
}

const MULTIVALUE: ReadonlySet<string> = new Set(MULTIVALUE_TRANSFORMERS);
const VALUE_TRANSFORMER_NAMES: ReadonlySet<string> = new Set([...TRANSFORMERS, ...MULTIVALUE_TRANSFORMERS]);

/** The string types libsinsp's text transformers accept. */
const STRING_PTYPES: ReadonlySet<ParamType> = new Set<ParamType>(["CHARBUF", "FSPATH", "FSRELPATH"]);
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * libsinsp's check of a plugin field's index argument (extract_arg_index): Falco's text when it is
 * not a plain decimal number that fits in 64 bits, else undefined.
 */
export function indexArgError(full: string, name: string, arg: string): string | undefined {
  let why: string | undefined;
  if (arg.length === 0 || (arg.length > 1 && arg[0] === "0")) why = "starting with 0";
  if (!/^[0-9]*$/.test(arg)) why = "not composed only by digits";
  if (why === undefined) {
    if (BigInt(arg) <= UINT64_MAX) return undefined;
    why = "not representable on 64 bit";
  }
  return `filter ${full} ${name} has an invalid index argument ${why}: ${arg}`;
}

/** A transformer expression's value (outputs): its getter and the fields it reads. */
export interface CompiledValue {
  get: (ev: FalcoEventCtx) => Extracted;
  isList: boolean;
  fields: FieldExpr[];
}

export function compileValue(node: TransformerArg, fields: FieldTable): CompiledValue {
  const c = new Compiler(fields);
  const v = c.value(node);
  const used: FieldExpr[] = [];
  const visit = (a: TransformerArg | TransformerListExpr["items"][number]): void => {
    if (a.kind === "field") used.push(a);
    else if (a.kind === "transformer") a.args.forEach(visit);
    else if (a.kind === "transformer_list") a.items.forEach(visit);
  };
  visit(node);
  return { get: v.get, isList: v.isList, fields: used };
}

export function compileFilter(ast: Expr, fields: FieldTable): CompiledFilter {
  const c = new Compiler(fields);
  const evaluate = c.expr(ast);
  return { evaluate, warnings: c.warnings, fields: c.used };
}

class Compiler {
  readonly warnings: string[] = [];
  readonly used = new Set<string>();
  constructor(private readonly fields: FieldTable) {}

  expr(e: Expr): Predicate {
    switch (e.kind) {
      case "and": {
        const ch = e.children.map((x) => this.expr(x));
        if (ch.length === 2) {
          const [a, b] = ch as [Predicate, Predicate];
          return (ev) => a(ev) && b(ev);
        }
        return (ev) => {
          for (const p of ch) if (!p(ev)) return false;
          return true;
        };
      }
      case "or": {
        const ch = e.children.map((x) => this.expr(x));
        if (ch.length === 2) {
          const [a, b] = ch as [Predicate, Predicate];
          return (ev) => a(ev) || b(ev);
        }
        return (ev) => {
          for (const p of ch) if (p(ev)) return true;
          return false;
        };
      }
      case "not": {
        const p = this.expr(e.child);
        return (ev) => !p(ev);
      }
      case "identifier":
        throw new FalcoCompileError(`filter error: unexpected identifier '${e.name}'`, e.pos);
      case "unary": {
        const lhs = this.lhs(e.left);
        // with no delta the window is the event's own time
        if (lhs.def?.name === "evt.around") return around(e.left, "=", "0", e);
        const get = lhs.get;
        return (ev) => get(ev) !== undefined;
      }
      case "binary":
        return this.binary(e);
    }
  }

  /** Resolves a field (and validates its argument). */
  private field(f: FieldExpr, inTransformer: boolean): CompiledLhs {
    const def = this.fields.lookup(f.name);
    if (!def) throw new FalcoCompileError(`filter_check called with nonexistent field ${f.name}`, f.pos);
    if (def.notInFilters)
      throw new FalcoCompileError(`filter error: field ${f.name} is not usable in filters`, f.pos);
    this.used.add(f.name);
    const full = f.name + (f.arg !== undefined ? `[${f.arg}]` : "");
    // libsinsp fields parse their own argument (fields/sinsp-args.ts); the checks below are the plugins'
    const argError = def.checkArg?.(f.arg);
    if (argError !== undefined) throw new FalcoCompileError(argError, f.pos);
    if (!def.checkArg && f.arg !== undefined && !def.arg) {
      throw new FalcoCompileError(
        `filter '${full}': ${f.name} does not allow nor require an argument but one is provided: ${f.arg}`,
        f.pos,
      );
    }
    if (!def.checkArg && f.arg === undefined && def.arg?.required) {
      throw new FalcoCompileError(
        `filter '${f.name}': ${f.name} requires an argument but none provided`,
        f.pos,
      );
    }
    if (!def.checkArg && f.arg !== undefined && def.arg?.kind === "index") {
      const bad = indexArgError(full, f.name, f.arg);
      if (bad !== undefined) throw new FalcoCompileError(bad, f.pos);
    }
    const multi = !!def.multi && !(def.multiWithoutArg && f.arg !== undefined);
    if (inTransformer && (multi || def.noTransformer)) {
      throw new FalcoCompileError(`field '${f.name}' does not support transformers`, f.pos);
    }
    const arg = f.arg;
    const extract = def.extract;
    return {
      get: (ev) => extract(ev, arg),
      type: def.type,
      ptype: def.ptype ?? paramTypeOf(def.type),
      isList: !!def.isList,
      multi,
      argType: { type: def.type, isList: !!def.isList },
      name: f.name,
      def,
      transformed: false,
    };
  }

  value(node: TransformerArg): { get: CompiledLhs["get"]; isList: boolean } {
    const l = this.lhs(node);
    return { get: l.get, isList: l.isList };
  }

  /** A left-hand side, or a transformer's argument (`inTransformer`). */
  private lhs(l: TransformerArg, inTransformer = false): CompiledLhs {
    switch (l.kind) {
      case "field":
        return this.field(l, inTransformer);
      case "transformer":
        return this.transformer(l);
      case "transformer_list":
        return this.transformerList(l);
      case "value": {
        const v = l.value;
        return {
          get: () => v,
          type: "string",
          ptype: "CHARBUF",
          isList: false,
          multi: false,
          argType: { type: "string", isList: false },
          name: "NA",
          def: undefined,
          transformed: false,
        };
      }
    }
  }

  /** `(a, "b", tolower(c))`: every item's values as text, in order; missing if any item is missing. */
  private transformerList(l: TransformerListExpr): CompiledLhs {
    const gets = l.items.map((it) => this.lhs(it, true).get);
    return {
      get: (ev) => {
        const out: Scalar[] = [];
        for (const g of gets) {
          const v = g(ev);
          if (v === undefined) return undefined;
          if (Array.isArray(v)) for (const x of v) out.push(scalarText(x));
          else out.push(scalarText(v));
        }
        return out;
      },
      type: "string",
      ptype: "CHARBUF",
      isList: true,
      multi: false,
      argType: { type: "string", isList: true },
      name: "NA",
      def: undefined,
      transformed: false,
    };
  }

  private transformer(t: TransformerExpr): CompiledLhs {
    if (t.name === "val")
      throw new FalcoCompileError("filter error: val() is only allowed on the right-hand side", t.pos);
    const args = t.args.map((a) => this.lhs(a, true));
    if (args.length !== 1) return this.multivalue(t, args);
    if (t.arg !== undefined) {
      throw new FalcoCompileError(
        `filter error: transformer '${t.name}' does not support field arguments`,
        t.pos,
      );
    }
    // libsinsp's text, typo included
    if (MULTIVALUE.has(t.name)) throw new FalcoCompileError(`unknown field transfomer '${t.name}'`, t.pos);
    const inner = args[0]!;
    const unsupported = () =>
      new FalcoCompileError(
        `can't add field transformer: type '${paramTypeName(inner.ptype)}' is not supported by '${t.name}' transformer applied on ${inner.isList ? "list " : ""}field '${inner.name}'`,
        t.pos,
      );
    const g = inner.get;
    const perElem =
      (fn: (s: Scalar) => Scalar | undefined) =>
      (ev: FalcoEventCtx): Extracted => {
        const v = g(ev);
        if (v === undefined) return undefined;
        if (Array.isArray(v)) {
          const out: Scalar[] = [];
          for (const x of v) {
            const y = fn(x);
            if (y === undefined) return undefined;
            out.push(y);
          }
          return out;
        }
        return fn(v);
      };
    switch (t.name) {
      case "tolower":
      case "toupper": {
        if (!STRING_PTYPES.has(inner.ptype)) throw unsupported();
        const f = t.name === "tolower" ? asciiLower : asciiUpper;
        return { ...inner, get: perElem((s) => f(s as string)), transformed: true };
      }
      case "b64": {
        if (inner.ptype !== "CHARBUF" && inner.ptype !== "BYTEBUF") throw unsupported();
        const asString = inner.type === "string";
        return {
          ...inner,
          get: perElem((s) => {
            const text = typeof s === "string" ? s : Buffer.from(s as Uint8Array).toString("latin1");
            const d = b64Decode(text);
            if (d === undefined) return undefined;
            return asString ? d.toString("latin1") : new Uint8Array(d);
          }),
          transformed: true,
        };
      }
      case "basename": {
        if (!STRING_PTYPES.has(inner.ptype)) throw unsupported();
        return {
          ...inner,
          get: perElem((s) => {
            const str = s as string;
            const i = str.lastIndexOf("/");
            return i < 0 ? str : str.slice(i + 1);
          }),
          transformed: true,
        };
      }
      case "len": {
        if (!inner.isList && !STRING_PTYPES.has(inner.ptype) && inner.ptype !== "BYTEBUF")
          throw unsupported();
        const isList = inner.isList;
        return {
          ...inner,
          type: "int",
          ptype: "UINT64",
          isList: false,
          get: (ev) => {
            const v = g(ev);
            if (isList) return v === undefined ? 0n : BigInt(Array.isArray(v) ? v.length : 1);
            if (v === undefined) return undefined;
            if (typeof v === "string") return BigInt(Buffer.byteLength(v, "latin1"));
            return BigInt((v as Uint8Array).length);
          },
          transformed: true,
        };
      }
      default:
        throw new FalcoCompileError(`filter error: unknown transformer '${t.name}'`, t.pos);
    }
  }

  /** join, concat, getopt: argument counts and types as libsinsp checks them, then the closure. */
  private multivalue(t: TransformerExpr, args: CompiledLhs[]): CompiledLhs {
    const fail = (msg: string): never => {
      throw new FalcoCompileError(msg, t.pos);
    };
    if (!MULTIVALUE.has(t.name)) fail("unknown multivalue transformer");
    const types = args.map((a) => a.argType);
    const result = (get: CompiledLhs["get"], isList: boolean): CompiledLhs => ({
      get,
      type: "string",
      ptype: "CHARBUF",
      isList,
      multi: false,
      argType: { type: "string", isList: false },
      name: "NA",
      def: undefined,
      transformed: true,
    });
    switch (t.name) {
      case "join": {
        if (types.length !== 2) fail("join() requires exactly 2 arguments: separator and list");
        if (types[0]!.isList) fail("join() first argument (separator) must be a single value, not a list");
        if (!types[1]!.isList) fail("join() second argument must be a list");
        if (t.arg !== undefined) fail("transformer 'join' does not support field arguments");
        const sepGet = args[0]!.get;
        const listGet = args[1]!.get;
        return result((ev) => {
          const sep = firstText(sepGet(ev));
          if (sep === undefined) return undefined;
          const list = listGet(ev);
          if (list === undefined) return undefined;
          return Array.isArray(list) ? list.map(scalarText).join(sep) : scalarText(list);
        }, false);
      }
      case "concat": {
        if (types.length < 2) fail("concat() requires at least 2 arguments");
        for (const a of types)
          if (a.type !== "string" || a.isList) fail("concat() arguments must be strings");
        if (t.arg !== undefined) fail("transformer 'concat' does not support field arguments");
        const gets = args.map((a) => a.get);
        return result((ev) => {
          let out = "";
          for (const g of gets) {
            const v = firstText(g(ev));
            if (v === undefined) return undefined;
            out += v;
          }
          return out;
        }, false);
      }
      default: {
        if (types.length !== 2) fail("getopt() requires exactly 2 arguments: args list and optstring");
        if (!types[0]!.isList) fail("getopt() first argument must be a list");
        if (types[1]!.isList) fail("getopt() second argument (optstring) must be a single value");
        if (types[0]!.type !== "string" || types[1]!.type !== "string")
          fail("getopt() arguments must be strings");
        const selector = t.arg;
        if (selector !== undefined && selector.length !== 1)
          fail("getopt() field argument must be a single option character");
        const argsGet = args[0]!.get;
        const optNode = t.args[1]!;
        let optGet: (ev: FalcoEventCtx) => OptString | undefined;
        if (optNode.kind === "value") {
          const fixed = parseOptString(optNode.value);
          optGet = () => fixed;
        } else {
          const g = args[1]!.get;
          let lastText: string | undefined;
          let last: OptString | undefined;
          optGet = (ev) => {
            const text = firstText(g(ev));
            if (text === undefined) return undefined;
            if (text !== lastText) {
              lastText = text;
              last = parseOptString(text);
            }
            return last;
          };
        }
        return result((ev) => {
          const opts = optGet(ev);
          if (!opts) return undefined;
          const v = argsGet(ev);
          if (v === undefined) return undefined;
          return getopt((Array.isArray(v) ? v : [v]).map(scalarText), opts, selector);
        }, selector === undefined);
      }
    }
  }

  private binary(e: BinaryCheckExpr): Predicate {
    const lhs = this.lhs(e.left);
    // `= anyof`: the operator, then how many of the list's values must match
    const [written, mod] = e.op.split(" ") as [string, string | undefined];
    const op = written === "==" ? "=" : written;
    // libsinsp names the operator canonically (`==` is `=`)
    const refused = notComparable(op, mod, lhs.ptype, lhs.isList);
    if (refused !== undefined) throw new FalcoCompileError(`filter error: ${refused}`, e.pos);
    const r = e.right;
    if (mod) return this.modified(e, lhs, op, mod);
    if (r.kind === "transformer") return this.fieldRhs(e, lhs, op, r);
    let values: string[];
    if (r.kind === "list") values = r.values;
    else if (r.kind === "identifier") values = [r.name];
    else if (r.kind === "value") values = [r.value];
    else throw new FalcoCompileError("filter error: unexpected right-hand side", e.pos);
    if (LIST_OPERATORS.has(op) !== (r.kind !== "value")) {
      throw new FalcoCompileError(
        `filter error: operator '${e.op}' does not match the right-hand side`,
        e.pos,
      );
    }
    for (const v of values) {
      if (v.includes("\0"))
        throw new FalcoCompileError("filter error: filter value cannot contain a NUL byte (\\x00)");
    }
    for (const v of values) this.valueWarnings(v, op);
    const cmp = comparator(lhs.type, op, values, e.pos);
    if (lhs.def?.name === "evt.around") return around(e.left, op, values[0]!, e);
    return wrap(lhs, op, cmp);
  }

  /**
   * `op oneof/anyof/allof (values)`: true when exactly one / at least one / every value compares
   * true; an empty list never matches. Fields compared per endpoint or ancestor (fd.ip,
   * proc.aname...) ignore the modifier in libsinsp and compare with the first value only.
   */
  private modified(e: BinaryCheckExpr, lhs: CompiledLhs, op: string, mod: string): Predicate {
    const r = e.right;
    if (r.kind !== "list" && r.kind !== "identifier")
      throw new FalcoCompileError("filter error: unexpected right-hand side", e.pos);
    const values = r.kind === "list" ? r.values : [r.name];
    for (const v of values) {
      if (v.includes("\0"))
        throw new FalcoCompileError("filter error: filter value cannot contain a NUL byte (\\x00)");
    }
    for (const v of values) this.valueWarnings(v, op);
    const cmps = values.map((v) => comparator(lhs.type, op, [v], e.pos));
    if (cmps.length === 0) return () => false;
    if (lhs.multi) return wrap(lhs, op, cmps[0]!);
    let cmp: (v: Scalar) => boolean;
    if (cmps.length === 1) cmp = cmps[0]!;
    else if (mod === "anyof") {
      cmp = (v) => {
        for (const c of cmps) if (c(v)) return true;
        return false;
      };
    } else if (mod === "allof") {
      cmp = (v) => {
        for (const c of cmps) if (!c(v)) return false;
        return true;
      };
    } else {
      cmp = (v) => {
        let n = 0;
        for (const c of cmps) if (c(v) && ++n > 1) return false;
        return n === 1;
      };
    }
    return wrap(lhs, op, cmp);
  }

  /**
   * libsinsp's hints about a value: a regex that simpler operators could match, a value that
   * names a field (forgotten val()), a value that looks like a transformer call.
   */
  private valueWarnings(v: string, op: string): void {
    if (op === "regex") {
      let core = v;
      if (core.startsWith("^")) core = core.slice(1);
      else if (/^\.[*+?]/.test(core)) core = core.slice(2);
      if (core.endsWith("$") && !core.endsWith("\\$")) core = core.slice(0, -1);
      else if (/\.[*+?]$/.test(core)) core = core.slice(0, -2);
      if (!/[.^$*+?()[\]{}|\\]/.test(core)) {
        this.warnings.push(
          `regex check with '${v}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'`,
        );
      }
    }
    const stripped = v.replace(/[\s]/g, "");
    if (this.isFieldText(stripped))
      this.warnings.push(`'${v}' may be a valid field misused as a const string value`);
    const m = /^([a-z0-9]+)\(.*\)$/s.exec(stripped);
    if (m && (VALUE_TRANSFORMER_NAMES.has(m[1]!) || m[1] === "val")) {
      this.warnings.push(`'${v}' may be a valid field transformer misused as a const string value`);
    }
  }

  private isFieldText(s: string): boolean {
    const m = /^([a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+)(\[.*\])?$/.exec(s);
    return !!m && this.fields.lookup(m[1]!) !== undefined;
  }

  /** RHS is `val(field)` or a transformer: compares against another field of the same event. */
  private fieldRhs(e: BinaryCheckExpr, lhs: CompiledLhs, op: string, r: TransformerExpr): Predicate {
    let rhs: CompiledLhs;
    if (r.name === "val") {
      if (r.arg !== undefined) {
        throw new FalcoCompileError(
          "filter error: transformer 'val' does not support field arguments",
          r.pos,
        );
      }
      const child = r.args[0];
      if (r.args.length !== 1 || child?.kind !== "field")
        throw new FalcoCompileError("filter error: val() takes a field", r.pos);
      rhs = this.field(child, false);
    } else {
      rhs = this.transformer(r);
    }
    // libsinsp's checks and texts, in its order (no "filter error:" prefix)
    if (op === "pmatch" || op === "regex")
      throw new FalcoCompileError(
        `operator '${op.toUpperCase()}' doesn't support right-hand side fields`,
        e.pos,
      );
    if (lhs.ptype === "IPNET" || lhs.ptype === "IPV4NET" || lhs.ptype === "IPV6NET")
      throw new FalcoCompileError("field type 'IPNET' doesn't support right-hand side fields", e.pos);
    if (lhs.def?.noRhs)
      throw new FalcoCompileError(`field '${lhs.name}' doesn't support right-hand side fields`, e.pos);
    if (rhs.def?.noRhs)
      throw new FalcoCompileError(`field '${rhs.name}' can't be used as a right-hand side field`, e.pos);
    if (lhs.ptype !== rhs.ptype || lhs.isList !== rhs.isList) {
      const typeText = (x: CompiledLhs) => paramTypeName(x.ptype) + (x.isList ? " (list)" : "");
      throw new FalcoCompileError(
        `field '${lhs.name}' has type '${typeText(lhs)}' while the right-hand side field '${rhs.name}' has incompatible type '${typeText(rhs)}'`,
        e.pos,
      );
    }
    // the other field's bytes are the needle; the comparator reads needles as hex
    const hexNeedle = op === "bcontains" || op === "bstartswith";
    const lget = lhs.get;
    const rget = rhs.get;
    const type = lhs.type;
    const pos = e.pos;
    const isList = lhs.isList;
    return (ev) => {
      const rv = rget(ev);
      if (rv === undefined) return false;
      const lv = lget(ev);
      if (lv === undefined) return false;
      let texts = (Array.isArray(rv) ? rv : [rv]).map(scalarKey);
      if (hexNeedle) texts = texts.map((t) => Buffer.from(t, "latin1").toString("hex"));
      const cmp = comparator(type, op, texts, pos);
      if (Array.isArray(lv)) {
        if (isList && op === "in") return lv.every(cmp);
        return lv.some(cmp);
      }
      return cmp(lv);
    };
  }
}

/** Applies the missing-value, multi-value (any endpoint/ancestor) and list-field semantics. */
function wrap(lhs: CompiledLhs, op: string, cmp: (v: Scalar) => boolean): Predicate {
  const get = lhs.get;
  if (lhs.isList) {
    if (op === "in") {
      return (ev) => {
        const v = get(ev);
        if (v === undefined) return false;
        if (!Array.isArray(v)) return cmp(v);
        for (const x of v) if (!cmp(x)) return false;
        return true;
      };
    }
    return (ev) => {
      const v = get(ev);
      if (v === undefined) return false;
      if (!Array.isArray(v)) return cmp(v);
      for (const x of v) if (cmp(x)) return true;
      return false;
    };
  }
  if (lhs.multi) {
    if (op === "!=") {
      return (ev) => {
        const v = get(ev);
        if (v === undefined) return false;
        if (!Array.isArray(v)) return cmp(v);
        for (const x of v) if (!cmp(x)) return false;
        return true;
      };
    }
    return (ev) => {
      const v = get(ev);
      if (v === undefined) return false;
      if (!Array.isArray(v)) return cmp(v);
      for (const x of v) if (cmp(x)) return true;
      return false;
    };
  }
  return (ev) => {
    const v = get(ev);
    return v !== undefined && !Array.isArray(v) && cmp(v);
  };
}

/** A value as text, as libsinsp renders list items and multivalue transformer arguments. */
function scalarText(v: Scalar): string {
  return typeof v === "string" ? v : scalarKey(v);
}

/** The (first) value as text; undefined when missing. */
function firstText(v: Extracted): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.length ? scalarText(v[0]!) : undefined;
  return scalarText(v);
}

/** Base64 as libsinsp decodes it: padding optional, unused trailing bits must be zero. */
function b64Decode(s: string): Buffer | undefined {
  let n = s.length;
  if (n > 0 && s[n - 1] === "=") n--;
  if (n > 0 && n < s.length && s[n - 1] === "=") n--;
  const body = s.slice(0, n);
  if (n % 4 === 1 || (n === 0 && s.length > 0) || !/^[A-Za-z0-9+/]*$/.test(body)) return undefined;
  const out = Buffer.from(body, "base64");
  return out.toString("base64").replace(/=+$/, "") === body ? out : undefined;
}

/**
 * `evt.around[T] = D`: true when T (ns since the epoch) is within D milliseconds of the event's
 * time, bounds included, in libsinsp's unsigned 64-bit arithmetic. Any other operator is refused
 * once the value is read, as libsinsp does.
 */
function around(
  field: TransformerArg,
  op: string,
  value: string,
  e: { pos: BinaryCheckExpr["pos"] },
): Predicate {
  if (op !== "=") throw new FalcoCompileError("evt.around supports only '=' comparison operator", e.pos);
  const delta = (BigInt(value) * 1_000_000n) & UINT64_MAX;
  // the field's own argument was checked to be a number
  const t = BigInt(field.kind === "field" ? (field.arg ?? "0") : "0") & UINT64_MAX;
  return (ev) => {
    const ts = ev.timeNs;
    const lo = (ts - delta) & UINT64_MAX;
    const hi = (ts + delta) & UINT64_MAX;
    return t >= lo && t <= hi;
  };
}
