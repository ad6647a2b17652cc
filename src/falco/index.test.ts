import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { formatProblem, loadFalcoRules } from "./index.js";

describe("loadFalcoRules with a folder", () => {
  it("loads the folder's *.yaml files in name order, skipping hidden entries and other files", () => {
    const dir = mkdtempSync(join(tmpdir(), "falco-rules-dir-"));
    // The list must load before the rule that uses it: name order makes it so.
    writeFileSync(join(dir, "00-lists.yaml"), "- list: shells\n  items: [sh, bash]\n");
    writeFileSync(
      join(dir, "10-rules.yaml"),
      `- rule: Shell in event
  desc: a shell
  condition: proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
`,
    );
    writeFileSync(join(dir, "notes.txt"), "not rules");
    mkdirSync(join(dir, "..2026_11_23"));
    writeFileSync(join(dir, "..2026_11_23", "broken.yaml"), "- rule: [");
    const { engine, problems } = loadFalcoRules([dir]);
    assert.deepEqual(problems.filter((p) => p.severity === "error").map(formatProblem), []);
    assert.equal(engine?.ruleCount(), 1);
    // The list from 00-lists.yaml is in force: bash is one of its items.
    assert.equal(engine?.processJson({ "proc.name": "bash" }, "syscall").length, 1);
  });

  it("an unreadable path is a LOAD_ERR_FILE_READ naming it", () => {
    const { engine, problems } = loadFalcoRules(["/nonexistent/falco_rules.yaml"]);
    assert.equal(engine, undefined);
    assert.match(
      formatProblem(problems[0]!),
      /^\/nonexistent\/falco_rules\.yaml:1:1: error LOAD_ERR_FILE_READ/,
    );
  });
});
