/**
 * A strict JSON parser that keeps number literals exactly as sent.
 * JSON.parse turns 12345678901234567890 into 12345678901234567000 and 1.0 into 1;
 * Falco sends pids, inode numbers and ports that must match and substitute verbatim.
 * Numbers whose text survives a JS round trip become plain numbers; others become JsonNumber.
 *
 * Most bodies have only such plain numbers and shallow nesting: a scan of the number literals
 * proves that, and the native JSON.parse (several times faster than a parser written in JS)
 * then gives the same value. Anything else, malformed input included, goes through the exact
 * parser, which also writes the error messages.
 */
import { JsonNumber } from "./event.js";

export class JsonSyntaxError extends Error {}

/** Nesting the exact parser accepts; the scan hands anything near it to that parser. */
const MAX_DEPTH = 512;

export function parseJsonExact(text: string): unknown {
  if (nativeParseIsExact(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Malformed: the exact parser says where.
    }
  }
  return parseJsonExactSlow(text);
}

/**
 * True when JSON.parse reads `text` as the exact parser would: every number literal outside
 * strings survives a round trip (`String(Number(raw)) === raw`) and nesting stays well under
 * the limit. Digits and `-` only occur outside strings as parts of numbers, so the scan only
 * has to skip strings.
 */
function nativeParseIsExact(text: string): boolean {
  const n = text.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: the first one not preceded by an odd run of backslashes.
      for (;;) {
        const j = text.indexOf('"', i + 1);
        if (j < 0) return false;
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        i = j;
        if ((j - 1 - k) % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth >= MAX_DEPTH) return false;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        // digits . e E + -
        if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d))
          break;
      }
      const raw = text.slice(i, j);
      if (String(Number(raw)) !== raw) return false;
      i = j - 1;
    }
  }
  return true;
}

/** The exact parser alone (exported for the tests that compare both paths). */
export function parseJsonExactSlow(text: string): unknown {
  let i = 0;
  const n = text.length;

  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at position ${i}`);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };

  const parseString = (): string => {
    // Fast path: no escapes.
    const start = ++i;
    let j = start;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x22) {
        i = j + 1;
        return text.slice(start, j);
      }
      if (c === 0x5c || c < 0x20) break;
      j++;
    }
    let out = text.slice(start, j);
    i = j;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c === 0x5c) {
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "/":
            out += "/";
            break;
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
          case "u": {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad unicode escape");
            out += String.fromCharCode(Number.parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            i -= 2;
            fail("bad escape");
        }
        continue;
      }
      out += text[i];
      i++;
    }
    return fail("unterminated string");
  };

  const NUM_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const parseNumber = (): number | JsonNumber => {
    NUM_RE.lastIndex = i;
    const m = NUM_RE.exec(text);
    if (!m) return fail("bad number");
    const raw = m[0];
    i += raw.length;
    const num = Number(raw);
    return String(num) === raw ? num : new JsonNumber(raw);
  };

  const parseValue = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail("nesting too deep");
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected string key");
        const k = parseString();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        const v = parseValue(depth + 1);
        // Keep prototype-polluting keys as plain data.
        Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (c === "t" && text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (c === "f" && text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (c === "n" && text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return parseNumber();
    return fail("unexpected token");
  };

  const v = parseValue(0);
  ws();
  if (i !== n) fail("trailing data");
  return v;
}

/** JSON.stringify that writes JsonNumber values as their exact literal. */
export function stringifyJsonExact(value: unknown): string {
  // Most values hold no JsonNumber: the native stringifier then writes the same text, faster.
  if (!needsExactWriter(value, 0)) return JSON.stringify(value) ?? "null";
  return writeExact(value);
}

/** True when `value` holds a JsonNumber, or anything JSON.stringify would write differently. */
function needsExactWriter(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (value instanceof JsonNumber || depth > 64) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (needsExactWriter(v, depth + 1)) return true;
    return false;
  }
  // toJSON (a Date...) is honoured by JSON.stringify, not by the exact writer.
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return true;
  for (const k in value) {
    if (Object.hasOwn(value, k) && needsExactWriter((value as Record<string, unknown>)[k], depth + 1))
      return true;
  }
  return false;
}

function writeExact(value: unknown): string {
  if (value instanceof JsonNumber) return value.raw;
  if (value === null || typeof value !== "object") {
    const s = JSON.stringify(value);
    return s === undefined ? "null" : s;
  }
  if (Array.isArray(value)) return `[${value.map(writeExact).join(",")}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === "function") continue;
    parts.push(`${JSON.stringify(k)}:${writeExact(v)}`);
  }
  return `{${parts.join(",")}}`;
}
