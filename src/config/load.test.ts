import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, peekLogFormat } from "./load.js";

const tmp = mkdtempSync(join(tmpdir(), "cfg-"));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe("loadConfig", () => {
  it("has Talon's defaults", () => {
    const { config } = loadConfig({ env: {} });
    assert.equal(config.listen_address, "0.0.0.0");
    assert.equal(config.listen_port, 2803);
    assert.deepEqual(config.rules_files, ["/etc/falco-talon/rules.yaml"]);
    assert.equal(config.watch_rules, true);
    assert.equal(config.print_all_events, false);
    assert.equal(config.log_format, "color");
    assert.equal(config.deduplication.time_window_seconds, 5);
    assert.equal(config.otel.timeout, 10);
    assert.equal(config.otel.collector_port, 4317);
    assert.equal(config.minio.use_ssl, false);
  });

  it("reads otel.timeout from the file", () => {
    const p = file("a.yaml", "otel:\n  timeout: 42\n");
    assert.equal(loadConfig({ file: p, env: {} }).config.otel.timeout, 42);
  });

  it("reads OTEL_TIMEOUT from the environment without a file", () => {
    assert.equal(loadConfig({ env: { OTEL_TIMEOUT: "37" } }).config.otel.timeout, 37);
  });

  it("applies env vars for keys absent from the file, lists as comma strings, notifier settings", () => {
    const p = file("b.yaml", "listen_port: 1234\n");
    const { config } = loadConfig({
      file: p,
      env: {
        LISTEN_PORT: "4321",
        AWS_REGION: "eu-west-1",
        DEFAULT_NOTIFIERS: "webhook, slack",
        RULES_FILES: "/a.yaml,/b.yaml",
        NOTIFIERS_SLACK_WEBHOOK_URL: "https://hooks.example/x",
        DEDUPLICATION_TIME_WINDOW_SECONDS: "0",
      },
    });
    assert.equal(config.listen_port, 4321);
    assert.equal(config.aws.region, "eu-west-1");
    assert.deepEqual(config.default_notifiers, ["webhook", "slack"]);
    assert.deepEqual(config.rules_files, ["/a.yaml", "/b.yaml"]);
    assert.equal(config.notifiers.slack?.webhook_url, "https://hooks.example/x");
    assert.equal(config.deduplication.time_window_seconds, 0);
  });

  it("lower-cases notifier names and settings from the file", () => {
    const p = file("c.yaml", "notifiers:\n  Webhook:\n    URL: http://x\n");
    assert.equal(loadConfig({ file: p, env: {} }).config.notifiers.webhook?.url, "http://x");
  });

  it("a missing default file is a warning, a missing explicit file an error", () => {
    const r = loadConfig({ file: join(tmp, "nope.yaml"), fileIsDefault: true, env: {} });
    assert.equal(r.warnings.length, 1);
    assert.throws(() => loadConfig({ file: join(tmp, "nope.yaml"), env: {} }), ConfigError);
  });

  it("names file:line:col for a bad value", () => {
    const p = file("d.yaml", "listen_address: 0.0.0.0\nlog_format: fancy\n");
    assert.throws(
      () => loadConfig({ file: p, env: {} }),
      (e: Error) => e.message.includes(`${p}:2:13: log_format`),
    );
  });

  it("unknown keys are warnings at the key, with the closest known key", () => {
    const p = file("e.yaml", "listen_prot: 1234\notel:\n  timout: 3\n  traces_enabled: true\nzzz: 1\n");
    const { config, warnings } = loadConfig({ file: p, env: {} });
    assert.equal(config.listen_port, 2803);
    assert.deepEqual(warnings, [
      `${p}:1:1: unknown key 'listen_prot', did you mean 'listen_port'?`,
      `${p}:3:3: unknown key 'otel.timout', did you mean 'timeout'?`,
      `${p}:5:1: unknown key 'zzz'`,
    ]);
  });

  it("a bad environment variable is named, not the file position", () => {
    const p = file("f.yaml", "listen_address: 0.0.0.0\nlisten_port: 2803\n");
    assert.throws(
      () => loadConfig({ file: p, env: { LISTEN_PORT: "abc" } }),
      (e: ConfigError) => {
        assert.deepEqual(e.problems, ["env LISTEN_PORT: expected a number, got 'abc'"]);
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ env: { WATCH_RULES: "maybe", OTEL_TIMEOUT: "1.5" } }),
      (e: ConfigError) => {
        assert.deepEqual(e.problems, [
          "env WATCH_RULES: expected a boolean (true or false), got 'maybe'",
          "env OTEL_TIMEOUT: expected an integer, got '1.5'",
        ]);
        return true;
      },
    );
  });

  it("file problems say what was expected and what was got", () => {
    const p = file(
      "g.yaml",
      "watch_rules: [1]\nlisten_port: 70000\nlog_format: fancy\nrules_files: {a: 1}\ndeduplication:\n  time_window_seconds: soon\n",
    );
    assert.throws(
      () => loadConfig({ file: p, env: {} }),
      (e: ConfigError) => {
        assert.deepEqual(e.problems, [
          `${p}:1:14: watch_rules: expected a boolean (true or false), got a list`,
          `${p}:2:14: listen_port: expected a number <= 65535, got 70000`,
          `${p}:3:13: log_format: invalid value 'fancy', expected one of: color, text, json`,
          `${p}:4:14: rules_files: expected a list or a comma-separated string, got a map`,
          `${p}:6:24: deduplication.time_window_seconds: expected a number, got 'soon'`,
        ]);
        for (const m of e.problems) assert.doesNotMatch(m, /Invalid input|NaN|\[object Object\]/);
        return true;
      },
    );
  });

  it("origin() tells where a key was set", () => {
    const p = file("h.yaml", "listen_port: 1\nnotifiers:\n  Webhook:\n    URL: http://x\n");
    const { origin } = loadConfig({ file: p, env: { LOG_FORMAT: "json" } });
    assert.equal(origin(["listen_port"]), `${p}:1:14`);
    assert.equal(origin(["log_format"]), "env LOG_FORMAT");
    assert.equal(origin(["notifiers", "webhook", "url"]), `${p}:4:10`);
  });

  it("peekLogFormat reads LOG_FORMAT, else the file's log_format, even from a broken file", () => {
    const p = file("i.yaml", "log_format: json\nlisten_port: [\n");
    assert.equal(peekLogFormat(p, {}), "json");
    assert.equal(peekLogFormat(p, { LOG_FORMAT: "text" }), "text");
    assert.equal(peekLogFormat(undefined, {}), "color");
  });
});
