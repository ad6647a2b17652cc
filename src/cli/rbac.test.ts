import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRulesFromSources } from "../rules/index.js";
import { buildClusterRole } from "./rbac.js";

const role = (level: string) => {
  const loaded = loadRulesFromSources([
    {
      file: "rules.yaml",
      text: `
- action: Label
  actionner: kubernetes:label
  parameters: {level: ${level}, labels: {suspicious: "true"}}
- rule: r
  actions: [{action: Label}]
`,
    },
  ]);
  assert.deepEqual(loaded.problems, []);
  return buildClusterRole(loaded.ruleset!).rules;
};

test("a pod-level label needs no node permissions; a node-level one patches nodes only", () => {
  assert.deepEqual(role("pod"), [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] }]);
  assert.deepEqual(role("node"), [
    { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
  ]);
});
