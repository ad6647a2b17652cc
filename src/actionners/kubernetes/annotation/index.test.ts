import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput, parameterIssues } from "../../../../test/support/actionner-input.js";
import annotation from "./index.js";

const input = (raw: unknown) => actionInput(annotation, raw);

const issues = (raw: unknown) => parameterIssues(annotation, raw);

describe("kubernetes:annotation", () => {
  it("rejects an empty map", () => {
    assert.throws(
      () => annotation.parameters.parse({ annotations: {} }),
      /parameter 'annotations' should have at least one annotation/,
    );
  });

  it("keys must be qualified names; values are free text", () => {
    assert.match(issues({ annotations: { "..": "x" } })[0] ?? "", /invalid annotation key '\.\.'/);
    assert.deepEqual(issues({ annotations: { "falco.org/rule": "free text: ü ../ %2e" } }), []);
    assert.deepEqual(annotation.parameters.parse({ annotations: { n: 1, off: false } }), {
      annotations: { n: "1", off: "false" },
      level: "pod",
    });
  });

  it("plan: the annotations set on the pod's node, without any request", async () => {
    assert.deepEqual(
      await annotation.plan?.(input({ annotations: { "falco.org/rule": "x" }, level: "node" })),
      {
        objects: { pod: "web-1", namespace: "prod" },
        plan: `set annotations {"falco.org/rule":"x"} on the node of the pod 'web-1' in the namespace 'prod'`,
        details: { level: "node", set: { "falco.org/rule": "x" }, remove: [] },
      },
    );
    assert.equal(
      annotation.nodeLevel?.(annotation.parameters.parse({ annotations: { a: "b" }, level: "node" })),
      true,
    );
  });
});
