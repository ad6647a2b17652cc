// Compiles a (macro-free) condition AST into closures, type-checking it against a field table
// with Falco's error texts. A missing left-hand value makes every comparison false.
import type { BinaryCheckExpr, Expr, FieldExpr, Lhs, TransformerExpr } from "./ast.js";
import { ALLOWED, comparator, FAMILY_TEXT, family, scalarKey } from "./comparators.js";
import { FalcoCompileError } from "./compile-error.js";
import type { Extracted, FalcoEventCtx, FieldDef, FieldTable, FieldType, Scalar } from "./fields/types.js";
import { asciiLower, asciiUpper } from "./operators.js";
import { LIST_OPERATORS, TRANSFORMERS } from "./parser.js";

export type Predicate = (ev: FalcoEventCtx) => boolean;

export interface CompiledFilter {
  evaluate: Predicate;
  warnings: string[];
  /** every field name used (without arguments) */
  fields: Set<string>;
}

interface CompiledLhs {
  get: (ev: FalcoEventCtx) => Extracted;
  type: FieldType;
  isList: boolean;
  multi: boolean;
  def: FieldDef;
  field: FieldExpr;
  transformed: boolean;
}

const INDEX_RE = /^(0|[1-9][0-9]*)$/;

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
    if (f.arg !== undefined && !def.arg) {
      throw new FalcoCompileError(
        `filter '${full}': ${f.name} does not allow nor require an argument but one is provided: ${f.arg}`,
        f.pos,
      );
    }
    if (f.arg === undefined && def.arg?.required) {
      throw new FalcoCompileError(
        `filter '${f.name}': ${f.name} requires an argument but none provided`,
        f.pos,
      );
    }
    if (f.arg !== undefined && def.arg?.kind === "index" && !INDEX_RE.test(f.arg)) {
      throw new FalcoCompileError(
        `filter '${full}': ${f.name} has an invalid index argument: ${f.arg}`,
        f.pos,
      );
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
      isList: !!def.isList,
      multi,
      def,
      field: f,
      transformed: false,
    };
  }

  private lhs(l: Lhs): CompiledLhs {
    if (l.kind === "field") return this.field(l, false);
    return this.transformer(l);
  }

  private transformer(t: TransformerExpr): CompiledLhs {
    if (t.arg !== undefined) {
      throw new FalcoCompileError(
        `filter error: transformer '${t.name}' does not support field arguments`,
        t.pos,
      );
    }
    if (t.name === "val")
      throw new FalcoCompileError("filter error: val() is only allowed on the right-hand side", t.pos);
    const inner = t.child.kind === "field" ? this.field(t.child, true) : this.transformer(t.child);
    const unsupported = () =>
      new FalcoCompileError(
        `can't add field transformer: type '${typeName(inner.type, inner.isList)}' is not supported by '${t.name}' transformer applied on field '${inner.field.name}'`,
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
        if (inner.type !== "string") throw unsupported();
        const f = t.name === "tolower" ? asciiLower : asciiUpper;
        return { ...inner, get: perElem((s) => f(s as string)), transformed: true };
      }
      case "b64": {
        if (inner.type !== "string" && inner.type !== "bytebuf") throw unsupported();
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
        if (inner.type !== "string") throw unsupported();
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
        if (!inner.isList && inner.type !== "string" && inner.type !== "bytebuf") throw unsupported();
        const isList = inner.isList;
        return {
          ...inner,
          type: "int",
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

  private binary(e: BinaryCheckExpr): Predicate {
    const lhs = this.lhs(e.left);
    const op = e.op === "==" ? "=" : e.op;
    const fam = lhs.isList ? "list" : family(lhs.type);
    if (!ALLOWED[fam]!.has(op)) {
      throw new FalcoCompileError(
        `filter error: '${e.op}' operator not supported for ${FAMILY_TEXT[fam]} filters`,
        e.pos,
      );
    }
    const r = e.right;
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
    if (r.kind === "value") this.valueWarnings(r.value, op);
    const cmp = comparator(lhs.type, op, values, e.pos);
    return wrap(lhs, op, cmp);
  }

  private valueWarnings(v: string, op: string): void {
    const stripped = v.replace(/[\s]/g, "");
    if (op !== "regex") {
      const m = /^([a-z0-9]+)\((.*)\)$/.exec(stripped);
      if (
        m &&
        ((TRANSFORMERS as readonly string[]).includes(m[1]!) || m[1] === "val") &&
        this.isFieldText(m[2]!)
      ) {
        this.warnings.push(`'${v}' may be a valid field transformer misused as a const string value`);
      } else if (this.isFieldText(stripped)) {
        this.warnings.push(`'${v}' may be a valid field misused as a const string value`);
      }
    } else {
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
      if (r.child.kind !== "field") throw new FalcoCompileError("filter error: val() takes a field", r.pos);
      rhs = this.field(r.child, false);
    } else {
      rhs = this.transformer(r);
    }
    if (op === "pmatch" || op === "regex" || op === "bcontains" || op === "bstartswith") {
      throw new FalcoCompileError(`filter error: '${e.op}' operator does not support field values`, e.pos);
    }
    if (
      lhs.type === "ipnet" ||
      rhs.type === "ipnet" ||
      lhs.multi ||
      rhs.multi ||
      lhs.def.noRhs ||
      rhs.def.noRhs
    ) {
      throw new FalcoCompileError(
        `filter error: field '${rhs.field.name}' can't be used as a right-hand side value of '${lhs.field.name}'`,
        e.pos,
      );
    }
    if (family(lhs.type) !== family(rhs.type)) {
      throw new FalcoCompileError(
        `filter error: field '${rhs.field.name}' of type '${rhs.type}' is not compatible with field '${lhs.field.name}' of type '${lhs.type}'`,
        e.pos,
      );
    }
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
      const texts = (Array.isArray(rv) ? rv : [rv]).map(scalarKey);
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

function b64Decode(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return Buffer.from(s, "base64");
}

function typeName(t: FieldType, isList: boolean): string {
  const names: Record<FieldType, string> = {
    string: "CHARBUF",
    int: "INT64",
    port: "PORT",
    abstime: "ABSTIME",
    reltime: "RELTIME",
    double: "DOUBLE",
    bool: "BOOL",
    ipaddr: "IPADDR",
    ipnet: "IPNET",
    bytebuf: "BYTEBUF",
  };
  return (isList ? "list " : "") + names[t];
}
