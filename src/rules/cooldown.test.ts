import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatProblem, loadRulesFromSources } from "./load.js";
import { printRules } from "./print.js";

function load(...texts: string[]) {
  return loadRulesFromSources(texts.map((text, i) => ({ file: `f${i + 1}.yaml`, text })));
}

const rule = (name: string, cooldown: string) => `
- rule: ${name}
${cooldown}  actions:
    - action: A
      actionner: kubernetes:terminate
`;

describe("rules: cooldown_seconds", () => {
  test("a number or a numeric string; unset when absent", () => {
    const r = load(
      rule("A", "  cooldown_seconds: 30\n") + rule("B", '  cooldown_seconds: "1.5"\n') + rule("C", ""),
    );
    assert.deepEqual(r.problems.map(formatProblem), []);
    assert.deepEqual(r.warnings.map(formatProblem), [], "a known key, not an unknown-key warning");
    const byName = new Map(r.ruleset!.rules.map((x) => [x.name, x]));
    assert.equal(byName.get("A")!.cooldownSeconds, 30);
    assert.equal(byName.get("B")!.cooldownSeconds, 1.5);
    assert.equal("cooldownSeconds" in byName.get("C")!, false);
  });

  test("a later same-name rule overrides it only when it sets it", () => {
    const r = load(
      rule("A", "  cooldown_seconds: 30\n"),
      rule("A", "  cooldown_seconds: 0\n"),
      rule("A", ""),
    );
    assert.deepEqual(r.problems.map(formatProblem), []);
    assert.equal(r.ruleset!.rules[0]!.cooldownSeconds, 0);
  });

  test("negative or non-numeric values are errors at their position", () => {
    for (const [bad, got] of [
      ["-1", "-1"],
      ["soon", "'soon'"],
      ["[1]", "a list"],
      ["true", "true"],
    ]) {
      const r = load(rule("A", `  cooldown_seconds: ${bad}\n`));
      assert.equal(r.ruleset, undefined, bad);
      assert.deepEqual(r.problems.map(formatProblem), [
        `f1.yaml:3:21: cooldown_seconds: 'cooldown_seconds' setting must be a number of seconds, 0 or more, got ${got}`,
      ]);
    }
  });

  test("rules print shows it", () => {
    const r = load(rule("A", "  cooldown_seconds: 45\n"));
    assert.match(printRules(r.ruleset!), /cooldown_seconds: 45/);
  });
});
