/**
 * The pipeline keeps what a reversible action changed: its id, undo record and expiry go to the
 * undo hook, the audit entry and the action's log line; nothing else is kept.
 */

import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import { event, stubActionnerInfo } from "../../test/support/pipeline.js";
import { revertAfter } from "../actionners/revert-after/index.js";
import type { AuditRecord } from "../audit/log.js";
import { configSchema } from "../config/schema.js";
import type { FalcoEvent } from "../events/event.js";
import { Metrics } from "../metrics/metrics.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { Actionner, ActionResult, Notification, Notifier } from "../plugins/types.js";
import { loadRulesFromSources } from "../rules/index.js";
import { actionId, type ReversibleAction } from "../undo/action.js";
import { Pipeline } from "./pipeline.js";

const UNDO = { labels: { quarantine: null } };

/** `mode` picks the run's result: ok (with undo), noundo, fail (a failure that still has undo). */
function stub(name: string, reversible: boolean, calls: string[]): Actionner {
  return {
    info: stubActionnerInfo(name),
    parameters: z.object({ mode: z.string().default("ok"), revert_after: revertAfter }),
    checks: async () => {},
    run: async ({ parameters }): Promise<ActionResult> => {
      calls.push(name);
      const { mode } = parameters as { mode: string };
      const objects = { namespace: "default", pod: "nginx" };
      if (mode === "fail") return { status: "failure", error: "forbidden", objects, undo: UNDO };
      if (mode === "noundo") return { status: "success", output: "already labelled", objects };
      return { status: "success", output: "labelled", objects, undo: UNDO };
    },
    ...(reversible
      ? {
          reversible: {
            record: z.object({ labels: z.record(z.string(), z.null()) }),
            revert: async () => ({
              status: "success",
              reverted: [],
              unchanged: [],
              conflicts: [],
              objects: {},
            }),
          },
        }
      : {}),
  };
}

function setup(rulesYaml: string) {
  const calls: string[] = [];
  const kept: ReversibleAction[] = [];
  const audits: AuditRecord[] = [];
  const logs: Record<string, unknown>[] = [];
  const notifications: Notification[] = [];
  const actionners = [stub("label", true, calls), stub("plain", false, calls)];
  const notifier: Notifier = {
    info: { name: "recorder", description: "", permissions: {}, example: "" },
    parameters: z.object({}),
    send: async (n) => {
      notifications.push(n);
    },
  };
  const plugins: PluginLookup = {
    findActionner: (n) => actionners.find((a) => `${a.info.category}:${a.info.name}` === n),
    findOutput: () => undefined,
    findNotifier: (n) => (n === "recorder" ? notifier : undefined),
    findContext: () => undefined,
  };
  const loaded = loadRulesFromSources([{ file: "rules.yaml", text: rulesYaml }]);
  assert.deepEqual(loaded.problems, [], "rules load");
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const pipeline = new Pipeline({
    config: configSchema.parse({ default_notifiers: ["recorder"] }),
    logger: pino({ messageKey: "message", level: "debug" }, sink),
    metrics: new Metrics(),
    rules: () => loaded.ruleset!,
    kube: async () => {
      throw new Error("no cluster in unit tests");
    },
    plugins,
    // Action entries only: the event entry of each matched event is not what these tests check.
    audit: { record: (r) => r.message !== "event" && audits.push(r), close: () => {} },
    undo: {
      kept: (a) => {
        kept.push(a);
      },
    },
  });
  const run = async (e: FalcoEvent) => {
    await pipeline.accept(e);
    assert.equal(await pipeline.stop(5000), true);
  };
  return { run, calls, kept, audits, logs, notifications };
}

const actionLogs = (logs: Record<string, unknown>[]) =>
  logs.filter((l) => l.message === "action" && l.status !== "in_progress");

describe("keeping reversible actions", () => {
  it("a reversible success with an undo record is kept, with its id and revert_at", async () => {
    const s = setup(`
- rule: Quarantine
  actions:
    - action: label the pod
      actionner: tests:label
      parameters:
        revert_after: 1h30m
`);
    const e = event();
    const before = Date.now();
    await s.run(e);
    const after = Date.now();
    assert.deepEqual(s.calls, ["label"]);
    assert.equal(s.kept.length, 1);
    const k = s.kept[0]!;
    const id = actionId(e.id, "Quarantine", "label the pod");
    assert.equal(k.action_id, id);
    assert.equal(k.event_id, e.id);
    assert.equal(k.rule, "Quarantine");
    assert.equal(k.action, "label the pod");
    assert.equal(k.actionner, "tests:label");
    assert.equal(k.target, "pod:default/nginx");
    assert.deepEqual(k.objects, { namespace: "default", pod: "nginx" });
    assert.deepEqual(k.undo, UNDO);
    assert.match(k.replica, /^.+:\d+$/);
    const time = Date.parse(k.time);
    assert.ok(time >= before && time <= after);
    assert.equal(Date.parse(k.revert_at!) - time, 90 * 60_000);

    assert.equal(s.audits.length, 1);
    const a = s.audits[0]!;
    assert.equal(a.message, "action");
    assert.equal(a.status, "success");
    assert.equal(a.action_id, id);
    assert.deepEqual(a.undo, UNDO);
    assert.equal(a.revert_at, k.revert_at);

    const [line] = actionLogs(s.logs);
    assert.equal(line?.action_id, id);
    assert.equal(line?.revert_at, k.revert_at);
    assert.equal(s.notifications[0]?.action_id, id);
  });

  it("without revert_after it is kept with no expiry", async () => {
    const s = setup(`
- rule: Quarantine
  actions:
    - action: label the pod
      actionner: tests:label
`);
    await s.run(event());
    assert.equal(s.kept.length, 1);
    assert.equal(s.kept[0]!.revert_at, undefined);
    assert.deepEqual(s.audits[0]!.undo, UNDO);
    assert.equal(s.audits[0]!.revert_at, undefined);
    const [line] = actionLogs(s.logs);
    assert.equal(line?.action_id, s.kept[0]!.action_id);
    assert.equal("revert_at" in (line ?? {}), false);
  });

  it("a failure, a success without undo and a non-reversible actionner are not kept", async () => {
    const s = setup(`
- rule: Quarantine
  actions:
    - action: failed
      actionner: tests:label
      ignore_errors: true
      parameters:
        mode: fail
        revert_after: 1h
    - action: nothing changed
      actionner: tests:label
      parameters:
        mode: noundo
        revert_after: 1h
    - action: not reversible
      actionner: tests:plain
`);
    const e = event();
    await s.run(e);
    assert.deepEqual(s.calls, ["label", "label", "plain"]);
    assert.deepEqual(s.kept, []);
    assert.equal(s.audits.length, 3);
    for (const a of s.audits) {
      // Every action entry carries its id, reversible or not.
      assert.equal(a.action_id, actionId(e.id, "Quarantine", a.action));
      assert.equal(a.undo, undefined, a.action);
      assert.equal(a.revert_at, undefined, a.action);
    }
    for (const line of actionLogs(s.logs)) {
      assert.equal("action_id" in line, false, "only reversible actions log their id");
      assert.equal("revert_at" in line, false);
    }
    assert.ok(s.notifications.every((n) => n.action_id === undefined));
  });

  it("a dry-run rule is not kept; its audit entry still has the action id", async () => {
    const s = setup(`
- rule: Quarantine
  dry_run: true
  actions:
    - action: label the pod
      actionner: tests:label
      parameters:
        revert_after: 1h
`);
    const e = event();
    await s.run(e);
    assert.deepEqual(s.calls, []);
    assert.deepEqual(s.kept, []);
    assert.equal(s.audits.length, 1);
    assert.equal(s.audits[0]!.reason, "dry_run");
    assert.equal(s.audits[0]!.action_id, actionId(e.id, "Quarantine", "label the pod"));
    assert.equal(s.audits[0]!.undo, undefined);
  });

  it("the same event, rule and action always get the same id", async () => {
    const yaml = `
- rule: Quarantine
  actions:
    - action: label the pod
      actionner: tests:label
`;
    const e = event();
    const first = setup(yaml);
    await first.run(e);
    const again = setup(yaml);
    await again.run({ ...e, context: {} });
    assert.equal(first.kept[0]!.action_id, again.kept[0]!.action_id);
  });
});
