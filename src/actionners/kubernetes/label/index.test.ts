import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput, parameterIssues } from "../../../../test/support/actionner-input.js";
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
});
