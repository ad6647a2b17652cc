// Audit events/s on one core through the official k8s_audit_rules.yaml (rule_matching: first).
// Usage: tsx bench/falco.ts [seconds]
import { readFileSync } from "node:fs";
import { loadFalcoRules } from "../src/falco/index.js";

const RULES = new URL("../../shared/conformance/rules/k8s_audit_rules.yaml", import.meta.url).pathname;
const FIX = new URL("../test/falco/fixtures/", import.meta.url).pathname;
const seconds = Number(process.argv[2] ?? 3);

const { engine, problems } = loadFalcoRules([RULES]);
if (!engine) {
  console.error(problems.map((p) => p.message).join("\n"));
  process.exit(1);
}
// A mix of alerting and quiet events (most audit traffic matches no rule).
const base = [
  "exec-pod.json",
  "clusterrole-wildcard.json",
  "configmap-credentials.json",
  "privileged-pod.json",
].map((f) => JSON.parse(readFileSync(FIX + f, "utf8")));
const quiet = structuredClone(base[3]);
quiet.requestObject.spec.containers[0].securityContext.privileged = false;
quiet.verb = "get";
const events = [...base, quiet, quiet, quiet, quiet];

let n = 0;
let alerts = 0;
const warmupEnd = performance.now() + 300;
while (performance.now() < warmupEnd) engine.processK8sAudit(events[n++ % events.length]);
n = 0;
const start = performance.now();
const end = start + seconds * 1000;
while (performance.now() < end) {
  for (let i = 0; i < 100; i++) alerts += engine.processK8sAudit(events[n++ % events.length]).length;
}
const elapsed = (performance.now() - start) / 1000;
console.log(
  `falco k8s_audit: ${Math.round(n / elapsed).toLocaleString("en-US")} audit events/s on one core ` +
    `(${engine.ruleCount()} rules, ${n} events, ${alerts} alerts, ${elapsed.toFixed(1)} s)`,
);
