/** Per-rule, per-target cooldown and the audit hook of the pipeline. */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import { stubActionnerInfo } from "../../test/support/pipeline.js";
import { AuditLog } from "../audit/log.js";
import { configSchema } from "../config/schema.js";
import { decodeEvent } from "../events/decode.js";
import type { FalcoEvent } from "../events/event.js";
import { Metrics } from "../metrics/metrics.js";
import type { Actionner, ActionResult } from "../plugins/types.js";
import type { CooldownStore } from "../queue/types.js";
import { loadRulesFromSources } from "../rules/index.js";
import { Pipeline } from "./pipeline.js";

function stub(name: string, result: ActionResult, runs: string[]): Actionner {
  return {
    info: stubActionnerInfo(name),
    parameters: z.object({}).loose(),
    checks: async () => {},
    run: async (input) => {
      runs.push(`${input.rule}/${name}/${input.event.output_fields["k8s.pod.name"]}`);
      return result;
    },
  };
}

function harness(rules: string, cooldowns?: CooldownStore) {
  const runs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const auditFile = join(mkdtempSync(join(tmpdir(), "talon-cooldown-")), "audit.jsonl");
  const audit = new AuditLog(auditFile);
  const actionners = [
    stub("label", { status: "success", output: "labelled", objects: {} }, runs),
    stub("fail", { status: "failure", error: "boom", objects: {} }, runs),
  ];
  const loaded = loadRulesFromSources([{ file: "rules.yaml", text: rules }]);
  assert.deepEqual(loaded.problems, []);
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const pipeline = new Pipeline({
    config: configSchema.parse({}),
    logger: pino({ messageKey: "message" }, sink),
    metrics: new Metrics(),
    rules: () => loaded.ruleset!,
    kube: async () => {
      throw new Error("no cluster");
    },
    plugins: {
      findActionner: (n) => actionners.find((a) => `tests:${a.info.name}` === n),
      findOutput: () => undefined,
      findNotifier: () => undefined,
      findContext: () => undefined,
    },
    audit,
    ...(cooldowns ? { cooldowns } : {}),
  });
  const auditLines = () =>
    readFileSync(auditFile, "utf8")
      .split("\n")
      .filter((l) => l)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { pipeline, runs, logs, auditLines, audit };
}

const event = (pod: string, id: string): FalcoEvent =>
  decodeEvent(
    JSON.stringify({
      uuid: id,
      rule: "Terminal shell in container",
      priority: "Warning",
      output: `shell in ${pod}`,
      output_fields: { "k8s.pod.name": pod, "k8s.ns.name": "default" },
    }),
  );

describe("pipeline cooldown_seconds", () => {
  it("skips a rule's actions on the same target during the cooldown, logged and audited as ignored", async () => {
    const h = harness(`
- rule: cooling
  cooldown_seconds: 60
  actions:
    - action: l
      actionner: tests:label
- rule: always
  actions:
    - action: l2
      actionner: tests:label
`);
    await h.pipeline.process(event("nginx", "1"));
    await h.pipeline.process(event("nginx", "2"));
    await h.pipeline.process(event("redis", "3"));
    assert.deepEqual(h.runs, [
      "cooling/label/nginx",
      "always/label/nginx",
      "always/label/nginx",
      "cooling/label/redis",
      "always/label/redis",
    ]);
    const ignored = h.logs.filter((l) => l.message === "action" && l.status === "ignored");
    assert.equal(ignored.length, 1);
    assert.equal(ignored[0]!.reason, "cooldown");
    assert.equal(ignored[0]!.rule, "cooling");
    assert.equal(ignored[0]!.target, "pod:default/nginx");
    assert.equal(ignored[0]!.cooldown_left_seconds, 60);
    const audited = h.auditLines().filter((l) => l.status === "ignored");
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.reason, "cooldown");
    assert.equal(audited[0]!.action, "l");
    await h.pipeline.stop(1000);
  });

  it("acts again once the cooldown is over", async () => {
    const h = harness(`
- rule: short
  cooldown_seconds: 0.05
  actions:
    - action: l
      actionner: tests:label
`);
    await h.pipeline.process(event("nginx", "1"));
    await h.pipeline.process(event("nginx", "2"));
    await new Promise((r) => setTimeout(r, 80));
    await h.pipeline.process(event("nginx", "3"));
    assert.deepEqual(h.runs, ["short/label/nginx", "short/label/nginx"]);
    await h.pipeline.stop(1000);
  });
});

describe("pipeline audit hook", () => {
  it("appends every action attempt with event id, rule, action, actionner, target, status and error", async () => {
    const h = harness(`
- rule: r
  actions:
    - action: ok
      actionner: tests:label
    - action: broken
      actionner: tests:fail
`);
    const e = event("nginx", "11111111-2222-3333-4444-555555555555");
    await h.pipeline.process(e);
    await h.pipeline.stop(1000);
    h.audit.close();
    const [first, ...lines] = h.auditLines();
    // The event entry first: the event as received and the rules it matched.
    assert.equal(first!.message, "event");
    assert.equal(first!.event_id, e.id);
    assert.equal(first!.status, "matched");
    assert.deepEqual(first!.rules, ["r"]);
    assert.equal((first!.event as { rule: string }).rule, e.rule);
    assert.deepEqual((first!.event as { output_fields: unknown }).output_fields, e.output_fields);
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.equal(l.event_id, e.id);
      assert.equal(l.rule, "r");
      assert.equal(l.target, "pod:default/nginx");
      assert.equal(l.message, "action");
      assert.match(String(l.replica), /^.+:\d+$/);
      assert.ok(Number.isFinite(Date.parse(String(l.time))));
    }
    assert.deepEqual(
      lines.map((l) => [l.action, l.actionner, l.status, l.error]),
      [
        ["ok", "tests:label", "success", undefined],
        ["broken", "tests:fail", "failure", "boom"],
      ],
    );
  });

  it("a shared store decides across pipelines (replicas); an unreachable one falls back to this replica's", async () => {
    const rules = `
- rule: cooling
  cooldown_seconds: 60
  actions:
    - action: l
      actionner: tests:label
`;
    // Two replicas sharing one store: the second sees the first one's cooldown.
    const shared = new Map<string, number>();
    const store: CooldownStore = {
      claim: async (key, seconds) => {
        const until = shared.get(key);
        if (until !== undefined && until > Date.now()) return Math.ceil((until - Date.now()) / 1000);
        shared.set(key, Date.now() + seconds * 1000);
        return undefined;
      },
    };
    const a = harness(rules, store);
    const b = harness(rules, store);
    await a.pipeline.process(event("nginx", "1"));
    await b.pipeline.process(event("nginx", "2"));
    assert.deepEqual(a.runs, ["cooling/label/nginx"]);
    assert.deepEqual(b.runs, []);
    assert.equal(b.logs.find((l) => l.status === "ignored")?.reason, "cooldown");

    const down = harness(rules, {
      claim: async () => {
        throw new Error("nats: timeout");
      },
    });
    await down.pipeline.process(event("nginx", "3"));
    await down.pipeline.process(event("nginx", "4"));
    assert.deepEqual(down.runs, ["cooling/label/nginx"], "the local cooldown still applies");
    const warned = down.logs.filter((l) => l.message === "shared cooldown unavailable, using this replica's");
    assert.equal(warned.length, 2);
    assert.equal(warned[0]!.error, "nats: timeout");
    for (const h of [a, b, down]) await h.pipeline.stop(1000);
  });
});
