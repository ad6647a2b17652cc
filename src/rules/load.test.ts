import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { expandRulesPaths } from "../files/rules-paths.js";
import { formatProblem, type LoadResult, loadRules, loadRulesFromSources } from "./load.js";
import type { RuleSet } from "./types.js";

const testdata = join(import.meta.dirname, "testdata");

function tmpFiles(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), "talon-rules-"));
  return Object.entries(files).map(([name, text]) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  });
}

function load(...texts: string[]): LoadResult {
  return loadRulesFromSources(texts.map((text, i) => ({ file: `f${i + 1}.yaml`, text })));
}

function ok(...texts: string[]): RuleSet {
  const r = load(...texts);
  assert.deepEqual(r.problems.map(formatProblem), []);
  assert.ok(r.ruleset);
  return r.ruleset;
}

/** Problems as `file:line:col: message`. */
function problems(...texts: string[]): string[] {
  const r = load(...texts);
  assert.equal(r.ruleset, undefined);
  return r.problems.map(formatProblem);
}

describe("loadRules: conformance with Talon's tests", () => {
  test("14: a YAML syntax error names the broken file", () => {
    const [valid, broken] = tmpFiles({
      "valid-rules.yaml":
        "- rule: valid\n  description: valid rule\n  actions: []\n  notifiers: []\n  match: {}\n",
      "broken-rules.yaml": "- rule: broken\n  description: [\n",
    });
    const r = loadRules([valid!, broken!]);
    assert.equal(r.ruleset, undefined);
    const syntax = r.problems.filter((p) => p.message.includes(`wrong syntax for the rule file '${broken}'`));
    assert.equal(syntax.length, 1);
    assert.equal(syntax[0]!.pos.file, broken);
    assert.equal(syntax[0]!.pos.line, 3);
  });

  test("15: output parameters merged into an action without an output", () => {
    const [base, override] = tmpFiles({
      "base-rules.yaml": "- action: Capture logs\n  actionner: kubernetes:log\n",
      "override-rules.yaml": `
- action: Capture logs
  output:
    target: aws:s3
    parameters:
      bucket: base-bucket

- rule: Repro
  match:
    rules:
      - Test
  actions:
    - action: Capture logs
  notifiers: []
`,
    });
    const r = loadRules([base!, override!]);
    assert.deepEqual(r.problems, []);
    const rs = r.ruleset!;
    assert.equal(rs.actions.length, 1);
    assert.equal(rs.actions[0]!.output?.target, "aws:s3");
    assert.equal(rs.actions[0]!.output?.parameters["bucket"], "base-bucket");
    assert.equal(rs.rules.length, 1);
    assert.equal(rs.rules[0]!.actions[0]!.actionner, "kubernetes:log");
    assert.deepEqual(rs.rules[0]!.actions[0]!.output, {
      target: "aws:s3",
      parameters: { bucket: "base-bucket" },
    });
  });

  test("the repo-style rules file and its override load", () => {
    const r = loadRules([join(testdata, "rules.yaml"), join(testdata, "rules_override.yaml")]);
    assert.deepEqual(r.problems, []);
    const terminate = r.ruleset!.actions.find((a) => a.name === "Terminate Pod")!;
    assert.deepEqual(terminate.parameters, {
      ignore_daemonsets: true,
      ignore_statefulsets: true,
      grace_period_seconds: 2,
    });
    const shell = r.ruleset!.rules[0]!;
    assert.equal(shell.dryRun, true);
    assert.equal(shell.match.priority?.text, ">=Warning");
  });

  test("an unreadable file and an empty file list are problems", () => {
    assert.deepEqual(loadRules([]).problems.map(formatProblem), ["no rule file is provided"]);
    // The readable file is still checked item by item, but its reference to an action
    // that may live in the missing file is not reported.
    const [other] = tmpFiles({
      "other.yaml": "- rule: R\n  continue: maybe\n  actions: [{action: Elsewhere}]\n",
    });
    const r = loadRules(["/nonexistent/rules.yaml", other!]);
    assert.equal(r.problems.length, 2);
    assert.match(formatProblem(r.problems[0]!), /^\/nonexistent\/rules\.yaml: cannot read the rule file/);
    assert.equal(
      formatProblem(r.problems[1]!),
      `${other}:2:13: continue: 'continue' setting can be 'true' or 'false' only, got 'maybe'`,
    );
  });
});

describe("loadRules: a folder of rules files", () => {
  /** A ConfigMap volume as the kubelet lays it out: files are symlinks through `..data`. */
  function configMapFolder(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "talon-rules-dir-"));
    const version = join(dir, "..2026_11_23_12_00_00.000000001");
    mkdirSync(version);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(version, name), text);
    symlinkSync("..2026_11_23_12_00_00.000000001", join(dir, "..data"));
    for (const name of Object.keys(files)) symlinkSync(join("..data", name), join(dir, name));
    return dir;
  }

  test("a folder expands to its *.yaml and *.yml files by name; hidden and other entries are skipped", () => {
    const dir = configMapFolder({
      "20-override.yml": "- action: A\n  actionner: kubernetes:label\n  parameters: {labels: {a: '2'}}\n",
      "10-base.yaml": "- action: A\n  actionner: kubernetes:label\n  parameters: {labels: {a: '1'}}\n",
      "README.md": "not rules",
    });
    mkdirSync(join(dir, "sub.yaml"));
    assert.deepEqual(expandRulesPaths([dir]), [join(dir, "10-base.yaml"), join(dir, "20-override.yml")]);
    const [file] = tmpFiles({ "last.yaml": "- rule: R\n  actions: [{action: A}]\n" });
    assert.deepEqual(expandRulesPaths([dir, file!, "/nonexistent.yaml"]), [
      join(dir, "10-base.yaml"),
      join(dir, "20-override.yml"),
      file,
      "/nonexistent.yaml",
    ]);
    const r = loadRules([dir, file!]);
    assert.deepEqual(r.problems.map(formatProblem), []);
    // Files merge in name order: the later file's parameters override.
    assert.deepEqual(r.ruleset!.actions[0]!.parameters, { labels: { a: "2" } });
  });

  test("an empty folder is a problem that names it", () => {
    const dir = mkdtempSync(join(tmpdir(), "talon-rules-empty-"));
    assert.deepEqual(loadRules([dir]).problems.map(formatProblem), [
      `${dir}: no rules file (*.yaml, *.yml) found`,
    ]);
  });
});

describe("loadRules: items and structure", () => {
  test("items are told apart by the action/rule key; a full rule loads", () => {
    const rs = ok(`
- action: Terminate
  description: kill it
  actionner: kubernetes:terminate
  continue: false
  ignore_errors: true
  parameters: {grace_period_seconds: 3}
  additional_contexts: [k8snode]
- rule: R
  description: d
  continue: false
  dry_run: server
  notifiers: [slack, slack, webhook]
  match:
    rules: [A, B]
    priority: "<Error"
    source: k8s_audit
    tags: ["a, b", c]
    output_fields: ['k8s.ns.name=prod, fd.rport!="22"', proc.is_exe_writable=true]
  actions:
    - action: Terminate
`);
    assert.deepEqual(
      rs.actions.map((a) => a.name),
      ["Terminate"],
    );
    const rule = rs.rules[0]!;
    assert.equal(rule.name, "R");
    assert.equal(rule.continue, false);
    assert.equal(rule.dryRun, "server");
    assert.deepEqual(rule.notifiers, ["slack", "webhook"]);
    assert.deepEqual(rule.match, {
      rules: ["A", "B"],
      priority: { op: "<", level: 5, text: "<Error" },
      source: "k8s_audit",
      tags: [["a", "b"], ["c"]],
      outputFields: [
        [
          { key: "k8s.ns.name", op: "=", value: "prod" },
          { key: "fd.rport", op: "!=", value: "22" },
        ],
        [{ key: "proc.is_exe_writable", op: "=", value: "true" }],
      ],
    });
    const a = rule.actions[0]!;
    assert.equal(a.actionner, "kubernetes:terminate");
    assert.equal(a.description, "kill it");
    assert.equal(a.continue, false);
    assert.equal(a.ignoreErrors, true);
    assert.deepEqual(a.parameters, { grace_period_seconds: 3 });
    assert.deepEqual(a.additionalContexts, ["k8snode"]);
    // A resolved action sits where the rule references it; the definition keeps its own place.
    assert.deepEqual(a.pos, { file: "f1.yaml", line: 21, col: 7 });
    assert.deepEqual(rs.actions[0]!.pos, { file: "f1.yaml", line: 2, col: 3 });
  });

  test("YAML booleans: true/false, quoted, True/False, yes/no", () => {
    const cases: [string, boolean][] = [
      ["true", true],
      ["false", false],
      ['"true"', true],
      ["'false'", false],
      ["True", true],
      ["False", false],
      ["yes", true],
      ["no", false],
      ["TRUE", true],
      ["Yes", true],
    ];
    for (const [text, expected] of cases) {
      const rs = ok(`
- rule: R
  continue: ${text}
  dry_run: ${text}
  actions:
    - action: A
      actionner: kubernetes:terminate
      continue: ${text}
      ignore_errors: ${text}
`);
      const r = rs.rules[0]!;
      assert.equal(r.continue, expected, text);
      assert.equal(r.dryRun, expected, text);
      assert.equal(r.actions[0]!.continue, expected, text);
      assert.equal(r.actions[0]!.ignoreErrors, expected, text);
    }
  });

  test("unset settings stay undefined; empty strings count as unset", () => {
    const r = ok(`
- rule: R
  continue: ""
  actions:
    - action: A
      actionner: kubernetes:terminate
`).rules[0]!;
    assert.equal(r.continue, undefined);
    assert.equal(r.dryRun, undefined);
    assert.equal("continue" in r.actions[0]!, false);
    assert.equal(r.match.priority, undefined);
    assert.deepEqual(r.match, { rules: [], tags: [], outputFields: [] });
  });

  test("every problem is reported at once, each at its node's line:col", () => {
    const text = `- action: Bad
  actionner: kubernetes:terminate
  continue: maybe
- rule: R1
  dry_run: perhaps
  match:
    priority: ">=Info"
    tags: ["ok, bad tag!", fine]
    output_fields:
      - k8s.ns.name=x, novalue
      - "a=b=c"
  actions:
    - action: A
      actionner: Kubernetes:Terminate
      ignore_errors: 1
- rule: R2
  actions: []
- rule: ""
  actions:
    - actionner: kubernetes:terminate
    - action: Undefined
- just: an item
- plain scalar
`;
    assert.deepEqual(problems(text), [
      "f1.yaml:3:13: continue: 'continue' setting can be 'true' or 'false' only, got 'maybe'",
      "f1.yaml:5:12: dry_run: 'dry_run' setting can be 'true', 'false' or 'server' only, got 'perhaps'",
      "f1.yaml:7:15: match.priority: incorrect priority '>=Info'",
      "f1.yaml:8:12: match.tags[0]: incorrect tag 'badtag!'",
      "f1.yaml:10:9: match.output_fields[0]: incorrect output field key 'novalue'",
      "f1.yaml:11:9: match.output_fields[1]: incorrect output field value 'a=b=c'",
      "f1.yaml:14:18: incorrect actionner 'Kubernetes:Terminate', expected category:name",
      "f1.yaml:15:22: actions[0].ignore_errors: 'ignore_errors' setting can be 'true' or 'false' only, got 1",
      "f1.yaml:17:12: no action specified",
      "f1.yaml:18:9: all rules must have a name",
      "f1.yaml:20:7: action without a name",
      "f1.yaml:21:7: missing actionner (no action definition named 'Undefined')",
      "f1.yaml:22:3: an item must have an 'action' or a 'rule' key",
      "f1.yaml:23:3: an item must be a map with an 'action' or a 'rule' key",
    ]);
  });

  test("incorrect actionner and type errors point at the value", () => {
    assert.deepEqual(
      problems(`- rule: R
  notifiers: slack
  match:
    rules: {a: 1}
  actions:
    - action: A
      actionner: Kubernetes:Terminate
      parameters: [1, 2]
`),
      [
        "f1.yaml:2:14: notifiers: expected a list, got 'slack'",
        "f1.yaml:4:12: match.rules: expected a list, got a map",
        // The rest of the rule is still checked in the same run.
        "f1.yaml:7:18: incorrect actionner 'Kubernetes:Terminate', expected category:name",
        "f1.yaml:8:19: actions[0].parameters: expected a map, got a list",
      ],
    );
    assert.deepEqual(
      problems(`- rule: R
  actions:
    - action: A
      actionner: Kubernetes:Terminate
`),
      ["f1.yaml:4:18: incorrect actionner 'Kubernetes:Terminate', expected category:name"],
    );
  });

  test("problems carry the rule and action names", () => {
    const r = load(`- rule: R\n  actions:\n    - action: A\n      actionner: bad\n`);
    assert.equal(r.problems[0]!.rule, "R");
    assert.equal(r.problems[0]!.action, "A");
    assert.equal(r.problems[0]!.actionner, "bad");
  });

  test("syntax errors: position and file, other files still checked", () => {
    // Item checks still run on the other files; cross-item checks (here: no action) do not.
    const out = problems("- rule: R\n  description: [\n", "- rule: S\n  continue: maybe\n  actions: []\n");
    assert.equal(out.length, 2);
    assert.match(out[0]!, /^f1\.yaml:3:1: wrong syntax for the rule file 'f1\.yaml': /);
    assert.equal(
      out[1],
      "f2.yaml:2:13: continue: 'continue' setting can be 'true' or 'false' only, got 'maybe'",
    );
    assert.match(
      problems("a: 1\na: 2\n")[0]!,
      /^f1\.yaml:2:1: wrong syntax for the rule file 'f1\.yaml': Map keys/,
    );
    assert.deepEqual(problems("rule: x\n"), [
      "f1.yaml:1:1: wrong syntax for the rule file 'f1.yaml': expected a list of actions and rules",
    ]);
  });

  test("an item with schema problems is reported once, not again through its references", () => {
    assert.deepEqual(
      problems(`- action: A
  actionner: kubernetes:terminate
  continue: maybe
- rule: R
  actions: [{action: A}]
- rule: S
  dry_run: later
  actions: [{action: A}]
- rule: S
  description: override without actions
`),
      [
        "f1.yaml:3:13: continue: 'continue' setting can be 'true' or 'false' only, got 'maybe'",
        "f1.yaml:7:12: dry_run: 'dry_run' setting can be 'true', 'false' or 'server' only, got 'later'",
      ],
    );
  });

  test("unknown keys are errors at the key, with the closest known key", () => {
    const r = load(`- action: A
  actionner: kubernetes:exec
  contexts: [k8snode]
- rule: R
  dryrun: true
  match: {rule: [x]}
  actions:
    - action: A
      output: {target: local:file, parameters: {destination: /tmp}, extra: 1}
`);
    assert.equal(r.ruleset, undefined);
    assert.deepEqual(r.problems.map(formatProblem), [
      "f1.yaml:3:3: unknown key 'contexts', did you mean 'additional_contexts'?",
      "f1.yaml:5:3: unknown key 'dryrun', did you mean 'dry_run'?",
      "f1.yaml:6:11: unknown key 'match.rule', did you mean 'rules'?",
      "f1.yaml:9:69: unknown key 'actions[0].output.extra'",
    ]);
    // The items are still checked further (a partial rule set for the semantic validation).
    assert.equal(r.partial?.rules[0]?.name, "R");
  });

  test("an empty file holds no rule", () => {
    assert.deepEqual(ok("", "# only a comment\n").rules, []);
  });

  test("anchors, aliases and merge keys", () => {
    const rs = ok(`
- action: Base
  actionner: kubernetes:label
  parameters: &labels
    labels: {a: "1"}
- rule: R
  actions:
    - action: Other
      actionner: kubernetes:annotation
      parameters:
        <<: *labels
        extra: true
`);
    assert.deepEqual(rs.rules[0]!.actions[0]!.parameters, { labels: { a: "1" }, extra: true });
  });

  test("output parameters without a target are a problem", () => {
    assert.deepEqual(
      problems(`- rule: R
  actions:
    - action: A
      actionner: kubernetes:download
      output:
        parameters: {bucket: b}
`),
      ["f1.yaml:6:9: missing target for the output"],
    );
  });
});

describe("formatProblem", () => {
  test("file:line:col: message", () => {
    assert.equal(formatProblem({ pos: { file: "r.yaml", line: 3, col: 7 }, message: "m" }), "r.yaml:3:7: m");
    assert.equal(formatProblem({ pos: { file: "r.yaml", line: 0, col: 0 }, message: "m" }), "r.yaml: m");
    assert.equal(formatProblem({ pos: { file: "", line: 0, col: 0 }, message: "m" }), "m");
  });
});
