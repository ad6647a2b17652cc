import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { pino } from "pino";
import { loadConfig } from "../config/load.js";
import { falcoEngineOptions, loadFalcoEngine } from "./falco.js";

const ROOT = resolve(import.meta.dirname, "../..");
const K8S_AUDIT_RULES = resolve(ROOT, "../shared/conformance/rules/k8s_audit_rules.yaml");
const EXEC = readFileSync(resolve(ROOT, "test/falco/fixtures/exec-pod.json"), "utf8");

describe("the built-in Falco engine's alerts", () => {
  const logger = pino({ level: "silent" });
  it("carry this machine's host name, as Falco's do", () => {
    const { events } = loadFalcoEngine([K8S_AUDIT_RULES], logger).processAudit(EXEC);
    assert.ok(events.length > 0);
    for (const e of events) assert.equal(e.hostname, hostname());
  });
  it("or the configured one (falco.hostname)", () => {
    const { events } = loadFalcoEngine([K8S_AUDIT_RULES], logger, { hostname: "audit-node-1" }).processAudit(
      EXEC,
    );
    assert.ok(events.length > 0);
    for (const e of events) assert.equal(e.hostname, "audit-node-1");
  });
});

describe("the config's falco engine settings reach the server's engine", () => {
  const logger = pino({ level: "silent" });
  const CONFIGMAP = readFileSync(resolve(ROOT, "test/falco/fixtures/configmap-credentials.json"), "utf8");
  const engine = (env: Record<string, string>) =>
    loadFalcoEngine([K8S_AUDIT_RULES], logger, falcoEngineOptions(loadConfig({ env }).config.falco));

  it("rule_matching, priority, time_format_iso_8601", () => {
    const rules = (env: Record<string, string>) =>
      engine(env)
        .processAudit(CONFIGMAP)
        .events.map((e) => e.rule);
    assert.deepEqual(rules({}), ["Create/Modify Configmap With Private Credentials"]);
    assert.deepEqual(rules({ FALCO_RULE_MATCHING: "all" }), [
      "Create/Modify Configmap With Private Credentials",
      "K8s ConfigMap Created",
    ]);
    assert.deepEqual(rules({ FALCO_RULE_MATCHING: "all", FALCO_PRIORITY: "warning" }), [
      "Create/Modify Configmap With Private Credentials",
    ]);
    const [iso] = engine({ FALCO_TIME_FORMAT_ISO_8601: "true" }).processAudit(EXEC).events;
    assert.ok(iso);
    assert.ok(iso.output_fields["evt.time.iso8601"] !== undefined);
    assert.equal(iso.output_fields["evt.time"], undefined);
  });

  it("engine_version: required_engine_version checked as that release", () => {
    const dir = mkdtempSync(join(tmpdir(), "falco-server-release-"));
    const rules = join(dir, "r.yaml");
    writeFileSync(rules, "- required_engine_version: 0.50.0\n");
    const opts = (release: string) =>
      falcoEngineOptions(loadConfig({ env: { FALCO_ENGINE_VERSION: release } }).config.falco);
    assert.throws(() => loadFalcoEngine([rules], logger, opts("0.40")), /invalid Falco rules/);
    assert.equal(loadFalcoEngine([rules], logger, opts("0.41")).ruleCount(), 0);
  });
});
