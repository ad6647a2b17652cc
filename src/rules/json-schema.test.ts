import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { actionners } from "../actionners/registry.js";
import { outputs } from "../outputs/registry.js";
import { rulesJsonSchema } from "./json-schema.js";
import { loadRulesFromSources } from "./load.js";

const ROOT = resolve(import.meta.dirname, "../..");
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(
  rulesJsonSchema(actionners, outputs),
);

describe("rules JSON schema", () => {
  it("accepts the example rules", () => {
    const rules = parse(readFileSync(resolve(ROOT, "examples/rules.yaml"), "utf8"));
    assert.equal(validate(rules), true, JSON.stringify(validate.errors));
  });

  it("accepts references, inline actions, outputs and Talon's string booleans", () => {
    const rules = parse(`
- action: Terminate Pod
  actionner: kubernetes:terminate
  parameters:
    grace_period_seconds: 2
    ignore_daemonsets: true
- rule: r
  continue: "false"
  dry_run: server
  match:
    priority: ">=Warning"
    tags: ["a, b"]
    output_fields: ["k8s.ns.name!=kube-system"]
  actions:
    - action: Terminate Pod
    - action: logs
      actionner: kubernetes:log
      parameters:
        tail_lines: 10
      output:
        target: local:file
        parameters:
          destination: /tmp
`);
    assert.equal(validate(rules), true, JSON.stringify(validate.errors));
  });

  it("rejects a wrong parameter type for the named actionner, a bad priority and unknown keys", () => {
    const badParam = parse(`
- action: a
  actionner: kubernetes:label
  parameters:
    labels: "not a map"
`);
    assert.equal(validate(badParam), false);
    const badPriority = parse(`
- rule: r
  match: {priority: "Info"}
  actions: [{action: a}]
`);
    assert.equal(validate(badPriority), false);
    assert.equal(validate(parse("- rule: r\n  actions: [{action: a}]\n  contexts: [aws]\n")), false);
  });
});

describe("rules JSON schema and the loader agree", () => {
  const rules = (word: string, extra = "", dryRun = word) => `
- action: a
  actionner: kubernetes:terminate
- rule: r
  continue: ${word}
  dry_run: ${dryRun}
  match:
    priority: Warning${extra}
  actions:
    - action: a
      ignore_errors: ${word}
`;
  const loads = (text: string) => loadRulesFromSources([{ file: "r.yaml", text }]).problems.length === 0;

  it("on booleans: Yes and the other spellings the loader takes, and only those", () => {
    const words = [
      "Yes",
      "yes",
      "YES",
      "No",
      "tRuE",
      "FALSE",
      "on",
      "Off",
      "y",
      "N",
      "1",
      "maybe",
      '""',
      "~",
    ];
    for (const word of words) {
      const text = rules(word);
      assert.equal(validate(parse(text)), loads(text), `${word}: ${JSON.stringify(validate.errors)}`);
    }
    assert.equal(validate(parse(rules("Yes"))), true, JSON.stringify(validate.errors));
    // The loader refuses on/off in rules files (src/rules/schema.test.ts), so does the schema.
    assert.equal(loads(rules("on")), false);
    assert.equal(validate(parse(rules("on"))), false);
    for (const dryRun of ["server", " Server ", "SERVER", "serve"]) {
      const text = rules("yes", "", dryRun);
      assert.equal(validate(parse(text)), loads(text), dryRun);
    }
    assert.equal(validate(parse(rules("yes", "", "Server"))), true);
  });

  it("on unknown keys: both refuse them, in a rule, its match, its actions and their output", () => {
    const unknown = [
      rules("yes", "\n    priorty: Warning"),
      rules("yes").replace("  continue: yes\n", "  continue: yes\n  contexts: [aws]\n"),
      rules("yes").replace("      ignore_errors: yes\n", "      ignore_errors: yes\n      parameter: {}\n"),
      rules("yes").replace(
        "      ignore_errors: yes\n",
        "      ignore_errors: yes\n      output: {target: local:file, parameters: {}, targte: x}\n",
      ),
    ];
    assert.equal(loads(rules("yes")), true);
    assert.equal(validate(parse(rules("yes"))), true, JSON.stringify(validate.errors));
    for (const text of unknown) {
      assert.equal(loads(text), false, text);
      assert.equal(validate(parse(text)), false, text);
    }
  });
});
