import assert from "node:assert/strict";
import { test } from "node:test";
import { isMap, isSeq } from "yaml";
import { parseRulesYaml } from "./yaml-doc.js";
import { Item } from "./yamlitem.js";

/** 1-based line:col of the first syntax error. */
const errorAt = (content: string): string | undefined => {
  const { error, lc } = parseRulesYaml(content);
  if (!error) return undefined;
  const p = lc.linePos(error.offset);
  return `${p.line}:${p.col}`;
};

test("syntax errors are placed where yaml-cpp (Falco's YAML library) reports them", () => {
  // yaml-cpp: "illegal map value" at the offending ':'
  assert.equal(errorAt("- rule: a: b\n"), "1:10");
  assert.equal(errorAt("- rule: x\n   desc: y\n"), "2:8");
  assert.equal(errorAt("- rule: x\n  condition: a: b\n"), "2:15");
  // "end of sequence not found" at the first character of the line that cannot continue it
  assert.equal(errorAt("- a\n- b: c\n d"), "3:2");
  assert.equal(errorAt("- rule: x\n desc: y\n"), "2:2");
  // "illegal tab when looking for indentation" at the tab
  assert.equal(errorAt("- macro: m\n\tcondition: x\n"), "2:1");
  // "illegal flow end", "unknown token", "end of sequence flow not found": same places
  assert.equal(errorAt("key: [1, 2]]\n"), "1:12");
  assert.equal(errorAt("- rule: x\n  output: %proc.name\n"), "2:11");
  assert.equal(errorAt("- rule: [a\n"), "2:1");
  assert.equal(errorAt("---\n- a\n---\n- b: [\n"), "5:1");
  // "the referenced anchor is not defined" at the alias
  assert.equal(errorAt("- rule: &a x\n- rule: *b\n"), "2:9");
});

test("duplicate keys are allowed (the first counts) and aliases stand for their anchors, as in yaml-cpp", () => {
  const { docs, error, lc } = parseRulesYaml(
    "- list: a\n  items: &x [p, q]\n  items: [z]\n- list: b\n  items: *x\n",
  );
  assert.equal(error, undefined);
  const root = docs[0]!.contents;
  assert.ok(isSeq(root));
  const b = root.items[1];
  assert.ok(isMap(b));
  const items = b.get("items", true);
  assert.ok(isSeq(items));
  assert.deepEqual(
    items.items.map((n) => String((n as { value: unknown }).value)),
    ["p", "q"],
  );
  // the first `items:` of list a counts
  const a = root.items[0];
  assert.ok(isMap(a));
  assert.deepEqual(new Item(a, lc).scalarSeq("items", true), ["p", "q"]);
});
