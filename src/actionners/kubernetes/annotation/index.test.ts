import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput, parameterIssues } from "../../../../test/support/actionner-input.js";
import { unknownKeys } from "../../../validation/keys.js";
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

  it("takes revert_after as a duration and refuses one that is not", () => {
    assert.deepEqual(
      annotation.parameters.parse({ annotations: { a: "b" }, level: "node", revert_after: "7d" }),
      {
        annotations: { a: "b" },
        level: "node",
        revert_after: 604_800_000,
      },
    );
    assert.match(
      issues({ annotations: { a: "b" }, revert_after: 30 })[0] ?? "",
      /^revert_after: parameter 'revert_after' should be a duration/,
    );
    assert.match(
      issues({ annotations: { a: "b" }, revert_after: "0s" })[0] ?? "",
      /out of range: between 1s and 90d/,
    );
    assert.deepEqual(unknownKeys(annotation.parameters, { annotations: { a: "b" }, revert_after: "1h" }), []);
  });

  it("is reversible; its record's keys are annotation keys (free-text values)", () => {
    const record = annotation.reversible?.record;
    assert.ok(record);
    const target = { kind: "pod", namespace: "prod", name: "web-1", uid: "u-1" };
    const changes = { "falco.org/rule": { previous: "a b: ü", written: "../ %2e" } };
    assert.deepEqual(record.parse({ target, changes }), { target, changes });
    assert.equal(
      record.safeParse({ target, changes: { "..": { previous: null, written: "x" } } }).success,
      false,
    );
  });
});
