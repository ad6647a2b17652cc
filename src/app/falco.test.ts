import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { pino } from "pino";
import { loadFalcoEngine } from "./falco.js";

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
