// Recursive-descent parser for Falco conditions, following libsinsp's filter parser:
// precedence not > and > or, its keyword/blank rules and its error texts.
import type { Expr, FieldExpr, Lhs, ListExpr, Pos, Rhs, TransformerExpr } from "./ast.js";
import { Scanner } from "./lexer.js";

export { FalcoSyntaxError } from "./lexer.js";

export const TRANSFORMERS = ["tolower", "toupper", "b64", "basename", "len"] as const;
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

/** The operators whose right side is a list; the compiler and exception checks use these. */
export const LIST_OPERATORS: ReadonlySet<string> = new Set(LIST_OPS);
/** Every operator with a right side (all but `exists`): what an exception's `comps` may name. */
export const BINARY_OPERATORS: ReadonlySet<string> = new Set([
  ...STR_OPS,
  ...NUM_OPS,
  ...STR_WORD_OPS,
  ...LIST_OPS,
]);

export const DEFAULT_MAX_DEPTH = 1000;

export interface ParseOptions {
  maxDepth?: number;
}

export function parseCondition(input: string, opts: ParseOptions = {}): Expr {
  return new Parser(input, opts.maxDepth ?? DEFAULT_MAX_DEPTH).parse();
}

class Parser {
  private readonly s: Scanner;
  private depth = 0;

  constructor(
    input: string,
    private readonly maxDepth: number,
  ) {
    this.s = new Scanner(input);
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

  private parseNot(): Expr {
    this.push();
    const pos = this.s.pos();
    this.s.blank();
    const start = this.s.idx;
    let res: Expr;
    if (this.s.str("not")) {
      if (this.s.blank()) {
        res = { kind: "not", child: this.parseNot(), pos };
      } else if (this.s.str("(")) {
        res = { kind: "not", child: this.parseEmbeddedRemainder(), pos };
      } else {
        // `notb`, `not_macro`: an identifier that merely starts with "not"
        this.s.idx = start;
        res = this.parseCheck();
      }
    } else {
      res = this.parseCheck();
    }
    this.pop();
    return res;
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
      const left = this.parseTransformer(false);
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
    const names: readonly string[] = allowVal ? [...TRANSFORMERS, "val"] : TRANSFORMERS;
    for (const n of names) if (this.s.input.startsWith(n + "(", this.s.idx)) return true;
    return false;
  }

  private parseTransformer(isVal: boolean): TransformerExpr {
    this.push();
    const pos = this.s.pos();
    const names: readonly string[] = isVal ? ["val"] : TRANSFORMERS;
    let name = "";
    for (const n of names) {
      if (this.s.str(n + "(")) {
        name = n;
        break;
      }
    }
    this.s.blank();
    let child: Lhs;
    const childPos = this.s.pos();
    if (!isVal && this.lookTransformer(false)) {
      child = this.parseTransformer(false);
    } else if (this.s.fieldName()) {
      child = this.parseFieldRemainder(this.s.lastToken, childPos, false);
    } else {
      this.s.fail(
        isVal ? "expected a field in val() transformer" : "expected a field or a nested valid transformer",
      );
    }
    this.s.blank();
    if (!this.s.str(")")) this.s.fail("expected a ')' token");
    const arg = this.parseFieldArg();
    this.pop();
    return { kind: "transformer", name, child, arg, pos };
  }

  private parseFieldRemainder(name: string, pos: Pos, _top = true): FieldExpr {
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
      if (this.lookTransformer(true))
        right = this.parseTransformer(this.s.input.startsWith("val(", this.s.idx));
      else if (this.s.number()) right = { kind: "value", value: this.s.lastToken, pos: vpos };
      else
        this.s.fail(
          "expected a number value or a field with a valid transformer: one of 'tolower', 'toupper', 'b64', 'basename', 'len', 'val'",
        );
      return { kind: "binary", left, op, right, pos };
    }

    op = this.lexOp(STR_OPS, false) ?? this.lexOp(STR_WORD_OPS, true);
    if (op) {
      this.s.blank();
      const vpos = this.s.pos();
      let right: Rhs;
      if (this.lookTransformer(true)) {
        right = this.parseTransformer(this.s.input.startsWith("val(", this.s.idx));
      } else {
        const q = this.s.quoted();
        if (q !== undefined) right = { kind: "value", value: q, pos: vpos };
        else if (this.s.bareString()) right = { kind: "value", value: this.s.lastToken, pos: vpos };
        else this.s.fail("expected a valid string value or a field with a valid transformer");
      }
      return { kind: "binary", left, op, right, pos };
    }

    op = this.lexOp(LIST_OPS, false);
    if (op) {
      this.s.blank();
      const vpos = this.s.pos();
      let right: Rhs;
      if (this.s.str("(")) right = this.parseListRemainder(vpos);
      else if (this.lookTransformer(true))
        right = this.parseTransformer(this.s.input.startsWith("val(", this.s.idx));
      else if (this.s.identifier()) right = { kind: "identifier", name: this.s.lastToken, pos: vpos };
      else this.s.fail("expected a list or an identifier");
      return { kind: "binary", left, op, right, pos };
    }

    this.s.fail(
      "expected a valid check operator: one of " +
        ALL_OPS.map((o) => `'${o}'`)
          .sort()
          .join(", "),
    );
  }

  private parseListRemainder(pos: Pos): ListExpr {
    const values: string[] = [];
    this.s.blank();
    if (this.s.str(")")) return { kind: "list", values, pos };
    for (;;) {
      this.s.blank();
      const q = this.s.quoted();
      if (q !== undefined) values.push(q);
      else if (this.s.bareString()) values.push(this.s.lastToken);
      else this.s.fail("expected a valid list value");
      this.s.blank();
      if (this.s.str(")")) break;
      if (!this.s.str(",")) this.s.fail("expected a ',' or a ')' token");
    }
    return { kind: "list", values, pos };
  }
}
