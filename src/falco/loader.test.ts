import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRules } from "./loader.js";

const load = (content: string) => loadRules([{ path: "r.yaml", content }]);
const errors = (content: string) => load(content).problems.filter((p) => p.severity === "error");
const warnings = (content: string) => load(content).problems.filter((p) => p.severity === "warning");

const RULE = (extra = "") => `
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: shell
  desc: d
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: info
${extra}`;

test("a rule with lists, macros and exceptions compiles and evaluates", () => {
  const r = load(
    RULE(`  exceptions:
    - name: known
      fields: [proc.pname]
      values: [[sshd]]
`),
  );
  assert.deepEqual(r.problems, []);
  const rule = r.rules[0]!;
  assert.equal(rule.priority, "Informational");
  assert.equal(rule.condition, "(spawned and proc.name in ( bash, sh )) and not (( proc.pname = sshd))");
  const ev = (p: Record<string, unknown>) => ({
    source: "syscall",
    timeNs: 0n,
    payload: p,
    num: 1n,
    hostname: "",
  });
  assert.equal(rule.evaluate(ev({ "evt.type": "execve", "proc.name": "sh", "proc.pname": "init" })), true);
  assert.equal(rule.evaluate(ev({ "evt.type": "execve", "proc.name": "sh", "proc.pname": "sshd" })), false);
  assert.equal(rule.evaluate(ev({ "evt.type": "open", "proc.name": "sh" })), false);
});

test("override append/replace and deprecated append", () => {
  const r = load(
    RULE(`- rule: shell
  condition: and proc.tty != 0
  output: (tty=%proc.tty)
  tags: [t1]
  override:
    condition: append
    output: append
    tags: replace
- rule: shell
  priority: ERROR
  override:
    priority: replace
- list: shells
  items: [zsh]
  append: true
`),
  );
  assert.deepEqual(
    r.problems.map((p) => p.code),
    ["LOAD_DEPRECATED_ITEM"],
  );
  const rule = r.rules[0]!;
  assert.equal(rule.condition, "(spawned and proc.name in ( bash, sh, zsh ) and proc.tty != 0)");
  assert.equal(rule.priority, "Error");
  assert.deepEqual(rule.tags, ["t1"]);
  assert.deepEqual(rule.output.fieldKeys, ["proc.name", "proc.tty"]);
});

test("loader errors carry Falco's messages, codes and positions", () => {
  const cases: [string, string, string, number][] = [
    [
      "- rule: r\n  desc: d\n  condition: evt.type=open\n  priority: info\n",
      "Item has no mapping for key 'output'",
      "LOAD_ERR_YAML_VALIDATE",
      1,
    ],
    [
      "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: loud\n",
      "Invalid priority",
      "LOAD_ERR_YAML_VALIDATE",
      5,
    ],
    [
      "- macro: m\n  condition: a\n  append: true\n",
      "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
      "LOAD_ERR_VALIDATE",
      1,
    ],
    [
      "- rule: r\n  enabled: false\n",
      "Rule has 'enabled' key but no rule by that name already exists",
      "LOAD_ERR_VALIDATE",
      1,
    ],
    [
      "- rule: r\n  desc: d\n  condition: undefined_macro\n  output: o\n  priority: info\n",
      "Undefined macro 'undefined_macro' used in filter.",
      "LOAD_ERR_VALIDATE",
      3,
    ],
    [
      "- rule: r\n  desc: d\n  condition: proc.nope = 1\n  output: o\n  priority: info\n",
      "filter_check called with nonexistent field proc.nope",
      "LOAD_ERR_COMPILE_CONDITION",
      3,
    ],
    [
      "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o %\n  priority: info\n",
      "invalid formatting syntax: formatting cannot end with a %",
      "LOAD_ERR_COMPILE_OUTPUT",
      1,
    ],
    [
      "- required_engine_version: 0.99.0\n",
      "Rules require engine version 0.99.0, but engine version is 0.57.0",
      "LOAD_ERR_VALIDATE",
      1,
    ],
    ["foo", "Rules content is not yaml", "LOAD_ERR_YAML_VALIDATE", 1],
    ["a: b", "Rules content is not yaml array of objects", "LOAD_ERR_YAML_VALIDATE", 1],
    [
      "- 1",
      "Unexpected element type. Each element should be a yaml associative array.",
      "LOAD_ERR_YAML_VALIDATE",
      1,
    ],
  ];
  for (const [yaml, message, code, line] of cases) {
    const errs = errors(yaml);
    assert.equal(errs.length, 1, yaml);
    assert.equal(errs[0]!.message, message);
    assert.equal(errs[0]!.code, code);
    assert.equal(errs[0]!.line, line, yaml);
  }
});

test("skip-if-unknown-filter downgrades unknown fields to a warning", () => {
  const r = load(
    "- rule: r\n  desc: d\n  condition: proc.nope = 1\n  output: o\n  priority: info\n  skip-if-unknown-filter: true\n",
  );
  assert.deepEqual(
    r.problems.map((p) => p.code),
    ["LOAD_UNKNOWN_FILTER"],
  );
  assert.equal(r.rules.length, 0);
});

test("warnings: unknown keys, unused lists/macros, unknown source, NA checks", () => {
  const codes = warnings(`
- list: unused_list
  items: [a]
- macro: unused_macro
  condition: evt.type = open
- rule: r
  desc: d
  condition: ka.verb = <NA>
  output: o
  priority: info
  source: k8s_audit
  colour: red
- rule: p
  desc: d
  condition: foo.bar = 1
  output: o
  priority: info
  source: aws_cloudtrail
`).map((p) => p.code);
  assert.deepEqual(codes.sort(), [
    "LOAD_UNKNOWN_KEY",
    "LOAD_UNKNOWN_SOURCE",
    "LOAD_UNSAFE_NA_CHECK",
    "LOAD_UNUSED_LIST",
    "LOAD_UNUSED_MACRO",
  ]);
});

test("a rule matching every event type warns LOAD_NO_EVTTYPE unless warn_evttypes is false", () => {
  const rule = (extra: string) =>
    `- rule: r\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: info\n${extra}`;
  assert.deepEqual(
    warnings(rule("")).map((p) => p.code),
    ["LOAD_NO_EVTTYPE"],
  );
  assert.deepEqual(warnings(rule("  warn_evttypes: false\n")), []);
});

test("booleans take the YAML 1.1 words, exactly as written", () => {
  const rule = (enabled: string) =>
    `- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n  enabled: ${enabled}\n`;
  for (const word of ["Yes", "on", "Y", "TRUE"]) {
    const r = load(rule(word));
    assert.deepEqual(r.problems, [], word);
    assert.equal(r.rules[0]!.enabled, true, word);
  }
  for (const word of ["No", "off", "n", "FALSE"])
    assert.equal(load(rule(word)).rules[0]!.enabled, false, word);
  for (const word of ['" yes "', "yess", "1"]) {
    const errs = errors(rule(word));
    assert.equal(errs[0]!.message, "Can't decode YAML scalar value", word);
    assert.equal(errs[0]!.line, 6, word);
  }
});

test("unknown evt.type values: a warning at the condition, the rule skipped with skip-if-unknown-filter", () => {
  const rule = (cond: string, extra = "") =>
    `- rule: r\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: info\n${extra}`;
  for (const cond of ["evt.type = some_invalid_event", "evt.type in (open, some_invalid_event)"]) {
    const warned = load(rule(cond));
    assert.deepEqual(
      warned.problems.map((p) => [p.severity, p.code, p.message, p.file, p.line, p.col]),
      [["warning", "LOAD_COMPILE_CONDITION", "unknown event type 'some_invalid_event'", "r.yaml", 3, 3]],
      cond,
    );
    assert.equal(warned.rules.length, 1, "the rule still loads");
    const skipped = load(rule(cond, "  skip-if-unknown-filter: true\n"));
    assert.deepEqual(
      skipped.problems.map((p) => [p.severity, p.code, p.message]),
      [["warning", "LOAD_UNKNOWN_FILTER", "unknown event type 'some_invalid_event'"]],
    );
    assert.equal(skipped.rules.length, 0);
  }
  const ok = load(rule("evt.type in (open, openat2, execve) and evt.type != switch"));
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.rules.length, 1);
});
