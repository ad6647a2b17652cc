import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput, noClusterEnv, parameterIssues } from "../../../../test/support/actionner-input.js";
import { unknownKeys } from "../../../validation/keys.js";
import label from "./index.js";

const input = (raw: unknown) => actionInput(label, raw);

const issues = (raw: unknown) => parameterIssues(label, raw);

describe("kubernetes:label", () => {
  it("rejects an empty map and accepts YAML scalars", () => {
    assert.throws(
      () => label.parameters.parse({ labels: {} }),
      /parameter 'labels' should have at least one label/,
    );
    assert.deepEqual(label.parameters.parse({ labels: { a: true, b: 3, c: null } }), {
      labels: { a: "true", b: "3", c: "" },
      level: "pod",
    });
    assert.equal(label.nodeLevel?.(label.parameters.parse({ labels: { a: "b" }, level: "node" })), true);
  });

  it("refuses a label value the API server would reject when the parameters load", () => {
    assert.throws(
      () => label.parameters.parse({ labels: { bad: "not a valid value!" } }),
      /invalid label value 'not a valid value!' for the key 'bad': must consist of alphanumeric characters/,
    );
  });

  it("label keys naming no valid key are refused when the rules load", () => {
    assert.deepEqual(issues({ labels: { "a b": "x" } }), [
      "labels: invalid label key 'a b': the name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ]);
    assert.match(
      issues({ labels: { app: "a b" } })[0] ?? "",
      /^labels\.app: invalid label value 'a b' for the key 'app'/,
    );
    assert.match(
      issues({ labels: { "a/../b": "x" } })[0] ?? "",
      /invalid label key 'a\/..\/b': a qualified name may contain at most one '\/'/,
    );
  });

  it("refuses a level other than pod or node, and a missing map", () => {
    assert.match(issues({ labels: { a: "b" }, level: "container" })[0] ?? "", /^level: /);
    assert.match(issues({})[0] ?? "", /^labels: /);
  });

  it("node level is node-level and needs node permissions; pod level does not", () => {
    const pod = label.parameters.parse({ labels: { a: "b" } });
    const node = label.parameters.parse({ labels: { a: "b" }, level: "node" });
    assert.equal(label.nodeLevel?.(pod), false);
    assert.deepEqual(label.kubernetesPermissions?.(pod), [
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] },
    ]);
    assert.deepEqual(label.kubernetesPermissions?.(node), [
      { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
    ]);
  });

  it("plan: the labels set and removed, on the pod, without any request", async () => {
    assert.deepEqual(await label.plan?.(input({ labels: { quarantine: true, old: null } })), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: `set labels {"quarantine":"true"} and remove labels ["old"] on the pod 'web-1' in the namespace 'prod'`,
      details: { level: "pod", set: { quarantine: "true" }, remove: ["old"] },
    });
  });

  it("takes revert_after as a duration, refuses one that is not, and knows the key", () => {
    assert.deepEqual(label.parameters.parse({ labels: { a: "b" }, revert_after: "1h30m" }), {
      labels: { a: "b" },
      level: "pod",
      revert_after: 5_400_000,
    });
    assert.deepEqual(issues({ labels: { a: "b" }, revert_after: "30 min" }), [
      "revert_after: parameter 'revert_after' '30 min' is not a duration: use a number and a unit (s, m, h, d), e.g. 30m, 2h, 1h30m",
    ]);
    assert.match(issues({ labels: { a: "b" }, revert_after: "100d" })[0] ?? "", /out of range/);
    assert.deepEqual(unknownKeys(label.parameters, { labels: { a: "b" }, revert_after: "1h" }), []);
    assert.deepEqual(
      unknownKeys(label.parameters, { labels: { a: "b" }, revert_afer: "1h" }).map((u) => u.suggestion),
      ["revert_after"],
    );
  });

  it("is reversible; its undo record refuses names no object can have and empty changes", async () => {
    const record = label.reversible?.record;
    assert.ok(record);
    const target = { kind: "pod", namespace: "prod", name: "web-1", uid: "u-1" };
    const changes = {
      "example.com/q": { previous: null, written: "true" },
      tier: { previous: "a", written: null },
    };
    assert.deepEqual(record.parse({ target, changes }), { target, changes });
    assert.ok(record.parse({ target: { kind: "node", name: "n1", uid: "u" }, changes }));
    for (const bad of [
      { target: { ...target, namespace: ".." }, changes },
      { target: { ...target, name: "a/../b" }, changes },
      { target: { ...target, uid: "" }, changes },
      { target: { kind: "node", name: "..", uid: "u" }, changes },
      { target, changes: { "a b": { previous: null, written: "x" } } },
      { target, changes: {} },
    ]) {
      assert.equal(record.safeParse(bad).success, false, JSON.stringify(bad));
    }
    // A revert never throws: a cluster that can't be reached is a failure result.
    assert.deepEqual(
      await label.reversible?.revert({ undo: { target, changes }, env: noClusterEnv, dryRun: true }),
      {
        status: "failure",
        reverted: [],
        unchanged: [],
        conflicts: [],
        error: "the plan sent a request",
        objects: { pod: "web-1", namespace: "prod" },
      },
    );
  });
});
