import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { JsonNumber } from "../events/event.js";
import { parseSince, runAuditList } from "./cli.js";
import { AuditLog } from "./log.js";

const base = {
  message: "action" as const,
  event_id: "e1",
  rule: "Terminate shells",
  action: "kill",
  actionner: "kubernetes:terminate",
  target: "pod:default/nginx",
  status: "success",
};

function tmpFile(): string {
  return join(mkdtempSync(join(tmpdir(), "talon-audit-")), "audit.jsonl");
}

async function list(opts: Parameters<typeof runAuditList>[0]) {
  const lines: string[] = [];
  const code = await runAuditList(opts, (l) => lines.push(l));
  return { code, lines };
}

describe("AuditLog", () => {
  it("appends one JSON line per record, keeps earlier lines across reopening", () => {
    const file = tmpFile();
    const a = new AuditLog(file);
    a.record({ ...base, time: "2026-01-01T00:00:00.000Z", error: "", reason: undefined });
    a.close();
    const b = new AuditLog(file);
    b.record({ ...base, event_id: "e2", status: "failure", error: "boom" });
    b.close();
    b.record({ ...base, event_id: "e3" }); // closed: ignored, no throw
    const lines = readFileSync(file, "utf8").split("\n");
    assert.equal(lines.pop(), "", "ends with a newline");
    assert.equal(lines.length, 2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    assert.deepEqual(first, {
      time: "2026-01-01T00:00:00.000Z",
      replica: `${hostname()}:${process.pid}`,
      ...base,
    });
    assert.deepEqual(Object.keys(first).slice(0, 2), ["time", "replica"]);
    assert.equal(second.error, "boom");
    assert.ok(Date.parse(second.time) > Date.parse("2026-01-01"));
  });

  it("writes an event entry's numbers as sent, and the list leaves event entries out", async () => {
    const file = tmpFile();
    const a = new AuditLog(file);
    a.record({
      ...base,
      message: "event",
      status: "matched",
      event: {
        output: "o",
        priority: "Warning",
        rule: "Shell",
        hostname: "",
        time: "",
        source: "syscall",
        output_fields: { "evt.rawtime": new JsonNumber("1795435200123456789"), "proc.pid": 42 },
        tags: [],
      },
      rules: [base.rule],
    });
    a.record({ ...base, time: "2026-01-01T00:00:00.000Z" });
    a.close();
    const text = readFileSync(file, "utf8");
    assert.match(text, /"output_fields":\{"evt.rawtime":1795435200123456789,"proc.pid":42\}/);
    const out: string[] = [];
    assert.equal(await runAuditList({ file, json: true }, (l) => out.push(l)), 0);
    assert.deepEqual(
      out.map((l) => JSON.parse(l).message),
      ["action"],
    );
  });

  it("says clearly when the file cannot be opened", () => {
    assert.throws(
      () => new AuditLog("/nonexistent/dir/audit.jsonl"),
      /audit.file '\/nonexistent\/dir\/audit.jsonl' cannot be opened/,
    );
  });
});

describe("runAuditList", () => {
  const file = tmpFile();
  const log = new AuditLog(file);
  log.record({ ...base, time: "2026-01-01T00:00:00.000Z" });
  log.record({
    ...base,
    time: "2026-01-02T00:00:00.000Z",
    event_id: "e2",
    status: "failure",
    error: "pod gone",
  });
  log.record({
    ...base,
    time: "2026-01-03T00:00:00.000Z",
    event_id: "e3",
    rule: "Other",
    status: "ignored",
    reason: "cooldown",
  });
  log.record({
    ...base,
    time: "2026-01-04T00:00:00.000Z",
    event_id: "e4",
    message: "output",
    output_target: "aws:s3",
  });
  log.close();

  it("prints a table, newest last, with errors and reasons", async () => {
    const { code, lines } = await list({ file });
    assert.equal(code, 0);
    assert.equal(lines.length, 5);
    assert.match(lines[0]!, /^TIME\s+RULE\s+ACTION\s+ACTIONNER\s+TARGET\s+STATUS\s+ERROR$/);
    assert.match(lines[2]!, /^2026-01-02T00:00:00.000Z {2}Terminate shells {2}kill .* failure\s+pod gone$/);
    assert.match(lines[3]!, /ignored\s+cooldown$/);
    assert.match(lines[4]!, /success \(output aws:s3\)$/);
  });

  it("filters by rule, status (any case), since, and keeps the last N", async () => {
    const ids = async (o: Partial<Parameters<typeof runAuditList>[0]>) =>
      (await list({ file, json: true, ...o })).lines.map((l) => JSON.parse(l).event_id);
    assert.deepEqual(await ids({ rule: "Terminate shells" }), ["e1", "e2", "e4"]);
    assert.deepEqual(await ids({ status: "FAILURE" }), ["e2"]);
    assert.deepEqual(await ids({ since: "2026-01-03T00:00:00Z" }), ["e3", "e4"]);
    assert.deepEqual(await ids({ limit: 2 }), ["e3", "e4"]);
    assert.deepEqual(await ids({ rule: "Terminate shells", limit: 1 }), ["e4"]);
    assert.deepEqual(await ids({ since: "1h" }), [], "relative to now");
  });

  it("skips a torn line and says so", async () => {
    const torn = tmpFile();
    const l = new AuditLog(torn);
    l.record(base);
    l.close();
    appendFileSync(torn, '{"time":"2026-01-0');
    const { code, lines } = await list({ file: torn });
    assert.equal(code, 0);
    assert.equal(lines.length, 3);
    assert.equal(lines[2], "(1 malformed line skipped)");
  });

  it("exit codes: 1 for a missing file, 2 for bad options", async () => {
    const missing = await list({ file: "/nonexistent/audit.jsonl" });
    assert.equal(missing.code, 1);
    assert.match(missing.lines[0]!, /^error: audit file '\/nonexistent\/audit.jsonl' cannot be read/);
    assert.equal((await list({ file, since: "yesterday" })).code, 2);
    assert.equal((await list({ file, limit: 0 })).code, 2);
    assert.equal((await list({ file: "" })).code, 2);
  });

  it("parseSince reads durations and RFC 3339 times", () => {
    assert.equal(parseSince("90s", 100_000), 10_000);
    assert.equal(parseSince("2h", 10 * 3_600_000), 8 * 3_600_000);
    assert.equal(parseSince("2026-01-02T00:00:00Z"), Date.parse("2026-01-02T00:00:00Z"));
    assert.equal(typeof parseSince("12"), "string");
  });
});
