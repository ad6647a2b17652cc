import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseJsonChunks } from "./json-chunks.js";

/** The body cut at the given byte offsets (multi-byte characters may be split). */
function cut(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text, "utf8");
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

function outcome(f: () => unknown): { value?: unknown; error?: string } {
  try {
    return { value: f() };
  } catch (err) {
    return { error: (err as Error).name };
  }
}

test("the same value as JSON.parse for any JSON, however it is cut", () => {
  fc.assert(
    fc.property(fc.json(), fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
      assert.deepEqual(parseJsonChunks(cut(text, cuts), 0), JSON.parse(text));
    }),
    { numRuns: 500 },
  );
});

test("EventList and arrays of objects: items cut out and put back in order", () => {
  const items = Array.from({ length: 50 }, (_, i) => ({
    kind: "Event",
    i,
    s: `é}{]["\\${i}`,
    n: [i, { x: i }],
  }));
  const list = { kind: "EventList", apiVersion: "audit.k8s.io/v1", items, after: [1, "x", { y: 2 }] };
  for (const value of [list, items, { a: items, b: items.slice(3) }, [list, list]]) {
    const text = JSON.stringify(value, null, 1);
    for (const size of [1, 7, 100, 4096]) {
      const chunks = cut(
        text,
        Array.from({ length: Math.ceil(text.length / size) }, (_, k) => k * size),
      );
      assert.deepEqual(parseJsonChunks(chunks, 0), value);
    }
  }
});

test("duplicate keys: the last wins, as with JSON.parse", () => {
  const text = '{"items":[{"a":1},{"a":2}],"items":[{"b":3}]}';
  assert.deepEqual(parseJsonChunks([Buffer.from(text)], 0), JSON.parse(text));
});

test("a string that looks like a placeholder stays a string", () => {
  const text = '{"items":[{"a":1},"\\u0000abc:0",{"b":2}]}';
  assert.deepEqual(parseJsonChunks([Buffer.from(text)], 0), JSON.parse(text));
});

test("malformed bodies are refused as JSON.parse refuses them", () => {
  const bad = [
    '{"items":[{"a":1]}',
    '{"items":[{"a":1},]}',
    '{"items":[{"a":1}{"b":2}]}',
    '[{"a":1}] x',
    '{"items":[{"a":"\u0001"}]}',
    '{"items":[{"a":1}',
    "[{}",
    '{"items":[{"a":1}]}}',
    "",
  ];
  for (const text of bad) {
    assert.equal(outcome(() => parseJsonChunks(cut(text, [5, 11]), 0)).error, "SyntaxError", text);
  }
  fc.assert(
    fc.property(
      fc.json(),
      fc.nat(),
      fc.string({ maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      (text, at, junk, cuts) => {
        const i = at % (text.length + 1);
        const broken = text.slice(0, i) + junk + text.slice(i);
        const expected = outcome(() => JSON.parse(broken));
        const got = outcome(() => parseJsonChunks(cut(broken, cuts), 0));
        assert.deepEqual(got, expected, broken);
      },
    ),
    { numRuns: 1000 },
  );
});

test("large bodies (past the whole-parse size) take the cutting path", () => {
  const items = Array.from({ length: 400 }, (_, i) => ({
    kind: "Event",
    auditID: `id-${i}`,
    pad: "x".repeat(300),
  }));
  const text = JSON.stringify({ kind: "EventList", items });
  assert.ok(text.length > 64 << 10);
  assert.deepEqual(parseJsonChunks(cut(text, [65536, 100000])), JSON.parse(text));
});
