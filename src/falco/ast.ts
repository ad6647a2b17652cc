// AST of the Falco condition language (libsinsp filter/ast.h shapes).

export interface Pos {
  /** 0-based character offset in the condition text */
  idx: number;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
}

export type Expr = AndExpr | OrExpr | NotExpr | IdentifierExpr | UnaryCheckExpr | BinaryCheckExpr;
/** Right-hand side of a binary check. */
export type Rhs = ValueExpr | ListExpr | IdentifierExpr | TransformerExpr | FieldExpr;
/** Left-hand side of a check: a field, or transformers around a field. */
export type Lhs = FieldExpr | TransformerExpr;

export interface AndExpr {
  kind: "and";
  children: Expr[];
  pos: Pos;
}
export interface OrExpr {
  kind: "or";
  children: Expr[];
  pos: Pos;
}
export interface NotExpr {
  kind: "not";
  child: Expr;
  pos: Pos;
}
/** A bare identifier: a macro reference in a check position, a list name on the RHS of a list operator. */
export interface IdentifierExpr {
  kind: "identifier";
  name: string;
  pos: Pos;
}
export interface ValueExpr {
  kind: "value";
  value: string;
  pos: Pos;
}
export interface ListExpr {
  kind: "list";
  values: string[];
  pos: Pos;
}
export interface FieldExpr {
  kind: "field";
  name: string;
  /** undefined when no `[arg]` was written; "" for `[""]` */
  arg: string | undefined;
  pos: Pos;
}
/**
 * `tolower(x)`, `val(x)`, `join(sep, (a, b))`…; `arg` is an `[arg]` written after the closing
 * parenthesis (only `getopt` accepts one). Single-value transformers take one argument.
 */
export interface TransformerExpr {
  kind: "transformer";
  name: string;
  args: TransformerArg[];
  arg: string | undefined;
  pos: Pos;
}
/** What a transformer takes: a field, a nested transformer, a literal, or a parenthesised list of those. */
export type TransformerArg = FieldExpr | TransformerExpr | ValueExpr | TransformerListExpr;
/** `(a, "b", tolower(c))` as a transformer argument: the values of its items, in order. */
export interface TransformerListExpr {
  kind: "transformer_list";
  items: (FieldExpr | TransformerExpr | ValueExpr)[];
  pos: Pos;
}
export interface UnaryCheckExpr {
  kind: "unary";
  left: Lhs;
  op: string;
  pos: Pos;
}
export interface BinaryCheckExpr {
  kind: "binary";
  left: Lhs;
  op: string;
  right: Rhs;
  pos: Pos;
}

export type AnyNode = Expr | Rhs | Lhs | TransformerArg;

const ESCAPE_TRIGGER = /[\b\f\n\r\t "'=\\\x00]/;

/** escape_str of libsinsp: always double-quotes. */
export function escapeStr(raw: string): string {
  let out = '"';
  for (const ch of raw) {
    switch (ch) {
      case "\b":
        out += "\\b";
        break;
      case "\f":
        out += "\\f";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      default:
        out += ch;
    }
  }
  return out + '"';
}

/** A value as the canonical printer writes it: bare unless it contains a character that needs quoting. */
export function printValue(v: string): string {
  return ESCAPE_TRIGGER.test(v) || v === "" ? escapeStr(v) : v;
}

function printArg(arg: string | undefined): string {
  if (arg === undefined) return "";
  return "[" + (arg === "" ? '""' : printValue(arg)) + "]";
}

/** Canonical text of an AST, as the parser conformance cases write it (their `as_string`). */
export function astToString(n: AnyNode): string {
  switch (n.kind) {
    case "and":
      return "(" + n.children.map(astToString).join(" and ") + ")";
    case "or":
      return "(" + n.children.map(astToString).join(" or ") + ")";
    case "not":
      return "not " + astToString(n.child);
    case "identifier":
      return n.name;
    case "value":
      return printValue(n.value);
    case "list":
      return "(" + n.values.map(printValue).join(", ") + ")";
    case "field":
      return n.name + printArg(n.arg);
    case "transformer":
      return n.name + "(" + n.args.map(astToString).join(",") + ")" + printArg(n.arg);
    case "transformer_list":
      return "(" + n.items.map(astToString).join(",") + ")";
    case "unary":
      return astToString(n.left) + " " + n.op;
    case "binary":
      return astToString(n.left) + " " + n.op + " " + astToString(n.right);
  }
}

/** Pre-order walk (the order of libsinsp's visitors). */
export function walk(n: AnyNode, visit: (n: AnyNode) => void): void {
  visit(n);
  switch (n.kind) {
    case "and":
    case "or":
      for (const c of n.children) walk(c, visit);
      break;
    case "not":
      walk(n.child, visit);
      break;
    case "transformer":
      for (const a of n.args) walk(a, visit);
      break;
    case "transformer_list":
      for (const a of n.items) walk(a, visit);
      break;
    case "unary":
      walk(n.left, visit);
      break;
    case "binary":
      walk(n.left, visit);
      walk(n.right, visit);
      break;
    default:
      break;
  }
}

/** The first field a left-hand side reads (depth first); undefined when it reads only literals. */
export function innerField(n: TransformerArg): FieldExpr | undefined {
  switch (n.kind) {
    case "field":
      return n;
    case "value":
      return undefined;
    case "transformer":
      for (const a of n.args) {
        const f = innerField(a);
        if (f) return f;
      }
      return undefined;
    case "transformer_list":
      for (const a of n.items) {
        const f = innerField(a);
        if (f) return f;
      }
      return undefined;
  }
}
