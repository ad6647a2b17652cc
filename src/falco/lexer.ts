// Cursor scanner for the condition language. Like libsinsp, tokens are recognised by
// regexes anchored at the cursor rather than by a separate token stream, because the
// grammar is context sensitive (e.g. `not_macro` is an identifier, `x inbash` is `x in bash`).
import type { Pos } from "./ast.js";

export class FalcoSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: Pos,
  ) {
    super(message);
    this.name = "FalcoSyntaxError";
  }
}

const RE_BLANK = /[ \t\b\r\n]+/y;
// POSIX [[:space:]] after the word, as libsinsp's `not` pattern
const RE_NOT_BLANK = /not[ \t\n\v\f\r]+/y;
const RE_IDENTIFIER = /[a-zA-Z]+[a-zA-Z0-9_]*/y;
const RE_FIELD_NAME = /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
const RE_BARE_ARG = /[^\][\s"']+/y;
const RE_HEX = /0[xX][0-9a-fA-F]+/y;
const RE_NUMBER = /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y;
const RE_BARE_STRING = /[^()"'\s=,]+/y;

export class Scanner {
  idx = 0;
  lastToken = "";
  private readonly lineStarts: number[] = [0];

  constructor(readonly input: string) {
    for (let i = 0; i < input.length; i++) if (input[i] === "\n") this.lineStarts.push(i + 1);
  }

  posAt(idx: number): Pos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= idx) lo = mid;
      else hi = mid - 1;
    }
    return { idx, line: lo + 1, col: idx - this.lineStarts[lo]! + 1 };
  }

  pos(): Pos {
    return this.posAt(this.idx);
  }

  fail(message: string): never {
    throw new FalcoSyntaxError(message, this.pos());
  }

  atEnd(): boolean {
    return this.idx >= this.input.length;
  }

  peek(): string {
    return this.input[this.idx] ?? "";
  }

  private re(re: RegExp): boolean {
    re.lastIndex = this.idx;
    const m = re.exec(this.input);
    if (!m || m[0].length === 0) return false;
    this.lastToken = m[0];
    this.idx += m[0].length;
    return true;
  }

  /** Consumes a literal string. */
  str(s: string): boolean {
    if (this.input.startsWith(s, this.idx)) {
      this.lastToken = s;
      this.idx += s.length;
      return true;
    }
    return false;
  }

  /** Blanks do not count as the "last token" of error messages. */
  blank(): boolean {
    const last = this.lastToken;
    const found = this.re(RE_BLANK);
    this.lastToken = last;
    return found;
  }
  /** `not` followed by blanks. */
  notWord(): boolean {
    return this.re(RE_NOT_BLANK);
  }
  identifier(): boolean {
    return this.re(RE_IDENTIFIER);
  }
  fieldName(): boolean {
    return this.re(RE_FIELD_NAME);
  }
  bareArg(): boolean {
    return this.re(RE_BARE_ARG);
  }
  number(): boolean {
    return this.re(RE_HEX) || this.re(RE_NUMBER);
  }
  bareString(): boolean {
    return this.re(RE_BARE_STRING);
  }

  /**
   * A quoted string starting at the cursor. Returns the unescaped content, or undefined when
   * there is no quote here. A delimiter preceded by a backslash never closes the string.
   */
  quoted(): string | undefined {
    const q = this.peek();
    if (q !== '"' && q !== "'") return undefined;
    const start = this.idx;
    let i = start + 1;
    while (i < this.input.length) {
      if (this.input[i] === q && this.input[i - 1] !== "\\") break;
      i++;
    }
    if (i >= this.input.length) return undefined;
    const raw = this.input.slice(start, i + 1);
    const value = unescapeStr(raw);
    if (value === undefined) return undefined;
    // libsinsp's last token is the unescaped text (error messages quote it)
    this.lastToken = value;
    this.idx = i + 1;
    return value;
  }
}

/**
 * unescape_str of libsinsp: `raw` includes its quotes. Returns undefined on an invalid escape.
 * `\xHH` is libs-master only and deliberately not supported (0.40 language level).
 */
export function unescapeStr(raw: string): string | undefined {
  const q = raw[0];
  if ((q !== '"' && q !== "'") || raw.length < 2 || raw[raw.length - 1] !== q) return undefined;
  const body = raw.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = body[++i];
    switch (n) {
      case "b":
        out += "\b";
        break;
      case "f":
        out += "\f";
        break;
      case "n":
        out += "\n";
        break;
      case "r":
        out += "\r";
        break;
      case "t":
        out += "\t";
        break;
      case "\\":
        out += "\\";
        break;
      case "/":
        out += "/";
        break;
      case " ":
        // legacy: backslash-space stands for a backslash followed by a space
        out += "\\ ";
        break;
      case '"':
        if (q !== '"') return undefined;
        out += '"';
        break;
      case "'":
        if (q !== "'") return undefined;
        out += "'";
        break;
      default:
        return undefined;
    }
  }
  return out;
}
