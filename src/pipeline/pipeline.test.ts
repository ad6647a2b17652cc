/** The pipeline's flow: rule and action flow control, actions with outputs and notifications, timeouts, intake. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { event, harness } from "../../test/support/pipeline.js";
import type { PluginLookup } from "../plugins/lookup.js";

describe("flow control (rule and action continue, ignore_errors)", () => {
  it("terminate (continue false by default) stops the rule's later actions", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: t
      actionner: tests:terminate
    - action: l
      actionner: tests:label
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, ["checks:terminate", "run:terminate"]);
  });

  it("continue: true on terminate lets the label run", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: t
      actionner: tests:terminate
      continue: true
    - action: l
      actionner: tests:label
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, ["checks:terminate", "run:terminate", "checks:label", "run:label"]);
  });

  it("a failed action stops the rule unless ignore_errors", async () => {
    const yaml = (ignore: string) => `
- rule: r
  actions:
    - action: f
      actionner: tests:fail
      ${ignore}
    - action: l
      actionner: tests:label
`;
    const stop = harness(yaml(""));
    stop.pipeline.accept(event());
    await stop.done();
    assert.deepEqual(stop.calls, ["checks:fail", "run:fail"]);
    const go = harness(yaml("ignore_errors: true"));
    go.pipeline.accept(event());
    await go.done();
    assert.deepEqual(go.calls, ["checks:fail", "run:fail", "checks:label", "run:label"]);
  });

  it("a failed check stops the rule, with no metric and no notification", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: b
      actionner: tests:badcheck
    - action: l
      actionner: tests:label
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, ["checks:badcheck"]);
    assert.equal(h.notifications.length, 0);
    const text = await h.metrics.registry.getSingleMetricAsString("falcosecurity_falco_talon_actions_total");
    assert.ok(!text.includes("badcheck"));
    assert.ok(h.logs.some((l) => l.message === "action" && l.error === "no such pod"));
  });

  it("a rule with continue: false stops later matched rules", async () => {
    const h = harness(`
- rule: first
  continue: false
  actions:
    - action: l
      actionner: tests:label
- rule: second
  actions:
    - action: t
      actionner: tests:terminate
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, ["checks:label", "run:label"]);
  });

  it("dry_run: true makes no plug-in calls and sends no notifications", async () => {
    const h = harness(`
- rule: r
  dry_run: true
  actions:
    - action: t
      actionner: tests:terminate
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, []);
    assert.equal(h.notifications.length, 0);
    assert.ok(h.logs.some((l) => l.output === "no action, dry-run is enabled"));
  });

  it("only matching rules run; matched events are logged once", async () => {
    const h = harness(`
- rule: r
  match:
    rules: [Other rule]
  actions:
    - action: t
      actionner: tests:terminate
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, []);
    assert.equal(h.logs.filter((l) => l.message === "event").length, 0);
  });
});

describe("actions, outputs and notifications", () => {
  it("passes Talon context keys and per-event variables, notifies with title-cased objects", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: l
      actionner: tests:label
      continue: true
      parameters:
        n: 2
`);
    await h.pipeline.accept(event());
    await h.done();
    const input = h.inputs[0]!;
    assert.equal(input.event.context["falco-talon.rule"], "r");
    assert.equal(input.event.context["falco-talon.action"], "l");
    assert.equal(input.event.context["falco-talon.actionner"], "tests:label");
    assert.equal(input.event.context["falco-talon.action.continue"], "true");
    assert.equal(input.event.context["falco-talon.action.parameters"], '{"n":2}');
    assert.equal(input.vars.get("FALCO-TALON_RULE"), "r");
    assert.equal(input.vars.get("K8S_POD_NAME"), "nginx");
    assert.deepEqual(input.parameters, { n: 2 });
    assert.equal(h.notifications.length, 1);
    assert.equal(h.notifications[0]!.status, "success");
    assert.deepEqual(h.notifications[0]!.objects, { Pod: "p1" });
    assert.equal(h.notifications[0]!.event, "shell in nginx");
  });

  it("keeps the ignored status (Talon turned it into success)", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: i
      actionner: tests:ignore
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.equal(h.notifications[0]!.status, "ignored");
    const text = await h.metrics.registry.getSingleMetricAsString("falcosecurity_falco_talon_actions_total");
    assert.match(text, /status="ignored"/);
  });

  it("an output's checks failure is reported and fails the action", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: c
      actionner: tests:capture
      output:
        target: local:file
        parameters:
          destination: /nonexistent/missing
    - action: l
      actionner: tests:label
`);
    await h.pipeline.accept(event());
    await h.done();
    assert.deepEqual(h.calls, ["checks:capture", "run:capture"]);
    const out = h.notifications.find((n) => n.message === "output");
    assert.ok(out);
    assert.equal(out.status, "failure");
    assert.match(out.error ?? "", /does not exist/);
  });

  it("writes the artifact through local:file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "out-"));
    const h = harness(`
- rule: r
  actions:
    - action: c
      actionner: tests:capture
      output:
        target: local:file
        parameters:
          destination: ${dir}
`);
    await h.pipeline.accept(event());
    await h.done();
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z_ns_p1_payload\.txt$/);
    assert.equal(readFileSync(join(dir, files[0]!), "utf8"), "payload");
    const out = h.notifications.find((n) => n.message === "output");
    assert.equal(out?.status, "success");
    assert.equal(out?.output_target, "local:file");
  });

  it("an action requiring an output without one fails with 'an output is required'", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: c
      actionner: tests:capture
      output:
        target: local:file
        parameters:
          destination: /tmp
`);
    // Drop the output at runtime to reach the pipeline's own guard.
    const rules = (
      h.pipeline as unknown as { deps: { rules: () => { rules: { actions: { output?: unknown }[] }[] } } }
    ).deps.rules();
    delete rules.rules[0]!.actions[0]!.output;
    await h.pipeline.accept(event());
    await h.done();
    assert.equal(h.notifications.find((n) => n.message === "output")?.error, "an output is required");
  });

  it("merges additional contexts for actionners that use them, dropping empty values", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: x
      actionner: tests:ctx
      additional_contexts: [testctx]
`);
    await h.pipeline.accept(event());
    await h.done();
    const input = h.inputs[0]!;
    assert.equal(input.event.context["node.hostname"], "node-1");
    assert.ok(!("node.empty" in input.event.context));
    assert.equal(input.vars.get("NODE_HOSTNAME"), "node-1");
  });

  it("counts failed notifications with status=failure and keeps going", async () => {
    const h = harness(
      `
- rule: r
  actions:
    - action: l
      actionner: tests:label
`,
      { notifiers: { recorder: { fail: true } } },
    );
    await h.pipeline.accept(event());
    await h.done();
    const text = await h.metrics.registry.getSingleMetricAsString(
      "falcosecurity_falco_talon_notifications_total",
    );
    assert.match(text, /notifier="recorder".*status="failure"/);
    assert.ok(h.logs.some((l) => l.message === "notification" && l.error === "receiver down"));
  });
});

describe("timeouts", () => {
  it("a stuck action fails after action_timeout_seconds and frees its lane", async () => {
    const h = harness(
      `
- rule: r
  actions:
    - action: s
      actionner: tests:stuck
`,
      { queue: { action_timeout_seconds: 1 } },
    );
    await h.pipeline.accept(event());
    await h.done();
    assert.equal(h.notifications[0]?.status, "failure");
    assert.equal(h.notifications[0]?.error, "action timed out after 1s");
  });
});

describe("intake: dedup and queue", () => {
  it("runs the actions of two identical events once, counting both", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: t
      actionner: tests:terminate
`);
    assert.equal(await h.pipeline.accept(event()), "queued");
    assert.equal(await h.pipeline.accept(event()), "duplicate");
    await h.done();
    assert.deepEqual(h.calls, ["checks:terminate", "run:terminate"]);
    const text = await h.metrics.registry.getSingleMetricAsString("falcosecurity_falco_talon_events_total");
    assert.match(text, /} 2$/m);
  });

  it("does not collapse different rules with the same output text", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: l
      actionner: tests:label
`);
    assert.equal(await h.pipeline.accept(event()), "queued");
    assert.equal(await h.pipeline.accept(event({ rule: "Another rule" })), "queued");
    await h.done();
    assert.equal(h.calls.filter((c) => c === "run:label").length, 2);
  });

  it("window 0 turns dedup off", async () => {
    const h = harness(
      `
- rule: r
  actions:
    - action: l
      actionner: tests:label
`,
      { deduplication: { time_window_seconds: 0 } },
    );
    await h.pipeline.accept(event());
    assert.equal(await h.pipeline.accept(event()), "queued");
    await h.done();
  });

  it("a slow action on one pod does not block another pod", async () => {
    const order: string[] = [];
    const h = harness(`
- rule: r
  actions:
    - action: x
      actionner: tests:label
`);
    const original = h.inputs;
    void original;
    // Slow down the first pod's action through the stub's run hook.
    const lookup = (h.pipeline as unknown as { plugins: PluginLookup }).plugins;
    const label = lookup.findActionner("tests:label")!;
    const run = label.run;
    label.run = async (input) => {
      const pod = String(input.event.output_fields["k8s.pod.name"]);
      if (pod === "slow") await new Promise((r) => setTimeout(r, 150));
      order.push(pod);
      return run(input);
    };
    await h.pipeline.accept(
      event({ output: "a", output_fields: { "k8s.pod.name": "slow", "k8s.ns.name": "d" } }),
    );
    await h.pipeline.accept(
      event({ output: "b", output_fields: { "k8s.pod.name": "fast", "k8s.ns.name": "d" } }),
    );
    await h.done();
    assert.deepEqual(order, ["fast", "slow"]);
  });

  it("refuses events once stopping", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: l
      actionner: tests:label
`);
    await h.done();
    assert.equal(await h.pipeline.accept(event()), "stopped");
  });
});
