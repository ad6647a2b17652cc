import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { engineVersionOf, FALCO_RELEASES, parseFalcoRelease, problemsAsRelease } from "./releases.js";

describe("Falco releases", () => {
  it("each release's engine version (falco_engine_version.h at its tag)", () => {
    assert.deepEqual(Object.fromEntries(FALCO_RELEASES.map((r) => [r, engineVersionOf(r)])), {
      "0.37": "0.31.0",
      "0.38": "0.40.0",
      "0.39": "0.43.0",
      "0.40": "0.46.0",
      "0.41": "0.50.0",
      "0.42": "0.57.0",
      "0.43": "0.58.0",
      "0.44": "0.62.0",
    });
  });

  it("a release or one of its patch releases; anything else is unsupported", () => {
    assert.equal(parseFalcoRelease("0.42"), "0.42");
    assert.equal(parseFalcoRelease("0.44.1"), "0.44");
    assert.equal(parseFalcoRelease("0.41.3"), "0.41");
    for (const bad of ["0.45", "0.36", "0.4", "1.0", "0.42.x", "v0.42", "", "0.42.1.1"]) {
      assert.equal(parseFalcoRelease(bad), undefined, bad);
    }
  });

  it("deprecation warnings by release; other problems untouched", () => {
    const at = { file: "r.yaml", line: 1, col: 1 };
    const problems = [
      {
        ...at,
        severity: "warning" as const,
        code: "LOAD_DEPRECATED_ITEM",
        message: "usage of deprecated field 'evt.dir' has been detected in the rule condition",
      },
      {
        ...at,
        severity: "warning" as const,
        code: "LOAD_DEPRECATED_ITEM",
        message: "usage of deprecated field 'evt.dir' has been detected in the rule output",
      },
      {
        ...at,
        severity: "warning" as const,
        code: "LOAD_UNUSED_LIST",
        message: "List not referred to by any other rule/macro",
      },
    ];
    assert.deepEqual(
      problemsAsRelease(problems, "0.41").map((p) => p.code),
      ["LOAD_UNUSED_LIST"],
    );
    assert.deepEqual(
      problemsAsRelease(problems, "0.42").map((p) => p.message),
      [
        "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'",
        "usage of deprecated field 'evt.dir' has been detected in the rule output",
        "List not referred to by any other rule/macro",
      ],
    );
  });

  it("the evt.latency fields and evt.wait_latency warn from 0.43", () => {
    const at = {
      file: "r.yaml",
      line: 1,
      col: 1,
      severity: "warning" as const,
      code: "LOAD_DEPRECATED_ITEM",
    };
    const problems = [
      { ...at, message: "field is not available due to the drop of enter events." },
      {
        ...at,
        message: "usage of deprecated field 'evt.latency.human' has been detected in the rule output",
      },
      { ...at, message: "usage of deprecated field 'evt.dir' has been detected in the rule output" },
    ];
    assert.deepEqual(
      problemsAsRelease(problems, "0.42").map((p) => p.message),
      ["usage of deprecated field 'evt.dir' has been detected in the rule output"],
    );
    assert.deepEqual(problemsAsRelease(problems, "0.43"), problems);
    assert.deepEqual(problemsAsRelease(problems, "0.44"), problems);
  });
});
