import assert from "node:assert/strict";
import { test } from "node:test";
import { astToString } from "./ast.js";
import { loadRules } from "./loader.js";
import { parseCondition } from "./parser.js";

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
  // no exceptions: the condition is not parenthesised
  assert.equal(rule.condition, "spawned and proc.name in ( bash, sh, zsh ) and proc.tty != 0");
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
      "Rules require engine version 0.99.0, but engine version is 0.62.0",
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

// ---- Falco's rule loader: condition wrapping, error codes per stage, warnings around errors ----

const BASE_RULE = "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n";
const problemsOf = (files: [string, string][]) =>
  loadRules(files.map(([path, content]) => ({ path, content }))).problems.map((p) => [
    p.severity,
    p.code,
    p.message,
    p.file,
    p.line,
    p.col,
  ]);

test("a condition is parenthesised only when the rule has exceptions, so parse errors read as Falco's", () => {
  // an appended condition that leaves a token behind: Falco reports the token after 'open'
  const appended = `${BASE_RULE}- rule: r\n  condition: foo\n  append: true\n`;
  assert.deepEqual(problemsOf([["r.yaml", appended]]), [
    [
      "warning",
      "LOAD_DEPRECATED_ITEM",
      "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
      "r.yaml",
      6,
      3,
    ],
    [
      "error",
      "LOAD_ERR_COMPILE_CONDITION",
      "unexpected token after 'open', expecting 'or', 'and'",
      "r.yaml",
      3,
      3,
    ],
  ]);
  // with an exception the condition is wrapped: the same text misses its ')'
  const withException = `${appended}  exceptions:\n    - name: e\n      fields: proc.name\n      values: [cat]\n`;
  assert.deepEqual(
    errors(withException).map((p) => p.message),
    ["expected a ')' token"],
  );
  // an inline condition keeps the exact column of the offending token
  const inline = errors(
    "- rule: r\n  desc: d\n  condition: evt.type = open foo\n  output: o\n  priority: info\n",
  );
  assert.deepEqual(
    inline.map((p) => [p.message, p.line, p.col]),
    [["unexpected token after 'open', expecting 'or', 'and'", 3, 30]],
  );
  const wrapped = errors(
    "- rule: r\n  desc: d\n  condition: evt.type = open foo\n  output: o\n  priority: info\n  exceptions:\n    - name: e\n      fields: proc.name\n      values: [cat]\n",
  );
  assert.deepEqual(
    wrapped.map((p) => [p.message, p.line, p.col]),
    [["expected a ')' token", 3, 30]],
  );
  // a macro's inline condition too
  assert.deepEqual(
    errors(`- macro: m\n  condition: evt.type = open foo\n${BASE_RULE.replace("evt.type = open", "m")}`).map(
      (p) => [p.message, p.line, p.col],
    ),
    [["unexpected token after 'open', expecting 'or', 'and'", 2, 30]],
  );
  // no exceptions: the condition text is kept as written
  assert.equal(load(BASE_RULE).rules[0]!.condition, "evt.type = open");
});

test("exceptions build Falco's compiled conditions, modifier comps included", () => {
  const compiled = (exceptions: string) => {
    const r = load(`${BASE_RULE}  exceptions:\n${exceptions}`);
    assert.deepEqual(r.problems, []);
    return astToString(parseCondition(r.rules[0]!.condition));
  };
  assert.equal(
    compiled(
      "    - name: ex\n      fields: [proc.name]\n      comps: [startswith oneof]\n      values:\n        - [[sshd, sudo, systemd]]\n",
    ),
    "(evt.type = open and not proc.name startswith oneof (sshd, sudo, systemd))",
  );
  // a scalar value of a modifier comp is parenthesised
  assert.equal(
    compiled(
      "    - name: ex\n      fields: [proc.name]\n      comps: [startswith oneof]\n      values:\n        - [sshd]\n",
    ),
    "(evt.type = open and not proc.name startswith oneof (sshd))",
  );
  // comps are trimmed of blanks
  assert.equal(
    compiled(
      '    - name: ex_single\n      fields: [proc.name]\n      comps: ["  startswith oneof  "]\n      values:\n        - [[sshd, sudo]]\n    - name: ex_multi\n      fields: [proc.name, fd.name]\n      comps: ["  contains  ", "  startswith anyof  "]\n      values:\n        - [agent, [/etc/, /var/]]\n',
    ),
    "(evt.type = open and not proc.name startswith oneof (sshd, sudo) and not (proc.name contains agent and fd.name startswith anyof (/etc/, /var/)))",
  );
  // a single field may use a modifier comp too
  assert.equal(
    compiled(
      "    - name: ex\n      fields: proc.name\n      comps: endswith anyof\n      values: [sh, bash]\n",
    ),
    "(evt.type = open and not proc.name endswith anyof (sh, bash))",
  );
});

test("errors found while collecting rules are LOAD_ERR_VALIDATE, YAML shape errors LOAD_ERR_YAML_VALIDATE", () => {
  const ex = (body: string) => `${BASE_RULE}  exceptions:\n    - name: ex\n${body}`;
  const cases: [string, string, string][] = [
    [
      ex("      fields: [proc.name, fd.name]\n      comps: [=]\n"),
      "LOAD_ERR_VALIDATE",
      "Fields and comps lists must have equal length",
    ],
    [
      ex("      fields: [proc.name]\n      comps: [frobulate oneof]\n"),
      "LOAD_ERR_VALIDATE",
      "'frobulate oneof' is not a supported comparison operator",
    ],
    [
      ex("      fields: [proc.name]\n      comps: [in oneof]\n"),
      "LOAD_ERR_VALIDATE",
      "'in oneof' is not a supported comparison operator",
    ],
    [
      ex('      fields: [proc.pid]\n      comps: [">= oneof"]\n'),
      "LOAD_ERR_VALIDATE",
      "'>= oneof' is not a supported comparison operator",
    ],
    [
      ex("      fields: proc.name\n      comps: [in]\n"),
      "LOAD_ERR_VALIDATE",
      "Fields and comps must both be strings",
    ],
    [
      ex("      fields: proc.name\n      comps: frobulate oneof\n      values:\n        - [bash]\n"),
      "LOAD_ERR_VALIDATE",
      "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)",
    ],
    [ex("      fields: [proc.nope]\n"), "LOAD_ERR_VALIDATE", "'proc.nope' is not a supported filter field"],
    [
      ex("      fields: {a: b}\n"),
      "LOAD_ERR_VALIDATE",
      "Rule exception item must have fields property with a list of fields",
    ],
    // found when the condition is built
    [
      ex("      fields: [proc.name, fd.name]\n      values:\n        - [a]\n"),
      "LOAD_ERR_VALIDATE",
      "Fields and values lists must have equal length",
    ],
    [
      ex("      fields: proc.name\n      values:\n        - [a]\n"),
      "LOAD_ERR_VALIDATE",
      "Expected values array to contain a list of strings",
    ],
    // YAML shapes
    [ex("      values: [a]\n"), "LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'fields'"],
    [
      ex("      fields: proc.name\n      values: a\n"),
      "LOAD_ERR_YAML_VALIDATE",
      "Rule exception values must be a sequence",
    ],
    [`${BASE_RULE}  exceptions: {}\n`, "LOAD_ERR_YAML_VALIDATE", "Rule exceptions must be a sequence"],
    [`${BASE_RULE}  tags: [a, [b]]\n`, "LOAD_ERR_YAML_VALIDATE", "sequence value is not scalar"],
    // plugin requirements: decoded, then validated
    [
      "- required_plugin_versions:\n  - name: k8saudit\n    version: abc\n",
      "LOAD_ERR_VALIDATE",
      "Invalid required version 'abc' for plugin 'k8saudit'",
    ],
    [
      "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n    alternatives:\n      - name: k8saudit\n        version: 0.2.0\n",
      "LOAD_ERR_VALIDATE",
      "Defined multiple alternative version requirements for plugin 'k8saudit'",
    ],
    [
      "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n    alternatives: [x]\n",
      "LOAD_ERR_YAML_VALIDATE",
      "Plugin version alternative must be a mapping",
    ],
    // appends
    [
      `${BASE_RULE}- rule: r\n  append: true\n`,
      "LOAD_ERR_VALIDATE",
      "Appended rule must have exceptions or condition property",
    ],
    [
      "- rule: r\n  condition: and proc.name = cat\n  override:\n    condition: append\n",
      "LOAD_ERR_VALIDATE",
      "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
    ],
    [
      "- rule: r\n  condition: and proc.name = cat\n  override:\n    condition: replace\n",
      "LOAD_ERR_VALIDATE",
      "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
    ],
    [
      `${ex("      fields: proc.name\n      values: [a]\n")}- rule: r\n  exceptions:\n    - name: ex\n      fields: proc.pname\n      values: [b]\n  override:\n    exceptions: append\n`,
      "LOAD_ERR_VALIDATE",
      "Can not append exception fields to existing exception, only values",
    ],
    [
      `${BASE_RULE}- rule: r\n  exceptions:\n    - name: new\n      fields: proc.name\n  override:\n    exceptions: append\n`,
      "LOAD_ERR_VALIDATE",
      "Rule exception must have values property with a list of values",
    ],
  ];
  for (const [yaml, code, message] of cases) {
    const errs = errors(yaml);
    assert.deepEqual(
      errs.map((p) => [p.code, p.message]),
      [[code, message]],
      yaml,
    );
  }
});

test("warnings stay with the file that produced them: Falco loads and compiles one file at a time", () => {
  const used = "- macro: spawned\n  condition: evt.type = execve\n";
  const rule = (cond: string) =>
    `- rule: r2\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: info\n`;
  // a compile error stops that file's compilation before unused macros are counted (as Falco does)
  assert.deepEqual(problemsOf([["a.yaml", `${used}${rule("proc.nope = 1")}`]]), [
    [
      "error",
      "LOAD_ERR_COMPILE_CONDITION",
      "filter_check called with nonexistent field proc.nope",
      "a.yaml",
      5,
      3,
    ],
  ]);
  // an earlier file's load reported its unused macro; a later file's error does not take it back
  assert.deepEqual(
    problemsOf([
      ["a.yaml", used + BASE_RULE],
      ["b.yaml", rule("proc.nope = 1")],
    ]),
    [
      ["warning", "LOAD_UNUSED_MACRO", "Macro not referred to by any other rule/macro", "a.yaml", 1, 3],
      [
        "error",
        "LOAD_ERR_COMPILE_CONDITION",
        "filter_check called with nonexistent field proc.nope",
        "b.yaml",
        3,
        3,
      ],
    ],
  );
  // a macro only a later file uses is unused when the first file is loaded
  assert.deepEqual(
    problemsOf([
      ["a.yaml", used + BASE_RULE],
      ["b.yaml", rule("spawned")],
    ]),
    [["warning", "LOAD_UNUSED_MACRO", "Macro not referred to by any other rule/macro", "a.yaml", 1, 3]],
  );
  // warnings of items read before an error in the same file are kept
  assert.deepEqual(problemsOf([["a.yaml", `${BASE_RULE}  colour: red\n- rule: x\n  desc: d\n`]]), [
    ["warning", "LOAD_UNKNOWN_KEY", "Unknown key 'colour'. The key will be ignored.", "a.yaml", 1, 3],
    ["error", "LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'condition'", "a.yaml", 7, 3],
  ]);
});

test("overrides: Falco's expected errors for missing, extra and wrongly typed keys", () => {
  const base =
    "- rule: r\n  desc: legit\n  condition: evt.type = close\n  output: o %proc.name\n  priority: INFO\n";
  const cases: [string, string][] = [
    [
      "- rule: r\n  desc: x\n  override:\n    desc: replace\n    condition: append\n",
      "An append override for 'condition' was specified but 'condition' is not defined",
    ],
    [
      "- rule: r\n  desc: x\n  condition: and proc.name = cat\n  priority: WARNING\n  override:\n    desc: replace\n    condition: append\n",
      "Unexpected key 'priority': no corresponding entry under 'override' is defined.",
    ],
    [
      "- rule: r\n  desc: x\n  condition: and proc.name = cat\n  override:\n    desc: replace\n    condition: append\n    enabled: replace\n",
      "An replace override for 'enabled' was specified but 'enabled' is not defined",
    ],
    [
      "- rule: r\n  condition: and proc.name = cat\n  priority: INFO\n  override:\n    condition: append\n    priority: append\n",
      "Key 'priority' cannot be appended to, use 'replace' instead",
    ],
    [
      "- rule: r\n  priority: INFO\n  override:\n    priority: merge\n",
      "Invalid override operation for key 'priority': 'merge'. Allowed values are: replace ",
    ],
  ];
  for (const [extra, message] of cases) {
    assert.deepEqual(
      errors(base + extra).map((p) => [p.code, p.message]),
      [["LOAD_ERR_YAML_VALIDATE", message]],
      extra,
    );
  }
  // a replace of exceptions needs complete exceptions, an append does not
  const exceptions =
    '  exceptions:\n    - name: e\n      fields: proc.name\n      comps: in\n      values: ["cat"]\n- rule: r\n  exceptions:\n    - name: e\n      values: [echo]\n  override:\n    exceptions: append\n';
  assert.deepEqual(errors(base + exceptions), []);
  assert.deepEqual(
    errors(
      `${base + exceptions}- rule: r\n  exceptions:\n    - name: e\n      values: [id]\n  override:\n    exceptions: replace\n`,
    ).map((p) => p.message),
    ["Item has no mapping for key 'fields'"],
  );
  const ok = load(
    `${base}  enabled: false\n- rule: r\n  desc: correct\n  condition: and proc.name = cat\n  enabled: true\n  override:\n    desc: replace\n    condition: append\n    enabled: replace\n`,
  );
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.rules[0]!.condition, "evt.type = close and proc.name = cat");
  assert.equal(ok.rules[0]!.enabled, true);
});

test("an unmet plugin requirement is the error reported, in place of the failing file's", () => {
  const req = "- required_plugin_versions:\n  - name: k8saudit\n    version: 99.0.0\n";
  const msg = "Plugin 'k8saudit' version '0.18.0' is not compatible with required plugin version '99.0.0'";
  // checked once the files are loaded
  assert.deepEqual(
    problemsOf([["a.yaml", req + BASE_RULE]]).map((p) => p.slice(0, 3)),
    [["error", "LOAD_ERR_VALIDATE", msg]],
  );
  // a later error of the same file gives way to it (Falco reports the requirement instead)
  assert.deepEqual(
    problemsOf([["a.yaml", `${req}- rule: r\n  desc: d\n`]]).map((p) => p.slice(0, 3)),
    [["error", "LOAD_ERR_VALIDATE", msg]],
  );
});

// ---- deprecated fields, LOAD_NO_EVTTYPE's position, warnings of earlier files ----

test("each deprecated field warns once, in Falco's order: output text search first, then the condition's fields", () => {
  const rule = [
    "- rule: r",
    "  desc: d",
    "  condition: evt.type = read and evt.wait_latency > 1 and evt.latency > 10 and evt.dir = < and evt.latency > 20",
    "  output: took %evt.latency.human (%evt.dir)",
    "  priority: info",
    "",
  ].join("\n");
  const got = warnings(rule).map((p) => [p.code, p.message, p.line, p.col]);
  const desc = "field is not available due to the drop of enter events.";
  assert.deepEqual(got, [
    [
      "LOAD_DEPRECATED_ITEM",
      "usage of deprecated field 'evt.dir' has been detected in the rule output",
      1,
      3,
    ],
    [
      "LOAD_DEPRECATED_ITEM",
      "usage of deprecated field 'evt.latency' has been detected in the rule output",
      1,
      3,
    ],
    [
      "LOAD_DEPRECATED_ITEM",
      "usage of deprecated field 'evt.latency.human' has been detected in the rule output",
      1,
      3,
    ],
    [
      "LOAD_DEPRECATED_ITEM",
      "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'",
      3,
      3,
    ],
    ["LOAD_DEPRECATED_ITEM", desc, 3, 3],
    ["LOAD_DEPRECATED_ITEM", desc, 3, 3],
  ]);
  // a field compared through val() on the right is not looked at
  const rhsOnly = rule
    .replace(
      "evt.wait_latency > 1 and evt.latency > 10 and evt.dir = < and evt.latency > 20",
      "evt.num = val(evt.latency)",
    )
    .replace(" (%evt.dir)", "")
    .replace("%evt.latency.human", "x");
  assert.deepEqual(warnings(rhsOnly), []);
});

test("LOAD_NO_EVTTYPE is reported at the rule, from libsinsp's event-code count", () => {
  const rule = (cond: string) =>
    `- rule: r\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: info\n`;
  assert.deepEqual(
    warnings(rule("evt.type != open and proc.name = x")).map((p) => [p.code, p.line, p.col]),
    [["LOAD_NO_EVTTYPE", 1, 3]],
  );
  // 8 names of 2 codes each and execve's 16: well under 100
  assert.deepEqual(
    warnings(rule("evt.type in (open, openat, openat2, creat, execve, close, read, write)")),
    [],
  );
  // never true: no warning
  assert.deepEqual(warnings(rule("evt.num = 0")), []);
});

test("a later file's load reports the earlier files' compile warnings again, as Falco's per-file results do", () => {
  const file1 = [
    "- macro: unused1",
    "  condition: proc.name = a",
    "- rule: r1",
    "  desc: d",
    "  condition: evt.type = open and proc.name regex 'x'",
    "  output: o",
    "  priority: info",
    "- rule: r1",
    "  condition: and proc.name != z",
    "  append: true",
    "",
  ].join("\n");
  const file2 = [
    "- rule: r2",
    "  desc: d",
    "  condition: evt.type = open and proc.name = x and proc.pname regex 'y'",
    "  output: o",
    "  priority: info",
    "",
  ].join("\n");
  const got = loadRules([
    { path: "a.yaml", content: file1 },
    { path: "b.yaml", content: file2 },
  ]).problems.map((p) => `${p.file}:${p.line} ${p.code} ${p.message}`);
  const regex = (f: string, line: number, v: string) =>
    `${f}:${line} LOAD_COMPILE_CONDITION regex check with '${v}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'`;
  const unused = "a.yaml:1 LOAD_UNUSED_MACRO Macro not referred to by any other rule/macro";
  assert.deepEqual(got, [
    // a.yaml's result: its reading (once), then the compilation of everything so far
    "a.yaml:8 LOAD_DEPRECATED_ITEM 'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
    regex("a.yaml", 5, "x"),
    unused,
    // b.yaml's result: the compilation of a.yaml's and b.yaml's rules
    regex("a.yaml", 5, "x"),
    regex("b.yaml", 3, "y"),
    unused,
  ]);
});
