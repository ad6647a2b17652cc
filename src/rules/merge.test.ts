import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatProblem, type LoadResult, loadRulesFromSources } from "./load.js";
import type { RuleSet } from "./types.js";

function load(...texts: string[]): LoadResult {
  return loadRulesFromSources(texts.map((text, i) => ({ file: `f${i + 1}.yaml`, text })));
}

function ok(...texts: string[]): RuleSet {
  const r = load(...texts);
  assert.deepEqual(r.problems.map(formatProblem), []);
  return r.ruleset!;
}

const RULE_USING_A = `
- rule: R
  actions:
    - action: A
`;

describe("merging action definitions", () => {
  test("later settings win when set; unset ones keep the earlier value", () => {
    const rs = ok(
      `
- action: A
  description: first
  actionner: kubernetes:terminate
  continue: true
  ignore_errors: false
`,
      `
- action: A
  actionner: kubernetes:label
  ignore_errors: true
`,
      RULE_USING_A,
    );
    assert.equal(rs.actions.length, 1);
    const a = rs.actions[0]!;
    assert.equal(a.description, "first");
    assert.equal(a.actionner, "kubernetes:label");
    assert.equal(a.continue, true);
    assert.equal(a.ignoreErrors, true);
    assert.deepEqual(a.pos, { file: "f1.yaml", line: 2, col: 3 });
  });

  test("parameters: scalars replaced, maps merged, lists appended without nesting, null skipped", () => {
    const r = load(
      `
- action: A
  actionner: kubernetes:label
  parameters:
    grace: 1
    keep: x
    labels: {a: "1", b: "2"}
    list: [x]
    kind: [mismatch]
`,
      `
- action: A
  parameters:
    grace: 2
    keep: ~
    labels: {b: "3", c: "4"}
    list: [y, z]
    fresh: [only]
    kind: scalar
`,
      RULE_USING_A,
    );
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.ruleset!.actions[0]!.parameters, {
      grace: 2,
      keep: "x",
      labels: { a: "1", b: "3", c: "4" },
      list: ["x", "y", "z"],
      kind: ["mismatch"],
      fresh: ["only"],
    });
    // A kind mismatch keeps the earlier value and is reported (non-fatal) at the dropped node.
    assert.deepEqual(r.warnings.map(formatProblem), [
      "f2.yaml:9:11: mismatch of type for a parameter 'kind'",
    ]);
  });

  test("output: the first target stays, a later one fills an empty target; parameters merge", () => {
    const rs = ok(
      `
- action: A
  actionner: kubernetes:download
  output:
    target: local:file
    parameters: {destination: /tmp}
- action: B
  actionner: kubernetes:download
`,
      `
- action: A
  output:
    target: aws:s3
    parameters: {bucket: b}
- action: B
  output:
    target: aws:s3
    parameters: {bucket: b}
- rule: R
  actions: [{action: A}, {action: B}]
`,
    );
    assert.deepEqual(rs.actions[0]!.output, {
      target: "local:file",
      parameters: { destination: "/tmp", bucket: "b" },
    });
    assert.deepEqual(rs.actions[1]!.output, { target: "aws:s3", parameters: { bucket: "b" } });
  });

  test("the first occurrence absorbs every later one, across files, in order", () => {
    const rs = ok(
      "- action: A\n  actionner: kubernetes:label\n  parameters: {list: [1], n: 1}\n",
      "- action: A\n  parameters: {list: [2], n: 2}\n- action: B\n  actionner: kubernetes:terminate\n",
      "- action: A\n  description: third\n  parameters: {list: [3]}\n" + RULE_USING_A,
    );
    assert.deepEqual(
      rs.actions.map((a) => a.name),
      ["A", "B"],
    );
    assert.deepEqual(rs.actions[0]!.parameters, { list: [1, 2, 3], n: 2 });
    assert.equal(rs.actions[0]!.description, "third");
  });

  test("additional_contexts are appended without duplicates", () => {
    const rs = ok(
      "- action: A\n  actionner: kubernetes:exec\n  additional_contexts: [k8snode]\n",
      "- action: A\n  additional_contexts: [aws, k8snode]\n",
      RULE_USING_A,
    );
    assert.deepEqual(rs.actions[0]!.additionalContexts, ["k8snode", "aws"]);
  });
});

describe("merging rules", () => {
  test("rules merge even with exactly one action definition (Talon's loop bound BUG)", () => {
    const rs = ok(
      `
- action: Only
  actionner: kubernetes:terminate
- rule: R
  actions: [{action: Only}]
`,
      `
- rule: R
  actions:
    - action: Extra
      actionner: kubernetes:label
`,
    );
    assert.equal(rs.rules.length, 1);
    assert.deepEqual(
      rs.rules[0]!.actions.map((a) => a.name),
      ["Only", "Extra"],
    );
  });

  test("priority and source are kept when the override does not set them (Talon cleared them)", () => {
    const base = `
- rule: R
  match:
    priority: ">=Warning"
    source: syscall
  actions:
    - action: A
      actionner: kubernetes:terminate
`;
    const kept = ok(base, "- rule: R\n  notifiers: [slack]\n").rules[0]!;
    assert.equal(kept.match.priority?.text, ">=Warning");
    assert.equal(kept.match.source, "syscall");
    const replaced = ok(base, "- rule: R\n  match:\n    priority: Critical\n    source: k8s_audit\n")
      .rules[0]!;
    assert.deepEqual(replaced.match.priority, { op: "=", level: 6, text: "Critical" });
    assert.equal(replaced.match.source, "k8s_audit");
  });

  test("settings: later wins when set; lists appended; order of rules is the first occurrence", () => {
    const rs = ok(
      `
- rule: R
  description: first
  continue: false
  notifiers: [slack]
  match:
    rules: [A]
    tags: [a]
    output_fields: [x=1]
  actions:
    - action: One
      actionner: kubernetes:terminate
- rule: S
  actions:
    - action: Two
      actionner: kubernetes:terminate
`,
      `
- rule: R
  dry_run: true
  notifiers: [slack, loki]
  match:
    rules: [B, A]
    tags: ["b, c"]
    output_fields: [y!=2]
  actions:
    - action: Three
      actionner: kubernetes:label
`,
    );
    assert.deepEqual(
      rs.rules.map((r) => r.name),
      ["R", "S"],
    );
    const r = rs.rules[0]!;
    assert.equal(r.description, "first");
    assert.equal(r.continue, false);
    assert.equal(r.dryRun, true);
    assert.deepEqual(r.notifiers, ["slack", "loki"]);
    assert.deepEqual(r.match.rules, ["A", "B"]);
    assert.deepEqual(r.match.tags, [["a"], ["b", "c"]]);
    assert.deepEqual(r.match.outputFields, [
      [{ key: "x", op: "=", value: "1" }],
      [{ key: "y", op: "!=", value: "2" }],
    ]);
    assert.deepEqual(
      r.actions.map((a) => a.name),
      ["One", "Three"],
    );
  });
});

describe("resolving action references", () => {
  const DEF = `
- action: Label
  description: from the definition
  actionner: kubernetes:label
  continue: false
  ignore_errors: true
  additional_contexts: [k8snode]
  parameters:
    labels: {a: def, b: def}
    list: [d1, d2]
    grace: 1
    kind: {map: true}
  output:
    target: local:file
    parameters: {destination: /def, mode: x}
`;

  test("unset keys come from the definition", () => {
    const a = ok(DEF, "- rule: R\n  actions: [{action: Label}]\n").rules[0]!.actions[0]!;
    assert.equal(a.description, "from the definition");
    assert.equal(a.actionner, "kubernetes:label");
    assert.equal(a.continue, false);
    assert.equal(a.ignoreErrors, true);
    assert.deepEqual(a.additionalContexts, ["k8snode"]);
    assert.deepEqual(a.parameters, {
      labels: { a: "def", b: "def" },
      list: ["d1", "d2"],
      grace: 1,
      kind: { map: true },
    });
    assert.deepEqual(a.output, { target: "local:file", parameters: { destination: "/def", mode: "x" } });
  });

  test("the rule's values win: map keys (Talon let the definition win), scalars, target", () => {
    const r = load(
      DEF,
      `
- rule: R
  actions:
    - action: Label
      description: from the rule
      actionner: kubernetes:annotation
      continue: true
      ignore_errors: false
      additional_contexts: [aws]
      parameters:
        labels: {b: rule, c: rule}
        list: [r1]
        grace: 5
        kind: scalar
      output:
        target: aws:s3
        parameters: {destination: /rule, bucket: b}
`,
    );
    assert.deepEqual(r.problems, []);
    const a = r.ruleset!.rules[0]!.actions[0]!;
    assert.equal(a.description, "from the rule");
    assert.equal(a.actionner, "kubernetes:annotation");
    assert.equal(a.continue, true);
    assert.equal(a.ignoreErrors, false);
    assert.deepEqual(a.additionalContexts, ["aws"]);
    assert.deepEqual(a.parameters, {
      labels: { a: "def", b: "rule", c: "rule" },
      list: ["d1", "d2", "r1"],
      grace: 5,
      kind: "scalar",
    });
    assert.deepEqual(a.output, {
      target: "aws:s3",
      parameters: { destination: "/rule", mode: "x", bucket: "b" },
    });
    assert.deepEqual(r.warnings.map(formatProblem), [
      "f1.yaml:12:11: mismatch of type for a parameter 'kind'",
    ]);
  });

  test("references do not leak into the definition or into other rules", () => {
    const rs = ok(
      DEF,
      `
- rule: R1
  actions:
    - action: Label
      parameters: {list: [r1], labels: {a: r1}}
- rule: R2
  actions: [{action: Label}]
`,
    );
    assert.deepEqual(rs.rules[1]!.actions[0]!.parameters["list"], ["d1", "d2"]);
    assert.deepEqual(rs.rules[1]!.actions[0]!.parameters["labels"], { a: "def", b: "def" });
    assert.deepEqual(rs.actions[0]!.parameters["list"], ["d1", "d2"]);
  });

  test("positions of merged parameters point at the node that won", () => {
    const rs = ok(DEF, "- rule: R\n  actions:\n    - action: Label\n      parameters: {grace: 5}\n");
    const loc = rs.rules[0]!.actions[0]!.locations!;
    assert.ok(loc.parameters?.kind === "map");
    assert.deepEqual(loc.parameters.entries.get("grace")!.pos, { file: "f2.yaml", line: 4, col: 27 });
    assert.deepEqual(loc.parameters.entries.get("list")!.pos, { file: "f1.yaml", line: 10, col: 11 });
    assert.deepEqual(loc.actionner, { file: "f1.yaml", line: 4, col: 14 });
  });
});
