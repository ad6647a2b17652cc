import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { actionners } from "../actionners/registry.js";
import { outputs } from "../outputs/registry.js";
import { rulesJsonSchema } from "./json-schema.js";

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
