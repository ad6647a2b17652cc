// Every field the official syscall rulesets use (conditions, outputs, exception fields) resolves in
// the syscall table and compiles with the argument written there.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { type AnyNode, walk } from "../ast.js";
import { compileFilter } from "../compiler.js";
import { parseCondition } from "../parser.js";
import { fieldTableFor } from "./index.js";

const DIR = new URL("../../../../shared/conformance/rules/", import.meta.url).pathname;
const table = fieldTableFor("syscall");
const FIELD = /%([a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+)(\[[^\]]*\])?/g;

/** Longest prefix (on `.` boundaries) that names a field, as outputs resolve `%name`. */
function outputField(name: string): string | undefined {
  for (let n = name; n.includes("."); n = n.slice(0, n.lastIndexOf("."))) if (table.lookup(n)) return n;
  return undefined;
}

function fieldsOf(files: string[]): Map<string, string> {
  const used = new Map<string, string>(); // field text → where
  for (const file of files) {
    const items = (parse(readFileSync(DIR + file, "utf8")) ?? []) as Record<string, any>[];
    for (const item of items) {
      if (!item || (item.source ?? "syscall") !== "syscall") continue;
      const where = `${file}: ${item.rule ?? item.macro ?? item.list}`;
      if (typeof item.condition === "string") {
        walk(parseCondition(item.condition), (n: AnyNode) => {
          if (n.kind === "field") used.set(n.name + (n.arg === undefined ? "" : `[${n.arg}]`), where);
        });
      }
      if (typeof item.output === "string") {
        for (const m of item.output.matchAll(FIELD)) {
          const name = outputField(m[1]!) ?? m[1]!;
          const hasArg = m[2] !== undefined && m[1] === name;
          used.set(name + (hasArg ? m[2] : ""), `${where} (output)`);
        }
      }
      for (const ex of item.exceptions ?? []) {
        for (const f of [ex.fields ?? []].flat())
          if (typeof f === "string") used.set(f, `${where} (exception)`);
      }
    }
  }
  return used;
}

test("every field of the official syscall rulesets resolves and compiles", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml") && !f.startsWith("k8s_audit"));
  const used = fieldsOf(files);
  assert.ok(used.size > 100, `only ${used.size} fields found`);
  for (const [field, where] of used) {
    const name = field.replace(/\[.*$/, "");
    if (name === "container.info") continue; // Falco's output placeholder
    assert.ok(table.lookup(name), `${field} (${where})`);
    assert.doesNotThrow(() => compileFilter(parseCondition(`${field} exists`), table), `${field} (${where})`);
  }
  for (const f of ["proc.aname[2]", "evt.arg.flags", "proc.exe_ino.ctime", "fd.snet", "proc.pexepath"]) {
    assert.ok(used.has(f), f);
  }
});
