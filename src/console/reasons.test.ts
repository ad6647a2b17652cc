import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { event } from "../../test/support/pipeline.js";
import { loadRulesFromSources } from "../rules/index.js";
import { matchRule } from "../rules/match.js";
import { newConsoleEvent } from "./fold.js";
import { matchReasons, withReasons } from "./reasons.js";

const rules = loadRulesFromSources([
  {
    file: "r.yaml",
    text: `
- rule: all
  match:
    rules: [Terminal shell in container, Other]
    priority: ">=Error"
    source: syscall
    tags: ["a, b", c]
    output_fields: [k8s.ns.name=default, k8s.pod.name!=nginx]
  actions: [{action: x, actionner: k:x}]
- rule: none
  actions: [{action: x, actionner: k:x}]
`,
  },
]).ruleset!.rules;

describe("match reasons", () => {
  it("lists each criterion the rule sets, with the event's value and whether it held", () => {
    const e = event({ priority: "Warning", tags: ["c"] });
    assert.deepEqual(matchReasons(rules[0]!.match, e), [
      { criterion: "rules", expected: "Terminal shell in container, Other", actual: e.rule, held: true },
      { criterion: "priority", expected: ">=Error", actual: "Warning", held: false },
      { criterion: "source", expected: "syscall", actual: "syscall", held: true },
      { criterion: "tags", expected: "a, b | c", actual: "c", held: true },
      {
        criterion: "output_fields",
        expected: "k8s.ns.name=default | k8s.pod.name!=nginx",
        actual: "k8s.ns.name=default, k8s.pod.name=nginx",
        held: true,
      },
    ]);
    assert.deepEqual(matchReasons(rules[1]!.match, e), [], "a rule matching everything has no criterion");
  });

  it("agrees with the matcher", () => {
    const cases = [
      {},
      { priority: "Critical" },
      { priority: "Critical", tags: ["a"] },
      { priority: "Critical", tags: ["b", "a"], output_fields: { "k8s.ns.name": "x", "k8s.pod.name": "y" } },
      { priority: "Error", tags: ["c"], source: "k8s_audit" },
      { rule: "Other", priority: "Alert", tags: ["c"] },
    ];
    for (const extra of cases) {
      const e = event(extra);
      for (const rule of rules) {
        const held = matchReasons(rule.match, e).every((r) => r.held);
        assert.equal(held, matchRule(rule, e), `${rule.name} ${JSON.stringify(extra)}`);
      }
    }
  });

  it("gives an event read back from the trail the reasons of its rules still in force", () => {
    const ev = newConsoleEvent("e", "2026-01-02T10:00:00Z", "r");
    ev.event = { ...ev.event, rule: "Terminal shell in container", priority: "Warning" };
    ev.matches = [
      { rule: "none", reasons: [] },
      { rule: "all", reasons: [] },
      { rule: "gone", reasons: [] },
    ];
    const out = withReasons(ev, rules);
    assert.deepEqual(out.matches[0], { rule: "none", origin: "r.yaml:10:3", reasons: [] });
    assert.deepEqual(
      out.matches[1],
      { rule: "all", reasons: [] },
      "its criteria no longer hold: left as read",
    );
    assert.deepEqual(out.matches[2], { rule: "gone", reasons: [] });
    assert.deepEqual(ev.matches[0], { rule: "none", reasons: [] }, "the event read is not changed");
  });
});
