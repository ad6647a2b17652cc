// Recursive-descent parser for Falco conditions, following libsinsp's filter parser:
// precedence not > and > or, its keyword/blank rules and its error texts.
import type {
  Expr,
  FieldExpr,
  IdentifierExpr,
  Lhs,
  ListExpr,
  Pos,
  Rhs,
  TransformerArg,
  TransformerExpr,
  TransformerListExpr,
} from "./ast.js";
import { Scanner } from "./lexer.js";

export { FalcoSyntaxError } from "./lexer.js";

/** Transformers of one value (also what output templates accept). */
export const TRANSFORMERS = ["tolower", "toupper", "b64", "basename", "len"] as const;
/** Transformers of several arguments (Falco 0.44): `join(sep, list)`, `concat(a, b, ...)`, `getopt(args, optstring)`. */
export const MULTIVALUE_TRANSFORMERS = ["join", "concat", "getopt"] as const;

/**
 * The condition language of a Falco release: its single-value transformers (in libsinsp's
 * order), whether it has val(), the multivalue transformers (with literals, transformer lists and
 * `[arg]` after a transformer) and the oneof/anyof/allof modifiers. A release parses what it
 * lacks as libsinsp's parser of that time did, which gives its parse errors.
 */
export interface Language {
  transformers: readonly string[];
  val: boolean;
  multivalue: boolean;
  modifiers: boolean;
}

/** The language this engine implements (Falco 0.44's). */
export const CURRENT_LANGUAGE: Language = {
  transformers: TRANSFORMERS,
  val: true,
  multivalue: true,
  modifiers: true,
};
/** Written after a string operator and before a list: how many list values must match (Falco 0.44). */
export const OPERATOR_MODIFIERS = ["oneof", "anyof", "allof"] as const;
const UNARY_OPS = ["exists"];
const NUM_OPS = ["<=", "<", ">=", ">"];
const STR_OPS = ["==", "=", "!="];
const STR_WORD_OPS = [
  "bcontains",
  "bstartswith",
  "contains",
  "icontains",
  "startswith",
  "endswith",
  "glob",
  "iglob",
  "regex",
];
const LIST_OPS = ["intersects", "in", "pmatch"];
const ALL_OPS = [...STR_OPS, ...NUM_OPS, ...STR_WORD_OPS, ...LIST_OPS, ...UNARY_OPS];
/** libsinsp's operator order in its "expected a valid check operator" error. */
const OPERATOR_LIST_TEXT = [
  ...UNARY_OPS,
  ...NUM_OPS,
  "==",
  "=",
  "!=",
  "glob",
  "iglob",
  "contains",
  "icontains",
  "bcontains",
  "startswith",
  "bstartswith",
  "endswith",
  "regex",
  ...LIST_OPS,
]
  .map((o) => `'${o}'`)
  .join(", ");

/** The operators whose right side is a list; the compiler and exception checks use these. */
export const LIST_OPERATORS: ReadonlySet<string> = new Set(LIST_OPS);

/** Every operator of the language (what an exception's list `comps` may name, `exists` included). */
export const SUPPORTED_OPERATORS: ReadonlySet<string> = new Set(ALL_OPS);
const MODIFIABLE_OPERATORS: ReadonlySet<string> = new Set([...STR_OPS, ...STR_WORD_OPS]);

/** `startswith oneof`, `= anyof`…: a string operator, one space, a modifier. */
export function isModifiedOperator(op: string): boolean {
  const i = op.indexOf(" ");
  return (
    i > 0 &&
    MODIFIABLE_OPERATORS.has(op.slice(0, i)) &&
    (OPERATOR_MODIFIERS as readonly string[]).includes(op.slice(i + 1))
  );
}

export const DEFAULT_MAX_DEPTH = 1000;

export interface ParseOptions {
  maxDepth?: number;
  language?: Language;
}

export function parseCondition(input: string, opts: ParseOptions = {}): Expr {
  return new Parser(input, opts.maxDepth ?? DEFAULT_MAX_DEPTH, opts.language ?? CURRENT_LANGUAGE).parse();
}

/**
 * A multivalue transformer written at `start` of an output format (`%join(",", proc.aname)`):
 * the node and where it ends. Throws FalcoSyntaxError when it does not parse.
 */
export function parseOutputTransformer(input: string, start: number): { node: TransformerExpr; end: number } {
  const p = new Parser(input, DEFAULT_MAX_DEPTH, CURRENT_LANGUAGE);
  return p.transformerAt(start);
}

class Parser {
  private readonly s: Scanner;
  private depth = 0;
  /** the transformer names a `name(` can start */
  private readonly names: readonly string[];
  /** libsinsp's texts for a value position: what it expected there */
  private readonly expected: { num: string; str: string; list: string };

  constructor(
    input: string,
    private readonly maxDepth: number,
    private readonly lang: Language,
  ) {
    this.s = new Scanner(input);
    this.names = [...lang.transformers, ...(lang.multivalue ? MULTIVALUE_TRANSFORMERS : [])];
    if (lang.val || this.names.length > 0) {
      // `'val', 'tolower', ...`: the transformers a value position accepts
      const list = [...(lang.val ? ["val"] : []), ...this.names].map((t) => `'${t}'`).join(", ");
      this.expected = {
        num: `expected a number value or a field with a valid transformer: ${list}`,
        str: `expected a string value or a field with a valid transformer: ${list}`,
        list: `expected a list, an identifier, or a field with a valid transformer: ${list}`,
      };
    } else {
      this.expected = {
        num: "expected a number value",
        str: "expected a string value",
        list: "expected a list or an identifier",
      };
    }
  }

  transformerAt(start: number): { node: TransformerExpr; end: number } {
    this.s.idx = start;
    const node = this.parseTransformer();
    return { node, end: this.s.idx };
  }

  parse(): Expr {
    if (this.s.input.length === 0) this.s.fail("filter input string is empty");
    const res = this.parseOr();
    this.s.blank();
    if (!this.s.atEnd()) {
      this.s.fail(`unexpected token after '${this.s.lastToken}', expecting 'or', 'and'`);
    }
    return res;
  }

  private push(): void {
    if (++this.depth > this.maxDepth) this.s.fail(`exceeded max depth limit of ${this.maxDepth}`);
  }

  private pop(): void {
    this.depth--;
  }

  private parseOr(): Expr {
    this.push();
    const pos = this.s.pos();
    this.s.blank();
    const children: Expr[] = [this.parseAnd()];
    this.s.blank();
    while (this.s.str("or")) {
      if (this.s.blank()) children.push(this.parseAnd());
      else if (this.s.str("(")) children.push(this.parseEmbeddedRemainder());
      else this.s.fail("expected blank or '(' after 'or'");
      this.s.blank();
    }
    this.pop();
    return children.length === 1 ? children[0]! : { kind: "or", children, pos };
  }

  private parseAnd(): Expr {
    this.push();
    const pos = this.s.pos();
    this.s.blank();
    const children: Expr[] = [this.parseNot()];
    this.s.blank();
    while (this.keyword("and")) {
      if (this.s.blank()) children.push(this.parseNot());
      else if (this.s.str("(")) children.push(this.parseEmbeddedRemainder());
      else this.s.fail("expected blank or '(' after 'and'");
      this.s.blank();
    }
    this.pop();
    return children.length === 1 ? children[0]! : { kind: "and", children, pos };
  }

  /** `and` as a keyword; "or" is checked by parseOr after parseAnd returns. */
  private keyword(word: string): boolean {
    return this.s.str(word);
  }

  /** `not` words toggle one negation, as libsinsp reads them: `not not a` is `a`. */
  private parseNot(): Expr {
    this.push();
    const pos = this.s.pos();
    this.s.blank();
    let negated = false;
    // `not` and its blanks (`notb`, `not_macro` are identifiers)
    while (this.s.notWord()) negated = !negated;
    let child: Expr;
    if (this.s.str("not(")) {
      negated = !negated;
      child = this.parseEmbeddedRemainder();
    } else {
      child = this.parseCheck();
    }
    this.pop();
    return negated ? { kind: "not", child, pos } : child;
  }

  /** After a consumed "(": an expression and its ")". */
  private parseEmbeddedRemainder(): Expr {
    this.push();
    const child = this.parseOr();
    this.s.blank();
    if (!this.s.str(")")) this.s.fail("expected a ')' token");
    this.pop();
    return child;
  }

  private parseCheck(): Expr {
    this.push();
    this.s.blank();
    const pos = this.s.pos();
    let res: Expr;
    if (this.s.str("(")) {
      res = this.parseEmbeddedRemainder();
    } else if (this.lookTransformer(false)) {
      const left = this.parseTransformer();
      res = this.parseCondition(left, pos);
    } else if (this.s.fieldName()) {
      const field = this.parseFieldRemainder(this.s.lastToken, pos);
      res = this.parseCondition(field, pos);
    } else if (this.s.identifier()) {
      res = { kind: "identifier", name: this.s.lastToken, pos };
    } else {
      this.s.fail("expected a '(' token, a field check, or an identifier");
    }
    this.pop();
    return res;
  }

  /** Is the cursor on `name(` for a transformer (or val() when allowed)? */
  private lookTransformer(allowVal: boolean): boolean {
    if (allowVal && this.lang.val && this.s.input.startsWith("val(", this.s.idx)) return true;
    for (const n of this.names) if (this.s.input.startsWith(n + "(", this.s.idx)) return true;
    return false;
  }

  /** A right-hand side `val(field)` or transformer; the cursor is on its name. */
  private parseRhsTransformer(): TransformerExpr {
    if (!this.s.input.startsWith("val(", this.s.idx)) return this.parseTransformer();
    const pos = this.s.pos();
    this.s.str("val(");
    this.s.blank();
    const fpos = this.s.pos();
    if (!this.s.fieldName()) this.s.fail("expected a field within 'val' transformer");
    const field = this.parseFieldRemainder(this.s.lastToken, fpos);
    this.s.blank();
    if (!this.s.str(")")) this.s.fail("expected a ')' token closing the transformer");
    const arg = this.lang.multivalue ? this.parseFieldArg() : undefined;
    return { kind: "transformer", name: "val", args: [field], arg, pos };
  }

  /**
   * `name(arg, ...)[arg]`; the cursor is on the name. Arity and types are checked by the
   * compiler. `pos` is libsinsp's position for the node (an argument's is taken before its blanks).
   */
  private parseTransformer(pos: Pos = this.s.pos()): TransformerExpr {
    this.push();
    let name = "";
    for (const n of this.names) {
      if (this.s.str(n + "(")) {
        name = n;
        break;
      }
    }
    this.s.blank();
    if (!this.lang.multivalue) return this.parseSingleTransformerRemainder(name, pos);
    const args: TransformerArg[] = [];
    do {
      args.push(this.parseTransformerArg(this.s.pos()));
      this.s.blank();
    } while (this.s.str(","));
    if (!this.s.str(")")) this.s.fail("expected a ')' token closing the transformer");
    const arg = this.parseFieldArg();
    this.pop();
    return { kind: "transformer", name, args, arg, pos };
  }

  /** Before multivalue transformers: one field or nested transformer, the ")", no `[arg]`. */
  private parseSingleTransformerRemainder(name: string, pos: Pos): TransformerExpr {
    const apos = this.s.pos();
    let child: FieldExpr | TransformerExpr | undefined;
    if (this.lookTransformer(false)) child = this.parseTransformer(apos);
    if (this.s.fieldName()) child = this.parseFieldRemainder(this.s.lastToken, apos);
    if (!child) {
      const list = [...(this.lang.val ? ["val"] : []), ...this.names].map((t) => `'${t}'`).join(", ");
      this.s.fail(`expected a field or a nested valid transformer: ${list}`);
    }
    this.s.blank();
    if (!this.s.str(")")) this.s.fail("expected a ')' token closing the transformer");
    this.pop();
    return { kind: "transformer", name, args: [child], arg: undefined, pos };
  }

  private parseTransformerArg(pos: Pos): TransformerArg {
    this.s.blank();
    if (this.s.number()) return { kind: "value", value: this.s.lastToken, pos };
    const q = this.s.quoted();
    if (q !== undefined) return { kind: "value", value: q, pos };
    if (this.s.str("(")) return this.parseTransformerList(pos);
    if (this.lookTransformer(false)) return this.parseTransformer(pos);
    if (this.s.fieldName()) return this.parseFieldRemainder(this.s.lastToken, pos);
    this.s.fail(
      "expected field transformer argument: field, transformer, quoted string, number, or transformer list",
    );
  }

  /** After a consumed "(" inside a transformer's arguments: items and the ")". Items share the list's position. */
  private parseTransformerList(pos: Pos): TransformerListExpr {
    const items: TransformerListExpr["items"] = [];
    this.s.blank();
    if (this.s.str(")")) return { kind: "transformer_list", items, pos };
    items.push(this.parseTransformerListItem(pos));
    this.s.blank();
    while (this.s.str(",")) {
      this.s.blank();
      items.push(this.parseTransformerListItem(pos));
      this.s.blank();
    }
    if (!this.s.str(")")) this.s.fail("expected ')'");
    return { kind: "transformer_list", items, pos };
  }

  private parseTransformerListItem(pos: Pos): TransformerListExpr["items"][number] {
    if (this.s.fieldName()) return this.parseFieldRemainder(this.s.lastToken, pos);
    if (this.lookTransformer(false)) return this.parseTransformer(pos);
    const q = this.s.quoted();
    if (q !== undefined) return { kind: "value", value: q, pos };
    if (this.s.number()) return { kind: "value", value: this.s.lastToken, pos };
    this.s.fail("expected transformer list argument: field, transformer, quoted string, or number");
  }

  private parseFieldRemainder(name: string, pos: Pos): FieldExpr {
    return { kind: "field", name, arg: this.parseFieldArg(), pos };
  }

  /** An optional `[arg]` right after a field or transformer. */
  private parseFieldArg(): string | undefined {
    if (!this.s.str("[")) return undefined;
    let arg: string | undefined = this.s.quoted();
    if (arg === undefined) {
      if (!this.s.bareArg()) this.s.fail("expected a valid field argument: a quoted string or a bare string");
      arg = this.s.lastToken;
    }
    if (!this.s.str("]")) this.s.fail("expected a ']' token");
    return arg;
  }

  private lexOp(ops: string[], needBlank: boolean): string | undefined {
    const start = this.s.idx;
    for (const op of ops) {
      if (this.s.str(op)) {
        if (!needBlank) return op;
        const c = this.s.peek();
        if (c === " " || c === "\t" || c === "\b" || c === "\r" || c === "\n") return op;
        this.s.idx = start;
      }
    }
    return undefined;
  }

  private parseCondition(left: Lhs, pos: Pos): Expr {
    this.s.blank();
    let op = this.lexOp(UNARY_OPS, false);
    if (op) return { kind: "unary", left, op, pos };

    op = this.lexOp(NUM_OPS, false);
    if (op) {
      this.s.blank();
      const vpos = this.s.pos();
      let right: Rhs;
      if (this.lookTransformer(true)) right = this.parseRhsTransformer();
      else if (this.s.number()) right = { kind: "value", value: this.s.lastToken, pos: vpos };
      else this.s.fail(this.expected.num);
      return { kind: "binary", left, op, right, pos };
    }

    op = this.lexOp(STR_OPS, false) ?? this.lexOp(STR_WORD_OPS, true);
    if (op) {
      // a modifier needs a blank before it (a word operator is always followed by one)
      const modified = this.s.blank() && this.lang.modifiers ? this.parseModifiedList() : undefined;
      if (modified) return { kind: "binary", left, op: `${op} ${modified.mod}`, right: modified.right, pos };
      this.s.blank();
      const vpos = this.s.pos();
      let right: Rhs;
      if (this.lookTransformer(true)) {
        right = this.parseRhsTransformer();
      } else {
        const q = this.s.quoted();
        if (q !== undefined) right = { kind: "value", value: q, pos: vpos };
        else if (this.s.bareString()) right = { kind: "value", value: this.s.lastToken, pos: vpos };
        else this.s.fail(this.expected.str);
      }
      return { kind: "binary", left, op, right, pos };
    }

    op = this.lexOp(LIST_OPS, false);
    if (op) {
      this.s.blank();
      const vpos = this.s.pos();
      let right: Rhs;
      if (this.s.str("(")) right = this.parseListRemainder(vpos);
      else if (this.lookTransformer(true)) right = this.parseRhsTransformer();
      else if (this.s.identifier()) right = { kind: "identifier", name: this.s.lastToken, pos: vpos };
      else this.s.fail(this.expected.list);
      return { kind: "binary", left, op, right, pos };
    }

    this.s.fail(`expected a valid check operator: one of ${OPERATOR_LIST_TEXT}`);
  }

  /**
   * `oneof (a, b)` / `anyof list_name` after a string operator and its blank. Undefined (cursor
   * unchanged) when no modifier is there, no list or identifier follows it, or what follows is
   * `and`/`or`/`not`: then the word is an ordinary value (`x = oneof and ...`).
   */
  private parseModifiedList(): { mod: string; right: ListExpr | IdentifierExpr } | undefined {
    const start = this.s.idx;
    const last = this.s.lastToken;
    const mod = this.lexOp([...OPERATOR_MODIFIERS], true);
    if (mod) {
      this.s.blank();
      const vpos = this.s.pos();
      const rest = this.s.input.slice(this.s.idx);
      if (!/^(and|or|not)(?![a-zA-Z0-9])/.test(rest)) {
        if (this.s.str("(")) return { mod, right: this.parseListRemainder(vpos) };
        if (this.s.identifier())
          return { mod, right: { kind: "identifier", name: this.s.lastToken, pos: vpos } };
      }
    }
    this.s.idx = start;
    this.s.lastToken = last;
    return undefined;
  }

  /** After a consumed "(": quoted or bare values separated by commas, and the ")". */
  private parseListRemainder(pos: Pos): ListExpr {
    const values: string[] = [];
    this.s.blank();
    let v = this.listValue();
    if (v !== undefined) {
      values.push(v);
      this.s.blank();
      while (this.s.str(",")) {
        this.s.blank();
        v = this.listValue();
        if (v === undefined) this.s.fail("expected a string value");
        values.push(v);
        this.s.blank();
      }
    }
    if (!this.s.str(")")) this.s.fail("expected a ')' token");
    return { kind: "list", values, pos };
  }

  private listValue(): string | undefined {
    const q = this.s.quoted();
    if (q !== undefined) return q;
    return this.s.bareString() ? this.s.lastToken : undefined;
  }
}
