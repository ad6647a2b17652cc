import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import type { AuditRecord } from "../audit/log.js";
import { configSchema } from "../config/schema.js";
import { decodeEvent } from "../events/decode.js";
import type { FalcoEvent } from "../events/event.js";
import { InvalidNameError } from "../kube/names.js";
import { Metrics } from "../metrics/metrics.js";
import localFile from "../outputs/local/file/index.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type {
  ActionInput,
  Actionner,
  ActionResult,
  ContextProvider,
  Notification,
  Notifier,
  Output,
} from "../plugins/types.js";
import { loadRulesFromSources } from "../rules/index.js";
import { Pipeline } from "./pipeline.js";

interface Harness {
  pipeline: Pipeline;
  calls: string[];
  inputs: ActionInput<unknown>[];
  notifications: Notification[];
  logs: Record<string, unknown>[];
  metrics: Metrics;
  audits: AuditRecord[];
  done(): Promise<void>;
}

function stubActionner(
  name: string,
  opts: {
    continue?: boolean;
    useContext?: boolean;
    requireOutput?: boolean;
    allowOutput?: boolean;
    run?: (input: ActionInput<unknown>) => Promise<ActionResult> | ActionResult;
    checks?: () => Promise<void>;
    plan?: Actionner["plan"];
  },
  calls: string[],
  inputs: ActionInput<unknown>[],
): Actionner {
  return {
    info: {
      category: "tests",
      name,
      description: "stub",
      source: "any",
      continue: opts.continue ?? true,
      useContext: opts.useContext ?? false,
      allowOutput: opts.allowOutput ?? false,
      requireOutput: opts.requireOutput ?? false,
      requiredOutputFields: [],
      permissions: {},
      example: "",
    },
    parameters: z.object({ n: z.number().default(1) }).loose(),
    checks: async () => {
      calls.push(`checks:${name}`);
      await opts.checks?.();
    },
    ...(opts.plan ? { plan: opts.plan } : {}),
    run: async (input) => {
      calls.push(`run:${name}`);
      inputs.push(input);
      return opts.run
        ? opts.run(input)
        : { status: "success", output: `${name} done`, objects: { pod: "p1" } };
    },
  };
}

function harness(rulesYaml: string, configOverrides: Record<string, unknown> = {}): Harness {
  const calls: string[] = [];
  const inputs: ActionInput<unknown>[] = [];
  const notifications: Notification[] = [];
  const logs: Record<string, unknown>[] = [];
  const actionners = [
    stubActionner("terminate", { continue: false }, calls, inputs),
    stubActionner("label", {}, calls, inputs),
    stubActionner("fail", { run: () => ({ status: "failure", error: "boom", objects: {} }) }, calls, inputs),
    stubActionner(
      "ignore",
      { run: () => ({ status: "ignored", output: "skipped", objects: {} }) },
      calls,
      inputs,
    ),
    stubActionner(
      "badcheck",
      { checks: async () => Promise.reject(new Error("no such pod")) },
      calls,
      inputs,
    ),
    stubActionner(
      "capture",
      {
        requireOutput: true,
        run: () => ({
          status: "success",
          objects: { pod: "p1", namespace: "ns" },
          data: {
            name: "payload.txt",
            objects: { pod: "p1", namespace: "ns" },
            bytes: Buffer.from("payload"),
          },
        }),
      },
      calls,
      inputs,
    ),
    stubActionner("ctx", { useContext: true }, calls, inputs),
    stubActionner(
      "badname",
      {
        checks: async () =>
          Promise.reject(
            new InvalidNameError("invalid pod name '..' in k8s.pod.name: not a DNS-1123 subdomain"),
          ),
        plan: () => {
          throw new InvalidNameError("invalid pod name '..' in k8s.pod.name: not a DNS-1123 subdomain");
        },
      },
      calls,
      inputs,
    ),
    stubActionner(
      "planned",
      {
        plan: (input) => ({
          objects: { pod: String(input.event.output_fields["k8s.pod.name"]), namespace: "default" },
          plan: 'set labels {"quarantine":"true"} on the pod',
          details: { labels: { quarantine: "true" } },
        }),
      },
      calls,
      inputs,
    ),
    stubActionner("stuck", { run: () => new Promise<ActionResult>(() => {}) }, calls, inputs),
  ];
  const notifier: Notifier = {
    info: { name: "recorder", description: "", permissions: {}, example: "" },
    parameters: z.object({ fail: z.boolean().default(false) }),
    send: async (n, settings) => {
      if ((settings as { fail: boolean }).fail) throw new Error("receiver down");
      notifications.push(n);
    },
  };
  const context: ContextProvider = {
    info: { name: "testctx", description: "", permissions: {} },
    fetch: async () => ({ "node.hostname": "node-1", "node.empty": "" }),
  };
  const plugins: PluginLookup = {
    findActionner: (n) => actionners.find((a) => `${a.info.category}:${a.info.name}` === n),
    findOutput: (n) => (n === "local:file" ? (localFile as Output) : undefined),
    findNotifier: (n) => (n === "recorder" ? notifier : undefined),
    findContext: (n) => (n === "testctx" ? context : undefined),
  };
  const loaded = loadRulesFromSources([{ file: "rules.yaml", text: rulesYaml }]);
  assert.deepEqual(loaded.problems, [], "rules load");
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const logger = pino({ messageKey: "message", level: "debug" }, sink);
  const config = configSchema.parse({ default_notifiers: ["recorder"], ...configOverrides });
  const metrics = new Metrics();
  const audits: AuditRecord[] = [];
  const pipeline = new Pipeline({
    audit: { record: (r) => audits.push(r), close: () => {} },
    config,
    logger,
    metrics,
    rules: () => loaded.ruleset!,
    kube: () => {
      throw new Error("no cluster in unit tests");
    },
    plugins,
  });
  return {
    pipeline,
    calls,
    inputs,
    notifications,
    logs,
    metrics,
    audits,
    done: async () => {
      assert.equal(await pipeline.stop(5000), true);
    },
  };
}

const event = (extra: Record<string, unknown> = {}): FalcoEvent =>
  decodeEvent(
    JSON.stringify({
      rule: "Terminal shell in container",
      priority: "Warning",
      output: "shell in nginx",
      output_fields: { "k8s.pod.name": "nginx", "k8s.ns.name": "default" },
      ...extra,
    }),
  );

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
    const h = harness(`
- rule: r
  dry_run: true
  actions:
    - action: b
      actionner: tests:badname
`);
    await h.pipeline.accept(event());
    await h.done();
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
