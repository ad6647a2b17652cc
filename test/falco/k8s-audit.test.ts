// End-to-end: hand-written audit events through the official k8s_audit_rules.yaml.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FalcoInputError, loadFalcoRules, runDetect, runFalcoRulesCheck } from "../../src/falco/index.js";

const RULES = new URL("../../../shared/conformance/rules/k8s_audit_rules.yaml", import.meta.url).pathname;
const FIX = new URL("./fixtures/", import.meta.url).pathname;
const fixture = (name: string) => JSON.parse(readFileSync(FIX + name, "utf8"));

const { engine, problems } = loadFalcoRules([RULES], { hostname: "falco-test", timeFormatIso8601: true });
assert.ok(engine, problems.map((p) => p.message).join("\n"));

// ka.req.service.ports is one list element: the Service's whole ports array as compact JSON.
const PORTS =
  '[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080},' +
  '{"name":"https","protocol":"TCP","port":443,"targetPort":"https"}]';

const cases: {
  file: string;
  rule: string;
  priority: string;
  output: string;
  fields: Record<string, unknown>;
}[] = [
  {
    file: "exec-pod.json",
    rule: "Attach/Exec Pod",
    priority: "Notice",
    output:
      "2026-11-20T10:15:30.130000123+0000: Notice Attach/Exec to pod (user=kubernetes-admin pod=nginx-7c5ddbdf54-abcde resource=pods ns=default action=exec command=sh)",
    fields: { "ka.uri.param[command]": "sh", "ka.target.subresource": "exec" },
  },
  {
    file: "clusterrole-wildcard.json",
    rule: "ClusterRole With Wildcard Created",
    priority: "Warning",
    output:
      '2026-11-20T10:16:00.010000000+0000: Warning Created Role/ClusterRole with wildcard (user=kubernetes-admin role=superuser resource=clusterroles rules=({"verbs":["*"],"apiGroups":[""],"resources":["pods"]}))',
    fields: { "ka.req.role.rules": ['{"verbs":["*"],"apiGroups":[""],"resources":["pods"]}'] },
  },
  {
    file: "configmap-credentials.json",
    rule: "Create/Modify Configmap With Private Credentials",
    priority: "Warning",
    output:
      "2026-11-20T10:17:00.005000000+0000: Warning K8s configmap with private credential (user=kubernetes-admin verb=create resource=configmaps configmap=app-config)",
    fields: { "ka.req.configmap.name": "app-config", "ka.verb": "create" },
  },
  {
    file: "privileged-pod.json",
    rule: "Create Privileged Pod",
    priority: "Warning",
    output:
      "2026-11-20T10:18:00.020000000+0000: Warning Pod started with privileged container (user=kubernetes-admin pod=priv resource=pods ns=default images=(docker.io/library/busybox:1.36) init_images=<NA> ephemeral_images=<NA>)",
    fields: {
      "ka.req.pod.containers.image": ["docker.io/library/busybox:1.36"],
      "ka.req.pod.initContainers.image": null,
    },
  },
  {
    file: "nodeport-service.json",
    rule: "Create NodePort Service",
    priority: "Warning",
    output: `2026-11-20T10:19:00.030000000+0000: Warning NodePort Service Created (user=kubernetes-admin service=web resource=services ns=default ports=(${PORTS}))`,
    fields: { "ka.req.service.ports": [PORTS], "ka.target.name": "web" },
  },
];

for (const c of cases) {
  test(`${c.file} fires "${c.rule}" (rule_matching: first)`, () => {
    const alerts = engine.processK8sAudit(fixture(c.file));
    assert.equal(alerts.length, 1);
    const a = alerts[0]!;
    assert.equal(a.rule, c.rule);
    assert.equal(a.priority, c.priority);
    assert.equal(a.source, "k8s_audit");
    assert.equal(a.hostname, "falco-test");
    assert.deepEqual(a.tags, ["k8s"]);
    assert.equal(a.output, c.output);
    for (const [k, v] of Object.entries(c.fields)) assert.deepEqual(a.output_fields[k], v, k);
    assert.match(a.time, /^2026-11-20T10:1\d:\d\d\.\d{9}Z$/);
  });
}

test("ka.req.service.ports ignores an index and compares as its one JSON value", () => {
  const dir = mkdtempSync(join(tmpdir(), "falco-ports-"));
  const rules = join(dir, "ports.yaml");
  writeFileSync(
    rules,
    [
      "- rule: Service ports",
      "  desc: d",
      `  condition: ka.req.service.ports exists and ka.req.service.ports[1] intersects ('${PORTS}')`,
      "  output: first=%ka.req.service.ports[0] all=%ka.req.service.ports",
      "  priority: WARNING",
      "  source: k8s_audit",
      "",
    ].join("\n"),
  );
  const e = loadFalcoRules([rules], {}).engine!;
  const [a, ...more] = e.processK8sAudit(fixture("nodeport-service.json"));
  assert.equal(more.length, 0);
  assert.ok(a!.output.endsWith(`first=(${PORTS}) all=(${PORTS})`), a!.output);
  assert.deepEqual(a!.output_fields["ka.req.service.ports[0]"], [PORTS]);
  assert.deepEqual(a!.output_fields["ka.req.service.ports"], [PORTS]);
  const ev = fixture("nodeport-service.json");
  ev.requestObject.spec.ports.pop();
  assert.deepEqual(e.processK8sAudit(ev), []);
});

test("rule_matching all reports every matching rule in order", () => {
  const all = loadFalcoRules([RULES], { ruleMatching: "all" }).engine!;
  const rules = all.processK8sAudit(fixture("configmap-credentials.json")).map((a) => a.rule);
  assert.deepEqual(rules, ["Create/Modify Configmap With Private Credentials", "K8s ConfigMap Created"]);
});

test("an unprivileged pod by an allowed user raises nothing", () => {
  const ev = fixture("privileged-pod.json");
  ev.requestObject.spec.containers[0].securityContext.privileged = false;
  assert.deepEqual(engine.processK8sAudit(ev), []);
});

test("a disallowed user is reported first", () => {
  const ev = fixture("configmap-credentials.json");
  ev.user.username = "mallory";
  const [a] = engine.processK8sAudit(ev);
  assert.equal(a?.rule, "Disallowed K8s User");
});

test("malformed input is rejected with Falco's message", () => {
  for (const bad of [null, 42, "x", {}, { kind: "Pod" }, { kind: "EventList" }, [{ kind: "Pod" }]]) {
    assert.throws(
      () => engine.processK8sAudit(bad),
      (e: unknown) => {
        return e instanceof FalcoInputError && e.message === "data not recognized as a k8s audit event";
      },
    );
  }
});

test("an event without auditID has every ka field missing (and `not x in (...)` becomes true)", () => {
  const ev = fixture("privileged-pod.json");
  delete ev.auditID;
  const [a] = engine.processK8sAudit(ev);
  assert.equal(a?.rule, "Disallowed K8s User");
  assert.match(a!.output, /\(user=<NA> target=<NA>\/<NA> verb=<NA> uri=<NA> resp=<NA>\)$/);
  assert.equal(a!.output_fields["ka.user.name"], null);
});

test("runDetect replays JSON lines and prints Falco JSON alerts", async () => {
  const dir = mkdtempSync(join(tmpdir(), "falco-detect-"));
  const events = join(dir, "events.jsonl");
  const lines = ["exec-pod.json", "privileged-pod.json"].map((f) => JSON.stringify(fixture(f)));
  writeFileSync(events, lines.join("\n") + "\n");
  const out: string[] = [];
  const code = await runDetect({ rules: [RULES], events, out: (l) => out.push(l) });
  assert.equal(code, 0);
  assert.equal(out.length, 2);
  const first = JSON.parse(out[0]!);
  assert.deepEqual(Object.keys(first), [
    "hostname",
    "output",
    "output_fields",
    "priority",
    "rule",
    "source",
    "tags",
    "time",
  ]);
  assert.equal(first.rule, "Attach/Exec Pod");
  assert.equal(JSON.parse(out[1]!).rule, "Create Privileged Pod");
  // Falco prints its host's name; --hostname overrides it.
  assert.equal(first.hostname, hostname());
  const named: string[] = [];
  await runDetect({ rules: [RULES], events, out: (l) => named.push(l), hostname: "audit-node-1" });
  assert.equal(JSON.parse(named[0]!).hostname, "audit-node-1");
});

test("runFalcoRulesCheck prints problems with positions and fails on errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "falco-check-"));
  const bad = join(dir, "bad.yaml");
  writeFileSync(
    bad,
    "- rule: r\n  desc: d\n  condition: ka.verb = create and\n  output: x\n  priority: WARNING\n  source: k8s_audit\n",
  );
  const out: string[] = [];
  assert.equal(
    runFalcoRulesCheck([bad], (l) => out.push(l)),
    1,
  );
  assert.equal(out.length, 1);
  assert.match(
    out[0]!,
    /^.*bad\.yaml:3:34: error LOAD_ERR_COMPILE_CONDITION: expected blank or '\(' after 'and'$/,
  );
  const okOut: string[] = [];
  assert.equal(
    runFalcoRulesCheck([RULES], (l) => okOut.push(l)),
    0,
  );
});
