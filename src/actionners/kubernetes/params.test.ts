import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatProblem, loadRulesFromSources } from "../../rules/load.js";
import { validateRules } from "../../rules/validate.js";
import { findActionner } from "../registry.js";
import { annotationMap, labelMap } from "./params.js";

/**
 * `rules check` of one YAML text against the real actionners (no cluster: no output checks), as
 * `position [path] message` (the loader's own wording of the path is left out).
 */
async function problems(text: string): Promise<string[]> {
  const loaded = loadRulesFromSources([{ file: "r.yaml", text }]);
  assert.deepEqual(loaded.problems.map(formatProblem), []);
  const registry = { findActionner, findOutput: () => undefined, findContext: () => undefined };
  return (await validateRules(loaded.ruleset!, registry, undefined))
    .map(formatProblem)
    .map((p) =>
      p
        .replace(/^(r\.yaml:\d+:\d+): .*?'?((?:parameters\.)?[a-z.]+)'?: (invalid)/, "$1 [$2] $3")
        .replace("[parameters.", "["),
    );
}

describe("label and annotation parameters", () => {
  test("keys and values follow Kubernetes' rules; empty values remove", () => {
    assert.deepEqual(labelMap.parse({ "example.com/a": true, b: "", c: null }), {
      "example.com/a": "true",
      b: "",
      c: "",
    });
    const r = labelMap.safeParse({ "a b": "1", ok: "not ok!", "x/y/z": "1" });
    assert.equal(r.success, false);
    assert.deepEqual(
      r.error?.issues.map((i) => [i.path, i.message.replace(/: .*/, "")]),
      [
        [[], "invalid label key 'a b'"],
        [["ok"], "invalid label value 'not ok!' for the key 'ok'"],
        [[], "invalid label key 'x/y/z'"],
      ],
    );
    assert.equal(annotationMap.safeParse({ "falco.org/output": "any text: ../ %2e \u00fc" }).success, true);
    assert.equal(annotationMap.safeParse({ "..": "x" }).success, false);
    assert.match(
      annotationMap.safeParse({ a: "x".repeat(300 * 1024) }).error?.message ?? "",
      /bytes, more than/,
    );
  });

  test("rules check reports them at the parameter, with the rule broken", async () => {
    assert.deepEqual(
      await problems(`- rule: R
  actions:
    - action: Label
      actionner: kubernetes:label
      parameters:
        labels:
          a b: "x"
          tier: "not valid!"
    - action: Annotate
      actionner: kubernetes:annotation
      parameters:
        annotations: {"a/../b": "x"}
`),
      [
        "r.yaml:7:11 [labels] invalid label key 'a b': the name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        "r.yaml:8:17 [labels.tier] invalid label value 'not valid!' for the key 'tier': must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        "r.yaml:12:22 [annotations] invalid annotation key 'a/../b': a qualified name may contain at most one '/' (prefix/name)",
      ],
    );
  });
});
