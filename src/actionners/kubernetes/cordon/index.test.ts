import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput, noClusterEnv, parameterIssues } from "../../../../test/support/actionner-input.js";
import { unknownKeys } from "../../../validation/keys.js";
import cordon from "./index.js";

describe("kubernetes:cordon", () => {
  it("takes only revert_after and is node level", () => {
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

  it("takes revert_after as a duration; other keys are unknown", () => {
    assert.deepEqual(cordon.parameters.parse({ revert_after: "2h" }), { revert_after: 7_200_000 });
    assert.deepEqual(parameterIssues(cordon, { revert_after: "2 hours" }), [
      "revert_after: parameter 'revert_after' '2 hours' is not a duration: use a number and a unit (s, m, h, d), e.g. 30m, 2h, 1h30m",
    ]);
    assert.deepEqual(unknownKeys(cordon.parameters, { revert_after: "2h" }), []);
    assert.deepEqual(
      unknownKeys(cordon.parameters, { revert_afte: "2h", force: true }).map((u) => [u.key, u.suggestion]),
      [
        ["revert_afte", "revert_after"],
        ["force", undefined],
      ],
    );
  });

  it("is reversible; its record is the node and its previous spec.unschedulable (false or absent)", async () => {
    const record = cordon.reversible?.record;
    assert.ok(record);
    const target = { kind: "node", name: "n1", uid: "u-1" };
    assert.deepEqual(record.parse({ target, previous_unschedulable: null }), {
      target,
      previous_unschedulable: null,
    });
    assert.ok(record.parse({ target, previous_unschedulable: false }));
    assert.equal(record.safeParse({ target, previous_unschedulable: true }).success, false);
    assert.equal(
      record.safeParse({ target: { ...target, kind: "pod" }, previous_unschedulable: null }).success,
      false,
    );
    assert.equal(
      record.safeParse({ target: { ...target, name: "a/b" }, previous_unschedulable: null }).success,
      false,
    );
    const r = await cordon.reversible?.revert({
      undo: { target, previous_unschedulable: null },
      env: noClusterEnv,
      dryRun: false,
    });
    assert.equal(r?.status, "failure");
    assert.deepEqual(r?.objects, { node: "n1" });
  });
});
