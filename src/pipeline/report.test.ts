/** What the pipeline reports for each outcome: audit entries, and metrics with bounded labels. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { event, harness } from "../../test/support/pipeline.js";

/** One event through one dry-run rule `r` whose one action `a` uses this actionner. */
async function dryRunOne(actionner: string) {
  const h = harness(`
- rule: r
  dry_run: true
  actions:
    - action: a
      actionner: ${actionner}
`);
  await h.pipeline.accept(event());
  await h.done();
  return h;
}

describe("every attempt is audited", () => {
  it("a dry run logs and audits its plan, and sends nothing", async () => {
    const h = harness(`
- rule: r
  dry_run: true
  actions:
    - action: p
      actionner: tests:planned
    - action: t
      actionner: tests:terminate
      parameters: {n: 3}
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, []);
    assert.equal(h.notifications.length, 0);
    const log = h.logs.find((l) => l.message === "action" && l.action === "p");
    assert.equal(log?.output, "no action, dry-run is enabled");
    assert.equal(log?.plan, 'set labels {"quarantine":"true"} on the pod');
    assert.equal(log?.pod, "nginx");
    assert.equal(log?.target, "pod:default/nginx");
    assert.deepEqual(
      h.audits.map((a) => [a.action, a.status, a.reason, a.plan]),
      [
        ["p", "ignored", "dry_run", 'set labels {"quarantine":"true"} on the pod'],
        ["t", "ignored", "dry_run", 'run tests:terminate with parameters {"n":3}'],
      ],
    );
    assert.deepEqual(h.audits[0]?.objects, { pod: "nginx", namespace: "default" });
    assert.deepEqual(h.audits[0]?.details, { labels: { quarantine: "true" } });
  });

  it("a dry run on an event it can't act on is a failure with the reason", async () => {
    const h = await dryRunOne("tests:badname");
    assert.equal(h.audits[0]?.status, "failure");
    assert.match(String(h.audits[0]?.error), /invalid pod name '\.\.' in k8s\.pod\.name/);
  });

  it("a failed check is audited with its stage", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: b
      actionner: tests:badcheck
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(
      h.audits.map((a) => [a.status, a.stage, a.error, a.target]),
      [["failure", "checks", "no such pod", "pod:default/nginx"]],
    );
  });

  it("an invalid name fails the action: logged, audited, counted and notified", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: b
      actionner: tests:badname
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, ["checks:badname"]);
    const reason = "invalid pod name '..' in k8s.pod.name: not a DNS-1123 subdomain";
    assert.equal(h.notifications[0]?.status, "failure");
    assert.equal(h.notifications[0]?.error, reason);
    assert.equal(h.notifications[0]?.stage, "checks");
    assert.deepEqual(
      h.audits.map((a) => [a.status, a.error, a.stage]),
      [["failure", reason, "checks"]],
    );
    assert.ok(h.logs.some((l) => l.message === "action" && l.error === reason && l.level === 50));
    const text = await h.metrics.registry.getSingleMetricAsString("falcosecurity_falco_talon_actions_total");
    assert.match(text, /actionner="tests:badname",status="failure"/);
  });

  it("cooldown and duplicate skips are audited as ignored", async () => {
    const h = harness(`
- rule: r
  cooldown_seconds: 60
  actions:
    - action: l
      actionner: tests:label
`);
    await h.pipeline.accept(event());
    await h.pipeline.accept(event());
    await h.pipeline.accept(event({ output: "another text, same pod" }));
    await h.done();
    assert.deepEqual(h.audits.map((a) => `${a.status}/${a.reason ?? ""}`).sort(), [
      "ignored/cooldown",
      "ignored/duplicate",
      "success/",
    ]);
  });
});

describe("bounded metrics", () => {
  it("10,000 events with random rule, priority and source values add a bounded number of series", async () => {
    const h = harness(`
- rule: r
  match:
    rules: [Terminal shell in container]
  actions:
    - action: l
      actionner: tests:label
`);
    const random = () => Math.random().toString(36).slice(2);
    for (let i = 0; i < 10_000; i++) {
      await h.pipeline.accept(
        event({
          rule: i % 2 ? random() : "Terminal shell in container",
          priority: i % 3 ? random() : "warning",
          source: i % 5 ? random() : "k8s_audit",
          output: `o${i}`,
          output_fields: { "k8s.pod.name": `p${i % 7}`, "k8s.ns.name": "default" },
        }),
      );
    }
    await h.done();
    for (const name of ["events_total", "matches_total", "actions_total"]) {
      const text = await h.metrics.registry.getSingleMetricAsString(`falcosecurity_falco_talon_${name}`);
      const series = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
      // events: 2 rule values x 2 priorities x 2 sources at most.
      assert.ok(series.length <= 8, `${name}: ${series.length} series\n${text}`);
      assert.ok(!/event="[a-z0-9]{6,}"/.test(text.replace(/Terminal shell in container/g, "")), name);
    }
    const events = await h.metrics.registry.getSingleMetricAsString("falcosecurity_falco_talon_events_total");
    assert.match(events, /event="other"/);
    assert.match(events, /priority="Warning"/);
    assert.match(events, /source="other"/);
  });
});

describe("Talon's log lines of a matched event", () => {
  it("`event` carries the event's fields, `match` those and the rule; the dry-run `action` its plan and objects", async () => {
    const h = await dryRunOne("tests:planned");
    const line = (m: string) => h.logs.find((l) => l.message === m)!;
    // the harness's logger adds pino's own pid and hostname
    const keys = (l: Record<string, unknown>) =>
      Object.keys(l).filter((k) => !["level", "time", "pid", "hostname"].includes(k));
    const fields = ["event", "priority", "source", "output", "trace_id"];
    assert.deepEqual(keys(line("event")), [...fields, "message"]);
    assert.deepEqual(keys(line("match")), [...fields, "rule", "message"]);
    assert.equal(line("match").rule, "r");
    const action = line("action");
    assert.deepEqual(keys(action), [
      "rule",
      "action",
      "actionner",
      "category",
      "trace_id",
      "target",
      "status",
      "output",
      "plan",
      "details",
      "pod",
      "namespace",
      "message",
    ]);
  });
});
