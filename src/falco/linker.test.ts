import assert from "node:assert/strict";
import { test } from "node:test";
import { buildExceptionCondition } from "./linker.js";

test("exception conditions are built with Falco's exact spacing", () => {
  const cond = buildExceptionCondition({
    name: "e",
    fields: ["proc.name", "proc.cmdline"],
    comps: ["=", "="],
    values: [["cat", "cat /dev/null"]],
    origin: { file: "", loc: { line: 1, col: 1 } },
  });
  assert.equal(cond, '(( proc.name = cat and  proc.cmdline = "cat /dev/null"))');
  const single = buildExceptionCondition({
    name: "e",
    fields: "proc.name",
    comps: "in",
    values: ["a", "b c"],
    origin: { file: "", loc: { line: 1, col: 1 } },
  });
  assert.equal(single, '(proc.name in (a, "b c"))');
  const listOp = buildExceptionCondition({
    name: "e",
    fields: ["proc.name"],
    comps: ["in"],
    values: [["bash"], [["sh", "zsh"]]],
    origin: { file: "", loc: { line: 1, col: 1 } },
  });
  assert.equal(listOp, "(( proc.name in (bash)) or ( proc.name in (sh, zsh)))");
});
