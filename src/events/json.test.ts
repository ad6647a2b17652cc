import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { errorText } from "../error-text.js";
import { JsonNumber } from "./event.js";
import { parseJsonExact, parseJsonExactSlow, stringifyJsonExact } from "./json.js";

/** The result or the error message, so both paths can be compared whole. */
function outcome(parse: (t: string) => unknown, text: string): unknown {
  try {
    return { value: parse(text) };
  } catch (err) {
    return { error: errorText(err) };
  }
}

describe("parseJsonExact: the native fast path agrees with the exact parser", () => {
  test("on any JSON text, numbers and unicode included", () => {
    fc.assert(
      fc.property(fc.json({ depthSize: "medium" }), (text) => {
        assert.deepEqual(outcome(parseJsonExact, text), outcome(parseJsonExactSlow, text));
      }),
      { numRuns: 2000 },
    );
  });

  test("on mangled JSON (same value, or the same error at the same position)", () => {
    const mangled = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom("", '"', "\\", "{", "]", ",", "-", "1e", "0.", "\u0001"))
      .map(([t, at, insert]) => t.slice(0, at % (t.length + 1)) + insert + t.slice(at % (t.length + 1)));
    fc.assert(
      fc.property(mangled, (text) => {
        assert.deepEqual(outcome(parseJsonExact, text), outcome(parseJsonExactSlow, text));
      }),
      { numRuns: 3000 },
    );
  });

  test("numbers that JSON.parse would change keep their text", () => {
    const v = parseJsonExact('{"a":12345678901234567890,"b":1.0,"c":-0,"d":1e2,"e":5,"f":"7"}') as Record<
      string,
      unknown
    >;
    assert.deepEqual(v, {
      a: new JsonNumber("12345678901234567890"),
      b: new JsonNumber("1.0"),
      c: new JsonNumber("-0"),
      d: new JsonNumber("1e2"),
      e: 5,
      f: "7",
    });
  });

  test("escaped quotes and backslashes before a closing quote, digits inside strings", () => {
    const text = '{"a\\\\":"x\\"1.0\\\\","b":[1.5,"-0"],"c":{"d":"\\\\\\""}}';
    assert.deepEqual(parseJsonExact(text), JSON.parse(text));
  });

  test("deep nesting is refused as before, a __proto__ key stays plain data", () => {
    assert.throws(() => parseJsonExact(`${"[".repeat(600)}${"]".repeat(600)}`), /nesting too deep/);
    const v = parseJsonExact('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(v), ["__proto__"]);
  });
});

test("stringifyJsonExact: JSON.stringify's text without JsonNumbers, their literals with them", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      assert.equal(stringifyJsonExact(v), JSON.stringify(v));
    }),
    { numRuns: 300 },
  );
  const deep = { a: [1, { b: new JsonNumber("12345678901234567890"), c: "x" }], d: undefined, e: null };
  assert.equal(stringifyJsonExact(deep), '{"a":[1,{"b":12345678901234567890,"c":"x"}],"e":null}');
  assert.equal(stringifyJsonExact([new JsonNumber("1.0"), undefined]), "[1.0,null]");
});
