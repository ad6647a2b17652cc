import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ConfigError } from "../config/load.js";
import { fatalText } from "./main.js";

const ROOT = resolve(import.meta.dirname, "../..");
const run = (env: NodeJS.ProcessEnv, ...args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, RULES_FILES: "", LOG_FORMAT: "", ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const cli = (...args: string[]) => run({}, ...args);
const tmp = mkdtempSync(join(tmpdir(), "cli-"));

describe("falco-talon CLI", () => {
  it("version prints tab-aligned build information, with the checkout's commit", () => {
    const r = run({ FALCO_TALON_GIT_COMMIT: "" }, "version");
    assert.equal(r.code, 0);
    assert.match(r.out, /^GitVersion:\s+\S+/m);
    assert.match(r.out, /^GitCommit:\s+[0-9a-f]{40}$/m);
    assert.match(r.out, /^Platform:\s+linux\//m);
  });

  it("-r is a root flag: before or after the command", () => {
    const before = cli("-r", "examples/rules.yaml", "rules", "check");
    assert.equal(before.code, 0, before.out + before.err);
    assert.match(before.out, /^rules file valid$/m);
    const after = cli("actionners", "list", "-r", "examples/rules.yaml");
    assert.equal(after.code, 0, after.err);
    assert.match(after.out, /--- kubernetes:terminate ---/);
  });

  it("with log_format json, a fatal startup error is one JSON log line on stderr", () => {
    const cfg = join(tmp, "json.yaml");
    writeFileSync(cfg, "log_format: json\nlisten_port: 0\n");
    const r = run({ LISTEN_PORT: "abc" }, "server", "-c", cfg, "-r", "examples/rules.yaml");
    assert.equal(r.code, 1);
    const lines = r.err.trim().split("\n");
    assert.equal(lines.length, 1, r.err);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.level, "fatal");
    assert.equal(line.message, "startup failed");
    assert.equal(line.error, "env LISTEN_PORT: expected a number, got 'abc'");
  });

  it("notifiers list has a named header for each notifier", () => {
    const r = cli("notifiers", "list");
    assert.equal(r.code, 0);
    assert.ok(!r.out.includes("---  ---"));
    for (const n of ["slack", "loki", "elasticsearch", "webhook"])
      assert.ok(r.out.includes(`--- ${n} ---`), n);
  });

  it("actionners list as YAML marks required parameters, and as JSON carries JSON schemas", () => {
    const yaml = cli("actionners", "list");
    assert.equal(yaml.code, 0);
    assert.match(yaml.out, /--- kubernetes:terminate ---/);
    const section = yaml.out.split("--- kubernetes:label ---")[1]!.split("\n--- ")[0]!;
    const label = parse(section);
    assert.ok("labels (required)" in label.parameters);
    assert.equal(label.category, "kubernetes");
    const json = JSON.parse(cli("actionners", "list", "-o", "json").out) as {
      full_name: string;
      parameters_schema: { type: string; properties: Record<string, unknown> };
    }[];
    const terminate = json.find((a) => a.full_name === "kubernetes:terminate")!;
    assert.equal(terminate.parameters_schema.type, "object");
    assert.ok("grace_period_seconds" in terminate.parameters_schema.properties);
  });

  it("outputs list as JSON", () => {
    const json = JSON.parse(cli("outputs", "list", "-o", "json").out) as { full_name: string }[];
    assert.ok(json.some((o) => o.full_name === "local:file"));
  });

  it("rules check prints every problem as file:line:col and exits 1", () => {
    const bad = join(tmp, "bad.yaml");
    writeFileSync(
      bad,
      `- rule: r
  match:
    priority: ">=Info"
  actions:
    - action: a
      actionner: tests:missing
`,
    );
    const r = cli("rules", "check", "-r", bad);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`${bad}:3:15: match.priority: incorrect priority '>=Info'`));
    assert.match(r.out, new RegExp(`${bad}:6:18: unknown actionner 'tests:missing'`));
    assert.match(r.out, /invalid rules/);
  });

  it("rules check accepts the examples; rules print shows the merged rules", () => {
    const ok = cli("rules", "check", "-r", "examples/rules.yaml");
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /rules file valid/);
    const printed = cli("rules", "print", "-r", "examples/rules.yaml");
    assert.equal(printed.code, 0);
    assert.ok(printed.out.startsWith("---"));
    const rules = parse(printed.out.replace(/^---\n/, ""));
    assert.equal(rules[0].rule, "Terminal shell in container");
    assert.equal(rules[0].actions[0].actionner, "kubernetes:label");
  });

  it("rbac prints the ClusterRole the rules need", () => {
    const r = cli("rbac", "-r", "examples/rules.yaml");
    assert.equal(r.code, 0, r.err);
    const role = parse(r.out.replace(/^---\n/, ""));
    assert.equal(role.kind, "ClusterRole");
    const pods = role.rules.find((x: { resources: string[] }) => x.resources.includes("pods"));
    assert.ok(pods.verbs.includes("delete"), "terminate deletes pods");
    assert.ok(!role.rules.some((x: { resources: string[] }) => x.resources.includes("secrets")));
  });

  it("audit lists and filters the audit trail", () => {
    const file = join(tmp, "audit.jsonl");
    writeFileSync(
      file,
      [
        {
          time: "2026-11-23T10:00:00Z",
          rule: "R1",
          action: "a",
          actionner: "kubernetes:label",
          status: "success",
        },
        {
          time: "2026-11-23T10:01:00Z",
          rule: "R2",
          action: "b",
          actionner: "kubernetes:terminate",
          status: "failure",
          error: "boom",
        },
      ]
        .map((l) =>
          JSON.stringify({ replica: "h:1", message: "action", event_id: "e", target: "pod:ns/p", ...l }),
        )
        .join("\n") + "\n",
    );
    const all = cli("audit", "--file", file);
    assert.equal(all.code, 0, all.err);
    assert.match(all.out, /R1[\s\S]*R2/);
    const failed = cli("audit", "--file", file, "--status", "failure", "--json");
    const lines = failed.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.rule),
      ["R2"],
    );
  });

  it("server exits 1 on invalid rules", () => {
    const bad = join(tmp, "bad2.yaml");
    writeFileSync(bad, "- rule: r\n  actions:\n    - action: a\n      actionner: nope:nope\n");
    const cfg = join(tmp, "c.yaml");
    writeFileSync(cfg, "log_format: json\nlisten_port: 0\n");
    const r = cli("server", "-c", cfg, "-r", bad);
    assert.equal(r.code, 1);
    assert.match(r.out, /unknown actionner/);
  });
});

describe("fatalText", () => {
  const now = new Date("2026-11-23T10:00:00Z");
  it("json: one line with level, time, message and error (config problems joined, and listed)", () => {
    const err = new ConfigError("invalid configuration:\na\nb", ["a: x", "b: y"]);
    assert.deepEqual(JSON.parse(fatalText(err, "json", now)), {
      level: "fatal",
      time: "2026-11-23T10:00:00.000Z",
      message: "startup failed",
      error: "a: x; b: y",
      problems: ["a: x", "b: y"],
    });
    assert.deepEqual(JSON.parse(fatalText(new Error("invalid rules"), "json", now)).error, "invalid rules");
  });
  it("text: fatal: <message>", () => {
    assert.equal(fatalText(new Error("invalid rules"), "color", now), "fatal: invalid rules\n");
  });
});
