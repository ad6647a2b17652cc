import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput } from "../../../../test/support/actionner-input.js";
import cordon from "./index.js";

describe("kubernetes:cordon", () => {
  it("takes no parameters and is node level", () => {
    assert.deepEqual(cordon.parameters.parse({}), {});
    assert.equal(cordon.nodeLevel?.({}), true);
  });

  it("plan: the patch on the pod's node, without any request", async () => {
    assert.deepEqual(await cordon.plan?.(actionInput(cordon, {})), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "cordon the node of the pod 'web-1' in the namespace 'prod' (mark it unschedulable)",
      details: { patch: [{ op: "add", path: "/spec/unschedulable", value: true }] },
    });
  });
});
