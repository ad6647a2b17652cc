// Every official ruleset in the shared conformance corpus loads with zero errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatProblem, loadFalcoRules } from "../../src/falco/index.js";

const DIR = new URL("../../../shared/conformance/rules/", import.meta.url).pathname;

// Add-on files (incubating, sandbox, deprecated, gke) are loaded after their base ruleset, as Falco does.
const SETS: { files: string[]; rules: number }[] = [
  { files: ["falco_rules.yaml"], rules: 25 },
  { files: ["falco_rules.yaml", "falco-incubating_rules.yaml"], rules: 56 },
  { files: ["falco_rules.yaml", "falco-sandbox_rules.yaml"], rules: 62 },
  { files: ["falco_rules.yaml", "falco-deprecated_rules.yaml"], rules: 29 },
  { files: ["falco-incubating_rules.yaml"], rules: 31 },
  { files: ["falco-sandbox_rules.yaml"], rules: 37 },
  { files: ["falco-deprecated_rules.yaml"], rules: 4 },
  { files: ["falco_rules.legacy-v1.0.1-testing.yaml"], rules: 80 },
  { files: ["k8s_audit_rules.yaml"], rules: 48 },
  { files: ["k8s_audit_rules.yaml", "k8s_audit_rules_gke.yaml"], rules: 48 },
  { files: ["k8s_audit_rules.k8saudit-0.17.0.yaml"], rules: 48 },
  { files: ["k8s_audit_rules.k8saudit-0.5.0.yaml"], rules: 43 },
];

for (const set of SETS) {
  test(`loads ${set.files.join(" + ")}`, () => {
    const { engine, problems } = loadFalcoRules(set.files.map((f) => DIR + f));
    const errors = problems.filter((p) => p.severity === "error");
    const warnings = problems.filter((p) => p.severity === "warning");
    if (warnings.length)
      console.log(
        `${set.files.join(" + ")}: ${warnings.length} warnings\n  ${warnings.map(formatProblem).join("\n  ")}`,
      );
    assert.deepEqual(errors.map(formatProblem), []);
    assert.ok(engine);
    assert.equal(engine.ruleCount(), set.rules);
  });
}
