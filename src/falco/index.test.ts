import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { JsonNumber } from "../events/event.js";
import { parseJsonExact } from "../events/json.js";
import { formatAlertJson, formatProblem, loadFalcoRules, loadFalcoRulesFromStrings } from "./index.js";

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

describe("alerts keep ns times exact", () => {
  // a double rounds this to 1795435200123456800
  const ev = { "evt.rawtime": "1795435200123456789", "proc.name": "bash" };
  const rule = (output: string) => [
    {
      path: "r.yaml",
      content: `- rule: Shell\n  desc: d\n  condition: proc.name = bash\n  output: ${output}\n  priority: WARNING\n`,
    },
  ];

  it("time, output prefix, output_fields and the JSON line", () => {
    const { engine } = loadFalcoRulesFromStrings(rule("shell raw=%evt.rawtime"), { timeFormatIso8601: true });
    const [a] = engine!.processJson(ev, "syscall");
    assert.equal(a!.time, "2026-11-23T12:00:00.123456789Z");
    assert.equal(a!.output, "2026-11-23T12:00:00.123456789+0000: Warning shell raw=1795435200123456789");
    for (const k of ["evt.time.iso8601", "evt.rawtime"]) {
      const v = a!.output_fields[k];
      assert.ok(v instanceof JsonNumber, k);
      assert.equal(v.raw, "1795435200123456789");
    }
    const line = formatAlertJson(a!);
    assert.match(
      line,
      /"output_fields":\{"evt\.rawtime":1795435200123456789,"evt\.time\.iso8601":1795435200123456789\}/,
    );
    assert.match(line, /"time":"2026-11-23T12:00:00\.123456789Z"/);
  });

  it("evt.time in output_fields without the ISO option", () => {
    const { engine } = loadFalcoRulesFromStrings(rule("shell"));
    const [a] = engine!.processJson(ev, "syscall");
    assert.match(a!.output, /^\d{2}:\d{2}:\d{2}\.123456789: Warning shell$/);
    const t = a!.output_fields["evt.time"];
    assert.ok(t instanceof JsonNumber);
    assert.equal(t.raw, "1795435200123456789");
    assert.match(formatAlertJson(a!), /"output_fields":\{"evt\.time":1795435200123456789\}/);
  });

  it("an exact JSON number as evt.rawtime is read exactly", () => {
    const { engine } = loadFalcoRulesFromStrings(rule("shell"), { timeFormatIso8601: true });
    const [a] = engine!.processJson(
      parseJsonExact('{"evt.rawtime":1795435200123456789,"proc.name":"bash"}'),
      "syscall",
    );
    assert.equal(a!.time, "2026-11-23T12:00:00.123456789Z");
  });
});
