import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { formatProblem, loadRules, loadRulesFromSources } from "./load.js";
import { printRules } from "./print.js";
import type { Rule, RuleSet } from "./types.js";

function load(text: string): RuleSet {
  const r = loadRulesFromSources([{ file: "r.yaml", text }]);
  assert.deepEqual(r.problems.map(formatProblem), []);
  return r.ruleset!;
}

/** Rules without positions, for comparing a reload with the original. */
function semantic(rules: Rule[]): unknown {
  return rules.map(({ pos: _p, actions, ...r }) => ({
    ...r,
    actions: actions.map(({ pos: _q, locations: _l, ...a }) => a),
  }));
}

describe("printRules", () => {
  test("Talon's key order, settings as strings, sorted parameter keys", () => {
    const rs = load(`
- rule: R
  dry_run: server
  continue: false
  notifiers: [slack]
  actions:
    - action: A
      actionner: kubernetes:download
      description: "a: colon"
      parameters: {z: 1, a: {y: 2, b: [x, "true"]}}
      output: {target: local:file, parameters: {destination: /tmp}}
      additional_contexts: [k8snode]
      ignore_errors: no
      continue: Yes
  match:
    source: syscall
    rules: [Shell]
    priority: "<=Error"
    tags: ["a,b", c]
    output_fields: ['x!="1",y=2']
- rule: Bare
  actions:
    - action: B
      actionner: kubernetes:terminate
`);
    assert.equal(
      printRules(rs),
      `---
- rule: R
  continue: "false"
  dry_run: server
  notifiers:
  - slack
  actions:
  - parameters:
      a:
        b:
        - x
        - "true"
        y: 2
      z: 1
    output:
      parameters:
        destination: /tmp
      target: local:file
    action: A
    description: "a: colon"
    actionner: kubernetes:download
    continue: "true"
    ignore_errors: "false"
    additional_contexts:
    - k8snode
  match:
    output_fields:
    - x!=1, y=2
    priority: <=Error
    source: syscall
    rules:
    - Shell
    tags:
    - a, b
    - c
- rule: Bare
  actions:
  - action: B
    actionner: kubernetes:terminate
  match: {}
`,
    );
  });

  test("no rule prints an empty list", () => {
    assert.equal(printRules({ rules: [], actions: [] }), "---\n[]\n");
  });

  test("the printed rules load back to the same merged rules", () => {
    const r = loadRules([
      join(import.meta.dirname, "testdata", "rules.yaml"),
      join(import.meta.dirname, "testdata", "rules_override.yaml"),
    ]);
    assert.deepEqual(r.problems, []);
    const printed = printRules(r.ruleset!);
    const again = load(printed);
    assert.deepEqual(semantic(again.rules), semantic(r.ruleset!.rules));
  });
});
