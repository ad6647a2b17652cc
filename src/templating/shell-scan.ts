/**
 * A small shell-aware scanner for templates run by a POSIX shell (sh, dash, bash, busybox).
 * It copies the template and rewrites each template variable into a reference to the shell
 * variable carrying its value (see refs.ts), fitted to where it stands, so that the shell
 * expands the value and never parses it as code:
 *   - a plain word:                 `"${__talon_X}"` (one word: no splitting, no globbing);
 *   - inside "…", an unquoted here-document body: `${__talon_X}`;
 *   - inside '…':                   `'"${__talon_X}"'` (closes the quote, expands, reopens);
 *   - inside bash's $'…':           `'"${__talon_X}"$'`;
 *   - inside $(…) and `…` (also within "…"): as in a plain word of the inner command (a
 *     backquoted body is unescaped, rewritten, then escaped again).
 * It also reports the positions no rewriting makes safe: arithmetic ($((…)), $[…], ((…))),
 * here-documents with a quoted delimiter (never expanded by the shell) and their delimiters,
 * comments are skipped, and each simple command goes through the command checks (shell-rules.ts).
 * When the scanner reads the template differently from the shell (odd syntax), the value can at
 * worst land in the wrong quoting: the shell still expands it as a variable, never as code.
 */
import { type DollarRef, readDollar } from "./refs.js";
import { type Frame, RESERVED, type RefContext, type ScanShared } from "./scan-state.js";
import { commandHits, declaresIntegerOrNameref, subscriptHits, type WordRef } from "./shell-rules.js";

export type { RefContext, ScanProblem, ScanRef, ScanShared } from "./scan-state.js";

export class ShellScanner {
  out = "";
  private i = 0;
  private readonly frames: Frame[] = [];
  private arith = 0;

  /**
   * @param src the text to scan (a template, or a backquoted body after unescaping)
   * @param posOf maps an index in `src` to an offset in the template
   * @param inheritedArith set when `src` sits inside arithmetic
   * @param onRef told of each variable met (a backquoted body reports to its enclosing word)
   */
  constructor(
    private readonly src: string,
    private readonly shared: ScanShared,
    private readonly posOf: (i: number) => number = (i) => i,
    private readonly inheritedArith = false,
    private readonly onRef?: (ref: WordRef) => void,
  ) {}

  /** Scans the whole text as a command list. */
  run(): string {
    this.commands(false);
    return this.out;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private get frame(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  private lit(text: string): void {
    const f = this.frame;
    if (f?.cur) f.cur.lit += text;
  }

  private word(): void {
    const f = this.frame;
    if (f && !f.cur) f.cur = { lit: "", refs: [] };
  }

  private problem(i: number, reason: string, variable?: string, text?: string): void {
    this.shared.problems.push({
      offset: this.posOf(i),
      reason,
      ...(variable !== undefined ? { variable } : {}),
      ...(text !== undefined ? { text } : {}),
    });
  }

  /** Records a variable and adds it to every open word (outer words included). */
  private noteRef(name: string, i: number, context: RefContext): WordRef {
    const offset = this.posOf(i);
    this.shared.refs.push({ name, offset, context });
    const ref: WordRef = { name, offset, at: 0 };
    this.attach(ref);
    return ref;
  }

  private attach(ref: WordRef): void {
    for (const f of this.frames) if (f.cur) f.cur.refs.push({ ...ref, at: f.cur.lit.length });
    this.onRef?.(ref);
    this.lit("\0");
  }

  private inArith(): boolean {
    return this.arith > 0 || this.inheritedArith;
  }

  /** A `$` at this.i, in the given quoting context. */
  private dollar(context: RefContext): void {
    const s = this.src;
    const r: DollarRef = readDollar(s, this.i);
    if (r.kind === "var") {
      const at = this.i;
      this.noteRef(r.name, at, context);
      if (this.inArith()) {
        this.problem(
          at,
          "it is inside arithmetic, and bash evaluates the contents of variables in arithmetic, so a value such as a[$(cmd)] would run cmd",
          r.name,
        );
      }
      const v = this.shared.names.shellName(r.name);
      if (context === "word") this.out += `"\${${v}}"`;
      else if (context === "single") this.out += `'"\${${v}}"'`;
      else if (context === "ansi") this.out += `'"\${${v}}"$'`;
      else this.out += `\${${v}}`;
      this.i += r.length;
      return;
    }
    if (r.kind === "special" || r.kind === "bad") {
      if (r.kind === "bad") this.problem(this.i, r.reason, undefined, r.text);
      this.out += s.slice(this.i, this.i + r.length);
      this.lit(s.slice(this.i, this.i + r.length));
      this.i += r.length;
      return;
    }
    const next = s[this.i + 1];
    if (context === "single" || context === "ansi") {
      this.out += "$";
      this.lit("$");
      this.i++;
    } else if (next === "(" && s[this.i + 2] === "(") {
      this.out += "$((";
      this.i += 3;
      this.arithmetic("))");
    } else if (next === "(") {
      this.out += "$(";
      this.i += 2;
      this.commands(true);
    } else if (next === "[") {
      this.out += "$[";
      this.i += 2;
      this.arithmetic("]");
    } else if (next === "'" && (context === "word" || context === "arith")) {
      this.out += "$'";
      this.i += 2;
      this.quoted("ansi");
    } else {
      this.out += "$";
      this.lit("$");
      this.i++;
    }
  }

  /** Copies `\x` (two characters) as is. */
  private escape(): void {
    const pair = this.src.slice(this.i, this.i + 2);
    this.out += pair;
    if (pair[1] !== "\n") this.lit(pair.slice(1));
    this.i += pair.length;
  }

  // ---- quoting ---------------------------------------------------------------------------

  /** '…' or $'…', from just after the opening quote to just after the closing one. */
  private quoted(kind: "single" | "ansi"): void {
    const s = this.src;
    if (kind === "single") this.out += "'";
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === "'") {
        this.out += "'";
        this.i++;
        return;
      }
      if (c === "\\" && kind === "ansi") {
        this.out += s.slice(this.i, this.i + 2);
        this.lit(s.slice(this.i + 1, this.i + 2));
        this.i += 2;
      } else if (c === "$") this.dollar(kind);
      else {
        this.out += c;
        this.lit(c);
        this.i++;
      }
    }
  }

  /** "…", from the opening quote. */
  private doubleQuoted(): void {
    const s = this.src;
    this.out += '"';
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === '"') {
        this.out += '"';
        this.i++;
        return;
      }
      if (c === "\\") this.escape();
      else if (c === "$") this.dollar("double");
      else if (c === "`") this.backquoted(true);
      else {
        this.out += c;
        this.lit(c);
        this.i++;
      }
    }
  }

  /**
   * `…`, from the opening backquote. The body is unescaped (\\, \`, \$, and \" within "…"),
   * scanned as a command list of its own, and escaped again.
   */
  private backquoted(inDouble: boolean): void {
    const s = this.src;
    const start = this.i;
    this.i++;
    let body = "";
    const at: number[] = [];
    let closed = false;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === "`") {
        closed = true;
        this.i++;
        break;
      }
      const n = s[this.i + 1];
      if (
        c === "\\" &&
        n !== undefined &&
        (n === "\\" || n === "`" || n === "$" || (inDouble && n === '"'))
      ) {
        body += n;
        at.push(this.i + 1);
        this.i += 2;
      } else {
        body += c;
        at.push(this.i);
        this.i++;
      }
    }
    const inner = new ShellScanner(
      body,
      this.shared,
      (k) => this.posOf(at[k] ?? start),
      this.inArith(),
      (ref) => this.attach(ref),
    );
    const text = inner.run();
    const escaped = text.replace(inDouble ? /[\\`"]/g : /[\\`]/g, (c) => `\\${c}`);
    this.out += `\`${escaped}${closed ? "`" : ""}`;
  }

  // ---- arithmetic ------------------------------------------------------------------------

  /** After `$((`, `((` or `$[`, up to and including the closing `))` or `]`. */
  private arithmetic(close: "))" | "]"): void {
    const s = this.src;
    this.arith++;
    let depth = 0;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (close === "))" && c === ")" && depth === 0 && s[this.i + 1] === ")") {
        this.out += "))";
        this.i += 2;
        break;
      }
      if (close === "]" && c === "]" && depth === 0) {
        this.out += "]";
        this.i++;
        break;
      }
      if (c === "(") depth++;
      else if (c === ")") depth--;
      if (c === "\\") this.escape();
      else if (c === "$") this.dollar("arith");
      else if (c === "`") this.backquoted(false);
      else if (c === '"') this.doubleQuoted();
      else if (c === "'") {
        this.i++;
        this.quoted("single");
      } else {
        this.out += c;
        this.lit(c);
        this.i++;
      }
    }
    this.arith--;
  }

  // ---- here-documents --------------------------------------------------------------------

  /** At `<<` (not `<<<`): copies the operator and delimiter word and queues the body. */
  private heredocOperator(f: Frame): void {
    const s = this.src;
    let j = this.i + 2;
    const stripTabs = s[j] === "-";
    if (stripTabs) j++;
    while (s[j] === " " || s[j] === "\t") j++;
    let delimiter = "";
    let quoted = false;
    while (j < s.length && !/[\s;&|()<>]/.test(s[j] as string)) {
      const c = s[j] as string;
      if (c === "'" || c === '"') {
        quoted = true;
        const end = s.indexOf(c, j + 1);
        const stop = end < 0 ? s.length : end;
        delimiter += s.slice(j + 1, stop);
        j = stop + 1;
      } else if (c === "\\") {
        quoted = true;
        delimiter += s[j + 1] ?? "";
        j += 2;
      } else {
        if (c === "$") {
          const r = readDollar(s, j);
          if (r.kind === "var") {
            this.problem(j, "it is in a here-document delimiter, which the shell never expands", r.name);
          }
        }
        delimiter += c;
        j++;
      }
    }
    this.out += s.slice(this.i, j);
    this.i = j;
    f.heredocs.push({ delimiter, quoted, stripTabs });
  }

  /** After the newline that ends a line with here-document operators: their bodies, in order. */
  private heredocBodies(f: Frame): void {
    const s = this.src;
    for (const h of f.heredocs) {
      const bodyStart = this.i;
      let lineStart = this.i;
      let bodyEnd = s.length;
      let after = s.length;
      while (lineStart < s.length) {
        const nl = s.indexOf("\n", lineStart);
        const lineEnd = nl < 0 ? s.length : nl;
        const line = s.slice(lineStart, lineEnd);
        if ((h.stripTabs ? line.replace(/^\t+/, "") : line) === h.delimiter) {
          bodyEnd = lineStart;
          after = nl < 0 ? s.length : nl + 1;
          break;
        }
        lineStart = nl < 0 ? s.length : nl + 1;
      }
      if (h.quoted) {
        for (let j = bodyStart; j < bodyEnd; j++) {
          if (s[j] !== "$") continue;
          const r = readDollar(s, j);
          if (r.kind === "var") {
            this.shared.refs.push({ name: r.name, offset: this.posOf(j), context: "heredoc" });
            this.problem(
              j,
              `it is in a here-document with a quoted delimiter (${h.delimiter}), which the shell never expands; write the delimiter unquoted to have the value inserted`,
              r.name,
            );
          }
        }
        this.out += s.slice(bodyStart, after);
        this.i = after;
        continue;
      }
      while (this.i < bodyEnd) {
        const c = s[this.i] as string;
        if (c === "\\") this.escape();
        else if (c === "$") this.dollar("heredoc");
        else if (c === "`") this.backquoted(false);
        else {
          this.out += c;
          this.i++;
        }
      }
      this.out += s.slice(this.i, after);
      this.i = after;
    }
    f.heredocs = [];
  }

  // ---- command lists ---------------------------------------------------------------------

  private endWord(f: Frame): void {
    const w = f.cur;
    if (!w) return;
    f.cur = null;
    if (f.array) {
      this.hits(subscriptHits(w));
      return;
    }
    if (f.redirTarget) {
      f.redirTarget = false;
      return;
    }
    const top = f.cases[f.cases.length - 1];
    const bare = w.refs.length === 0;
    if (top === "subject") {
      if (bare && w.lit === "in") f.cases[f.cases.length - 1] = "pattern";
      return;
    }
    if (top === "pattern") {
      if (bare && w.lit === "esac") f.cases.pop();
      return;
    }
    if (f.words.length === 0 && bare && !f.dbl) {
      if (w.lit === "case") {
        f.cases.push("subject");
        return;
      }
      if (w.lit === "esac" && top === "body") {
        f.cases.pop();
        return;
      }
      if (RESERVED.has(w.lit)) return;
      if (w.lit === "[[") f.dbl = true;
    } else if (f.dbl && bare && w.lit === "]]") f.dbl = false;
    f.words.push(w);
  }

  private endCommand(f: Frame): void {
    this.endWord(f);
    if (f.words.length > 0) {
      this.hits(commandHits(f.words));
      if (this.shared.integerDecl === undefined && declaresIntegerOrNameref(f.words)) {
        this.shared.integerDecl = this.posOf(Math.max(0, this.i - 1));
      }
    }
    f.words = [];
    f.dbl = false;
  }

  private hits(list: { ref: WordRef; reason: string }[]): void {
    for (const h of list) {
      if (this.shared.problems.some((p) => p.offset === h.ref.offset && p.reason === h.reason)) continue;
      this.shared.problems.push({ offset: h.ref.offset, variable: h.ref.name, reason: h.reason });
    }
  }

  /**
   * A command list up to the end of the text, or (nested) up to its unmatched `)`, which is
   * copied. Each simple command is checked when it ends.
   */
  private commands(nested: boolean): void {
    const s = this.src;
    const f: Frame = {
      words: [],
      cur: null,
      depth: 0,
      heredocs: [],
      dbl: false,
      array: false,
      redirTarget: false,
      cases: [],
    };
    this.frames.push(f);
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === "\\") {
        this.word();
        this.escape();
      } else if (c === " " || c === "\t") {
        this.endWord(f);
        this.out += c;
        this.i++;
      } else if (c === "\n") {
        if (f.array) this.endWord(f);
        else this.endCommand(f);
        this.out += c;
        this.i++;
        if (f.heredocs.length > 0) this.heredocBodies(f);
      } else if (c === "#" && !f.cur) {
        const nl = s.indexOf("\n", this.i);
        const stop = nl < 0 ? s.length : nl;
        this.out += s.slice(this.i, stop);
        this.i = stop;
      } else if (c === "'") {
        this.word();
        this.i++;
        this.quoted("single");
      } else if (c === '"') {
        this.word();
        this.doubleQuoted();
      } else if (c === "`") {
        this.word();
        this.backquoted(false);
      } else if (c === "$") {
        this.word();
        this.dollar("word");
      } else if (f.dbl && /[&|()<>]/.test(c)) {
        this.endWord(f);
        let j = this.i;
        while (j < s.length && /[&|()<>]/.test(s[j] as string)) j++;
        f.words.push({ lit: s.slice(this.i, j), refs: [] });
        this.out += s.slice(this.i, j);
        this.i = j;
      } else if (c === ";" || c === "&" || c === "|") {
        let j = this.i;
        while (j < s.length && /[;&|]/.test(s[j] as string)) j++;
        const op = s.slice(this.i, j);
        this.endCommand(f);
        if (op.startsWith(";;") || op === ";&") {
          if (f.cases[f.cases.length - 1] === "body") f.cases[f.cases.length - 1] = "pattern";
        }
        this.out += op;
        this.i = j;
      } else if (c === "(") {
        const top = f.cases[f.cases.length - 1];
        if (
          s[this.i + 1] === "(" &&
          !f.cur &&
          (f.words.length === 0 || f.words[f.words.length - 1]?.lit === "for")
        ) {
          this.out += "((";
          this.i += 2;
          this.arithmetic("))");
          continue;
        }
        if (top === "pattern" && !f.cur) {
          this.out += "(";
          this.i++;
          continue;
        }
        if (f.cur?.lit.endsWith("=")) {
          this.endWord(f);
          f.array = true;
        } else {
          this.endCommand(f);
          f.depth++;
        }
        this.out += "(";
        this.i++;
      } else if (c === ")") {
        const top = f.cases[f.cases.length - 1];
        if (f.array) {
          this.endWord(f);
          f.array = false;
        } else if (top === "pattern") {
          f.cur = null;
          f.cases[f.cases.length - 1] = "body";
        } else {
          this.endCommand(f);
          if (f.depth === 0 && nested) {
            this.out += ")";
            this.i++;
            break;
          }
          if (f.depth > 0) f.depth--;
        }
        this.out += ")";
        this.i++;
      } else if (c === "<" || c === ">") {
        if (f.cur && /^[0-9]+$/.test(f.cur.lit)) f.cur = null;
        this.endWord(f);
        if (s.startsWith("<<", this.i) && !s.startsWith("<<<", this.i)) {
          this.heredocOperator(f);
          continue;
        }
        let j = this.i;
        while (j < s.length && /[<>&|]/.test(s[j] as string)) j++;
        this.out += s.slice(this.i, j);
        this.i = j;
        f.redirTarget = true;
      } else {
        this.word();
        this.out += c;
        this.lit(c);
        this.i++;
      }
    }
    if (this.i >= s.length) this.endCommand(f);
    this.frames.pop();
  }
}
