/**
 * Every rules and configuration problem reachable through the real plug-ins reads as
 * "<where>: <field>: <reason>" (or names the unknown key/name): never zod's bare
 * `Invalid input`, an `[object Object]` or a `NaN` from a coercion.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pino } from "pino";
import { ConfigError, loadConfig } from "../config/load.js";
import { loadValidRules } from "./rules.js";

const dir = mkdtempSync(join(tmpdir(), "talon-messages-"));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const BAD = /Invalid input|Invalid option|\[object Object\]|NaN|undefined/;
/** A field path then a reason, or an unknown key/name. */
const NAMED =
  /^(env [A-Z0-9_]+: \S|(\S+:\d+:\d+: )?([\w.[\]"/-]+: \S|unknown (key|notifier|actionner|context|target) '|settings of an unknown notifier '|(incorrect|missing|no) |an output|output '|all rules|action without|an item|wrong syntax))/;

function assertReadable(messages: string[]): void {
  assert.ok(messages.length > 0);
  for (const m of messages) {
    assert.doesNotMatch(m, BAD, m);
    assert.match(m, NAMED, m);
  }
}

const RULES = `
- action: Kill
  actionner: kubernetes:terminate
  description: [not, text]
  parameters:
    grace_period_second: 20
    grace_period_seconds: soon
    ignore_daemonsets: maybe
    min_healthy_replicas: lots
- action: Mark
  actionner: kubernetes:label
  continue: perhaps
  parameters:
    labels: [a, b]
- rule: Everything wrong
  matchh: {rules: [x]}
  dry_run: later
  cooldown_seconds: -3
  notifiers: [slak, webhook]
  match:
    priority: ">=Info"
    tags: ["bad tag!"]
    output_fields: ["nokey"]
    prority: high
  actions:
    - action: Kill
    - action: Mark
    - action: Capture
      actionner: kubernetes:tcpdump
      parameters: {duration: 100000, snaplen: -1, image: {a: 1}}
      output: {target: local:file, parameters: {destination: 12, extra: 1}}
    - action: Trace
      actionner: kubernetes:sysdig
      parameters: {scope: cluster, buffer_size: 1}
      output: {target: local:file, parameters: {destination: ${dir}/missing}}
    - action: Call
      actionner: aws:lambda
      additional_contexts: [awss]
      parameters: {aws_lambda_invocation_type: Sometimes}
    - action: Log
      actionner: kubernetes:log
      parameters: {tail_lines: many}
      output: {target: s3:aws, parameters: {bucket: b}}
    - action: Run
      actionner: kubernetes:script
      parameters: {script: x, file: /nonexistent, shell: ""}
    - action: Typo
      actionner: kubernetes:terminat
    - action: Bad name
      actionner: Kubernetes Terminate
`;

describe("problem messages name the field and the reason", () => {
  test("rules, plug-in parameters, outputs and notifiers (the server's validation)", async () => {
    const rules = write("rules.yaml", RULES);
    const { config, origin } = loadConfig({
      file: write(
        "config.yaml",
        "default_notifiers: [webhook, teams]\nnotifiers:\n  webhook:\n    url: ftp://x\n    http_methd: PUT\n  slakk: {}\n",
      ),
      env: {},
    });
    const env = {
      config,
      logger: pino({ level: "silent" }),
      kube: async () => {
        throw new Error("no cluster");
      },
    };
    const result = await loadValidRules([rules], env, origin);
    assert.equal(result.ruleset, undefined);
    assertReadable(result.errors);
    assertReadable(result.warnings);
    // Each problem once, in file order then position.
    assert.equal(new Set(result.errors).size, result.errors.length);
    const positions = result.errors
      .map((e) => /^(\S+?):(\d+):(\d+): /.exec(e))
      .filter((m): m is RegExpExecArray => m !== null && m[1] === rules)
      .map((m) => Number(m[2]) * 1000 + Number(m[3]));
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
    const text = result.errors.join("\n");
    for (const expected of [
      "unknown key 'matchh', did you mean 'match'?",
      "unknown key 'parameters.grace_period_second' for kubernetes:terminate, did you mean 'grace_period_seconds'?",
      "unknown key 'match.prority', did you mean 'priority'?",
      "unknown notifier 'slak', did you mean 'slack'?",
      "unknown actionner 'kubernetes:terminat', did you mean 'kubernetes:terminate'?",
      "unknown context 'awss', did you mean 'aws'?",
      "unknown target 's3:aws'",
      "parameters.aws_lambda_invocation_type: invalid value 'Sometimes', expected one of: RequestResponse, Event, DryRun",
      "parameters.scope: invalid value 'cluster', expected one of: pod, node",
      "output 'local:file': folder",
      "default_notifiers[1]: unknown notifier 'teams'",
      "notifiers.webhook.url:",
    ]) {
      assert.ok(text.includes(expected), `missing: ${expected}\n${text}`);
    }
    assert.ok(
      result.warnings.some((w) =>
        w.includes("unknown key 'notifiers.webhook.http_methd', did you mean 'http_method'?"),
      ),
      result.warnings.join("\n"),
    );
    assert.ok(
      result.warnings.some((w) => w.includes("settings of an unknown notifier 'slakk'")),
      result.warnings.join("\n"),
    );
  });

  test("configuration values from the file and from the environment", () => {
    const file = write(
      "bad-config.yaml",
      `listen_port: [1]
watch_rules: sometimes
log_format: xml
rules_files: {a: 1}
deduplication:
  time_window_seconds: -1
queue:
  nats:
    partitions: 0
auth:
  protect: [intake, everything]
max_body_bytes: big
otel:
  collector_port: 1.5
`,
    );
    const problems: string[] = [];
    for (const env of [
      {},
      {
        LISTEN_PORT: "abc",
        WATCH_RULES: "maybe",
        OTEL_TIMEOUT: "x",
        MAX_BODY_BYTES: "0",
        AUTH_PROTECT: "intake,foo",
      },
    ]) {
      try {
        loadConfig({ file, env });
        assert.fail("expected a ConfigError");
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        problems.push(...err.problems);
      }
    }
    assertReadable(problems);
    assert.ok(problems.includes("env LISTEN_PORT: expected a number, got 'abc'"), problems.join("\n"));
    assert.ok(
      problems.some((p) =>
        p.endsWith(
          "auth.protect[1]: invalid value 'everything', expected one of: intake, health, metrics, console",
        ),
      ),
      problems.join("\n"),
    );
  });
});
