import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { auditLine } from "../../bench/falco-events.js";
import { type FalcoAlert, loadFalcoRules } from "./index.js";
import { parseCondition } from "./parser.js";
import { RuleIndex, requirements } from "./rule-index.js";

const FIELDS = new Set(["ka.verb", "ka.target.resource"]);
const req = (cond: string) =>
  Object.fromEntries([...requirements(parseCondition(cond), FIELDS)].map(([f, s]) => [f, [...s].sort()]));

describe("requirements", () => {
  it("= and in pin a field; and intersects; or unions when every branch pins it", () => {
    assert.deepEqual(req("ka.verb = create and ka.target.resource in (pods, secrets)"), {
      "ka.verb": ["create"],
      "ka.target.resource": ["pods", "secrets"],
    });
    assert.deepEqual(req("ka.verb in (create, update) and (ka.verb = update or ka.verb = patch)"), {
      "ka.verb": ["update"],
    });
    assert.deepEqual(req("(ka.verb = create or ka.verb = delete) and ka.user.name = x"), {
      "ka.verb": ["create", "delete"],
    });
  });

  it("negations, other operators, partial ors and arguments pin nothing", () => {
    assert.deepEqual(req("not ka.verb = create"), {});
    assert.deepEqual(req("ka.verb != create"), {});
    assert.deepEqual(req("ka.verb startswith cre"), {});
    assert.deepEqual(req("ka.verb = create or ka.user.name = x"), {});
    assert.deepEqual(req("ka.user.name in (a, b)"), {});
  });
});

describe("RuleIndex", () => {
  it("a rule is a candidate unless a pinned field's value is outside its set (missing values pin out)", () => {
    const conds = ["ka.verb = create", "ka.target.resource = pods", "ka.user.name = x"];
    const index = new RuleIndex(
      conds,
      conds.map((c) => parseCondition(c)),
      ["ka.verb", "ka.target.resource"],
    );
    assert.deepEqual(index.candidates(["create", "pods"]), conds);
    assert.deepEqual(index.candidates(["get", "pods"]), [conds[1], conds[2]]);
    assert.deepEqual(index.candidates([undefined, undefined]), [conds[2]]);
    // cached lists are the same answers
    assert.deepEqual(index.candidates(["get", "pods"]), [conds[1], conds[2]]);
  });

  it("the official k8s_audit rules alert the same with and without the index", () => {
    const RULES = resolve(import.meta.dirname, "../../../shared/conformance/rules/k8s_audit_rules.yaml");
    const FIX = resolve(import.meta.dirname, "../../test/falco/fixtures");
    const opts = { hostname: "h", ruleMatching: "all" as const };
    const indexed = loadFalcoRules([RULES], opts).engine!;
    const plain = loadFalcoRules([RULES], { ...opts, indexRules: false }).engine!;
    const events: unknown[] = [];
    for (let i = 0; i < 600; i++) events.push(JSON.parse(auditLine(i)));
    for (const f of [
      "exec-pod",
      "clusterrole-wildcard",
      "configmap-credentials",
      "privileged-pod",
      "nodeport-service",
    ]) {
      const ev = JSON.parse(readFileSync(`${FIX}/${f}.json`, "utf8"));
      events.push(ev);
      // the same event with other verbs, resources, a missing verb, a non-string verb
      for (const verb of ["get", "delete", "update", "patch", undefined, 7]) events.push({ ...ev, verb });
      for (const resource of ["secrets", "nodes", "clusterrolebindings", undefined]) {
        events.push({ ...ev, objectRef: { ...ev.objectRef, resource } });
      }
      events.push({ ...ev, user: { username: "mallory" }, verb: "get", objectRef: { resource: "secrets" } });
    }
    const names = (a: FalcoAlert[]) => a.map((x) => `${x.rule}|${x.output}`);
    let alerts = 0;
    for (const ev of events) {
      const a = names(indexed.processK8sAudit(ev));
      assert.deepEqual(a, names(plain.processK8sAudit(ev)));
      alerts += a.length;
    }
    assert.ok(alerts > 50, `${alerts} alerts`);
  });
});
