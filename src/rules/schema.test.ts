import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  dryRunSetting,
  parseOutputFieldGroup,
  parsePriority,
  parseTagGroup,
  parseYamlBoolean,
  priorityNumber,
  rawActionSchema,
  yamlBoolean,
} from "./schema.js";

describe("YAML booleans", () => {
  test("accepted spellings", () => {
    for (const v of [true, "true", "True", "TRUE", "yes", "Yes", " true "])
      assert.equal(parseYamlBoolean(v), true, String(v));
    for (const v of [false, "false", "False", "no", "NO"])
      assert.equal(parseYamlBoolean(v), false, String(v));
    for (const v of [undefined, null, ""]) assert.equal(parseYamlBoolean(v), undefined);
    for (const v of ["maybe", 1, 0, "on", [], {}]) assert.equal(parseYamlBoolean(v), "invalid", String(v));
  });

  test("schemas give Talon's messages", () => {
    const r = yamlBoolean("continue").safeParse("maybe");
    assert.equal(r.success, false);
    assert.equal(
      r.error?.issues[0]?.message,
      "'continue' setting can be 'true' or 'false' only, got 'maybe'",
    );
    assert.equal(dryRunSetting.parse("Server"), "server");
    assert.equal(dryRunSetting.parse("no"), false);
    assert.equal(dryRunSetting.safeParse("later").success, false);
  });
});

describe("priority", () => {
  test("numbers Debug=1 … Emergency=8, case-insensitive, unknown = 0", () => {
    const names = ["Debug", "Informational", "Notice", "Warning", "Error", "Critical", "Alert", "Emergency"];
    names.forEach((n, i) => {
      assert.equal(priorityNumber(n), i + 1);
      assert.equal(priorityNumber(n.toUpperCase()), i + 1);
    });
    assert.equal(priorityNumber("Info"), 0);
    assert.equal(priorityNumber(""), 0);
  });

  test("parsing", () => {
    assert.deepEqual(parsePriority(">=Warning"), { op: ">=", level: 4, text: ">=Warning" });
    assert.deepEqual(parsePriority("<Error"), { op: "<", level: 5, text: "<Error" });
    assert.deepEqual(parsePriority("=Notice"), { op: "=", level: 3, text: "=Notice" });
    assert.deepEqual(parsePriority("Critical"), { op: "=", level: 6, text: "Critical" });
    assert.deepEqual(parsePriority("<=emergency"), { op: "<=", level: 8, text: "<=emergency" });
    assert.deepEqual(parsePriority(">debug"), { op: ">", level: 1, text: ">debug" });
    // Talon accepts a bare comparator and ignores it.
    assert.equal(parsePriority(">="), undefined);
    assert.equal(parsePriority(""), undefined);
    for (const bad of ["Info", "!=Warning", "=>Warning", ">=Warning!", "4", "Warn"]) {
      assert.equal(parsePriority(bad), "invalid", bad);
    }
  });
});

describe("tags", () => {
  test("a comma-separated AND group, spaces removed", () => {
    assert.deepEqual(parseTagGroup("a, b ,c"), { tags: ["a", "b", "c"], errors: [] });
    assert.deepEqual(parseTagGroup("mitre_execution, T1059, NIST_800-53_AC-2, PCI_DSS_10.2.5").errors, []);
  });

  test("incorrect tags", () => {
    assert.deepEqual(parseTagGroup("a,").errors, ["incorrect tag ''"]);
    assert.deepEqual(parseTagGroup("ok, bad!").errors, ["incorrect tag 'bad!'"]);
    assert.deepEqual(parseTagGroup("trailing_").errors, ["incorrect tag 'trailing_'"]);
  });
});

describe("output fields", () => {
  test("keys with _ - / and [..] are accepted (Talon's regex rejected them)", () => {
    assert.deepEqual(parseOutputFieldGroup("proc.is_exe_writable=true"), {
      conditions: [{ key: "proc.is_exe_writable", op: "=", value: "true" }],
      errors: [],
    });
    assert.deepEqual(parseOutputFieldGroup("k8s.pod.label[app.kubernetes.io/name]=nginx").conditions, [
      { key: "k8s.pod.label[app.kubernetes.io/name]", op: "=", value: "nginx" },
    ]);
    assert.deepEqual(parseOutputFieldGroup("proc.aname[2]!=bash, my-field=x").conditions, [
      { key: "proc.aname[2]", op: "!=", value: "bash" },
      { key: "my-field", op: "=", value: "x" },
    ]);
  });

  test("quotes removed from values; empty values allowed", () => {
    assert.deepEqual(parseOutputFieldGroup('a="x y", b!=""').conditions, [
      { key: "a", op: "=", value: "x y" },
      { key: "b", op: "!=", value: "" },
    ]);
  });

  test("incorrect pieces are errors, not silently dropped", () => {
    assert.deepEqual(parseOutputFieldGroup("novalue").errors, ["incorrect output field key 'novalue'"]);
    assert.deepEqual(parseOutputFieldGroup("a b=1").errors, ["incorrect output field key 'a b=1'"]);
    assert.deepEqual(parseOutputFieldGroup("=1").errors, ["incorrect output field key '=1'"]);
    assert.deepEqual(parseOutputFieldGroup("a=b=c").errors, ["incorrect output field value 'a=b=c'"]);
    assert.deepEqual(parseOutputFieldGroup("a!=b!c").errors, ["incorrect output field value 'a!=b!c'"]);
    assert.deepEqual(parseOutputFieldGroup("a=1,").errors, ["incorrect output field key ''"]);
  });
});

describe("raw items", () => {
  test("scalars are read as text; unknown keys are ignored (as Talon)", () => {
    const a = rawActionSchema.parse({ action: 123, actionner: "kubernetes:terminate", whatever: 1 });
    assert.equal(a.action, "123");
    assert.equal("whatever" in a, false);
  });
});
