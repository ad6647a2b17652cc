/**
 * The reverter over a stub reversible actionner and a MemoryUndoStore: outcomes, what is
 * recorded, audited and notified, and the failures it reports instead of throwing.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import { undoAction } from "../../test/support/nats.js";
import { stubActionnerInfo } from "../../test/support/pipeline.js";
import type { AuditRecord } from "../audit/log.js";
import { type Config, configSchema } from "../config/schema.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { Actionner, Notification, RevertInput, RevertResult } from "../plugins/types.js";
import type { ReversibleAction } from "./action.js";
import { Reverter } from "./reverter.js";
import { MemoryUndoStore } from "./store.js";

const record = z.object({ labels: z.record(z.string(), z.string().nullable()) });
type Undo = z.output<typeof record>;

function actionner(name: string, revert?: (input: RevertInput<Undo>) => Promise<RevertResult>): Actionner {
  return {
    info: stubActionnerInfo(name),
    parameters: z.object({}),
    checks: async () => {},
    run: async () => ({ status: "success", objects: {} }),
    ...(revert
      ? { reversible: { record, revert: revert as (i: RevertInput<unknown>) => Promise<RevertResult> } }
      : {}),
  };
}

const done = (over: Partial<RevertResult> = {}): RevertResult => ({
  status: "success",
  reverted: ["label 'quarantine' removed from the pod 'web-1' in the namespace 'default'"],
  unchanged: [],
  conflicts: [],
  objects: { namespace: "default", pod: "web-1" },
  ...over,
});

/** A store that counts reads, so an invalid id can be shown to read nothing. */
class CountingStore extends MemoryUndoStore {
  gets = 0;
  override async get(id: string) {
    this.gets++;
    return super.get(id);
  }
}

function setup(
  opts: {
    revert?: (input: RevertInput<Undo>) => Promise<RevertResult>;
    config?: Config;
    shutdown?: AbortSignal;
  } = {},
) {
  const calls: RevertInput<Undo>[] = [];
  const revert = opts.revert ?? (async () => done());
  const plugins: PluginLookup = {
    findActionner: (n) =>
      n === "tests:label"
        ? actionner("label", async (input) => {
            calls.push(input);
            return revert(input);
          })
        : n === "tests:plain"
          ? actionner("plain")
          : undefined,
    findOutput: () => undefined,
    findNotifier: () => undefined,
    findContext: () => undefined,
  };
  const store = new CountingStore();
  const audits: AuditRecord[] = [];
  const notified: { rule: string; n: Notification }[] = [];
  const reverter = new Reverter({
    config: opts.config ?? configSchema.parse({}),
    logger: pino({ level: "silent" }),
    store,
    plugins,
    kube: async () => {
      throw new Error("no cluster in unit tests");
    },
    audit: { record: (r) => audits.push(r), close: () => {} },
    notify: (rule, n) => notified.push({ rule, n }),
    replica: "test:1",
    shutdown: opts.shutdown,
  });
  const keep = async (extra: Partial<ReversibleAction> = {}) => {
    const a = undoAction(1, { actionner: "tests:label", ...extra });
    await store.put(a);
    return a;
  };
  return { reverter, store, calls, audits, notified, keep };
}

describe("Reverter", () => {
  it("refuses an invalid id without reading the store", async () => {
    const s = setup();
    for (const id of ["", "xyz", "ABCDEF0123456789ABCD", "0".repeat(21), "../../etc/passwd"]) {
      const out = await s.reverter.revert(id, { trigger: "manual" });
      assert.equal(out.kind, "invalid_id", id);
      assert.match(out.kind === "invalid_id" ? out.message : "", /expected 20 hex characters/);
    }
    const long = await s.reverter.revert("z".repeat(500), { trigger: "manual" });
    assert.ok(long.kind === "invalid_id" && long.message.length < 150, "a long id is clipped");
    assert.equal(s.store.gets, 0);
  });

  it("reports an unknown id as not found", async () => {
    const s = setup();
    const out = await s.reverter.revert("0123456789abcdef0123", { trigger: "manual" });
    assert.deepEqual(out, { kind: "not_found", message: "no reversible action '0123456789abcdef0123'" });
    assert.equal(s.calls.length, 0);
  });

  it("reverts: records the revert, audits one revert entry and notifies the rule", async () => {
    const s = setup();
    const a = await s.keep({ trace_id: "t-1" });
    const out = await s.reverter.revert(a.action_id, { trigger: "manual" });
    assert.equal(out.kind, "reverted");
    assert.ok(out.kind === "reverted");
    assert.equal(out.dryRun, false);
    assert.equal(out.result.status, "success");
    assert.equal(out.action.action_id, a.action_id);

    assert.equal(s.calls.length, 1);
    assert.equal(s.calls[0]!.dryRun, false);
    assert.deepEqual(s.calls[0]!.undo, a.undo);
    assert.ok(s.calls[0]!.env.signal instanceof AbortSignal);

    const kept = await s.store.get(a.action_id);
    assert.equal(kept?.revert?.status, "success");
    assert.equal(kept?.revert?.trigger, "manual");
    assert.equal(kept?.revert?.replica, "test:1");
    assert.deepEqual(kept?.revert?.reverted, done().reverted);

    assert.equal(s.audits.length, 1);
    const e = s.audits[0]!;
    assert.equal(e.message, "revert");
    assert.equal(e.action_id, a.action_id);
    assert.equal(e.event_id, a.event_id);
    assert.equal(e.trace_id, "t-1");
    assert.equal(e.rule, a.rule);
    assert.equal(e.actionner, "tests:label");
    assert.equal(e.target, a.target);
    assert.equal(e.status, "success");
    assert.equal(e.trigger, "manual");
    assert.deepEqual(e.reverted, done().reverted);
    assert.deepEqual(e.unchanged, []);
    assert.deepEqual(e.conflicts, []);

    assert.equal(s.notified.length, 1);
    const { rule, n } = s.notified[0]!;
    assert.equal(rule, a.rule);
    assert.equal(n.message, "revert");
    assert.equal(n.status, "success");
    assert.equal(n.action_id, a.action_id);
    assert.equal(n.trace_id, "t-1");
    assert.deepEqual(n.objects, { Namespace: "default", Pod: "web-1" });
    assert.match(n.event, /revert \(manual\)/);
  });

  it("a second revert is already_reverted: no actionner call, no audit, no notification", async () => {
    const s = setup();
    const a = await s.keep();
    await s.reverter.revert(a.action_id, { trigger: "expiry" });
    const first = (await s.store.get(a.action_id))?.revert;
    const again = await s.reverter.revert(a.action_id, { trigger: "manual" });
    assert.equal(again.kind, "already_reverted");
    assert.ok(again.kind === "already_reverted");
    assert.equal(again.result.status, "success");
    assert.match(again.result.unchanged[0] ?? "", /already reverted at/);
    assert.equal(s.calls.length, 1);
    assert.equal(s.audits.length, 1);
    assert.equal(s.notified.length, 1);
    assert.deepEqual((await s.store.get(a.action_id))?.revert, first, "the first outcome stays");
  });

  it("a dry run asks the actionner with dryRun and records, audits and notifies nothing", async () => {
    const s = setup();
    const a = await s.keep();
    const out = await s.reverter.revert(a.action_id, { trigger: "manual", dryRun: true });
    assert.ok(out.kind === "reverted");
    assert.equal(out.dryRun, true);
    assert.equal(s.calls.length, 1);
    assert.equal(s.calls[0]!.dryRun, true);
    assert.equal((await s.store.get(a.action_id))?.revert, undefined);
    assert.equal(s.audits.length, 0);
    assert.equal(s.notified.length, 0);
  });

  it("a conflict is recorded and a later revert runs again", async () => {
    let status: RevertResult["status"] = "conflict";
    const s = setup({
      revert: async () =>
        status === "conflict"
          ? done({ status, reverted: [], conflicts: ["label 'quarantine' changed since to 'no'"] })
          : done(),
    });
    const a = await s.keep();
    const out = await s.reverter.revert(a.action_id, { trigger: "manual" });
    assert.ok(out.kind === "reverted");
    assert.equal(out.result.status, "conflict");
    assert.equal((await s.store.get(a.action_id))?.revert?.status, "conflict");
    assert.equal(s.audits[0]!.status, "conflict");
    assert.deepEqual(s.audits[0]!.conflicts, ["label 'quarantine' changed since to 'no'"]);
    assert.equal(s.notified[0]!.n.status, "failure");
    assert.match(s.notified[0]!.n.error ?? "", /left alone: label 'quarantine' changed/);

    status = "success";
    const again = await s.reverter.revert(a.action_id, { trigger: "manual" });
    assert.equal(again.kind, "reverted");
    assert.equal(s.calls.length, 2);
    assert.equal((await s.store.get(a.action_id))?.revert?.status, "success");
  });

  it("an actionner that throws gives a failure result; the failure is recorded", async () => {
    const s = setup({
      revert: async () => {
        throw new Error("connection refused");
      },
    });
    const a = await s.keep();
    const out = await s.reverter.revert(a.action_id, { trigger: "expiry" });
    assert.ok(out.kind === "reverted");
    assert.equal(out.result.status, "failure");
    assert.match(out.result.error ?? "", /connection refused/);
    assert.deepEqual(out.result.objects, a.objects);
    const kept = (await s.store.get(a.action_id))?.revert;
    assert.equal(kept?.status, "failure");
    assert.match(kept?.error ?? "", /connection refused/);
    assert.equal(s.audits[0]!.status, "failure");
    assert.equal(s.notified[0]!.n.status, "failure");
  });

  it("an undo record the actionner's schema refuses is a failure, and the actionner is not called", async () => {
    const s = setup();
    const a = await s.keep({ undo: { labels: "not a map" } });
    const out = await s.reverter.revert(a.action_id, { trigger: "manual" });
    assert.ok(out.kind === "reverted");
    assert.equal(out.result.status, "failure");
    assert.match(out.result.error ?? "", /^the undo record of tests:label is not valid: ./);
    assert.equal(s.calls.length, 0);
  });

  it("an unknown actionner, or one that cannot revert, is a failure", async () => {
    const s = setup();
    const gone = await s.keep({ actionner: "tests:gone" });
    const out = await s.reverter.revert(gone.action_id, { trigger: "manual" });
    assert.ok(out.kind === "reverted");
    assert.equal(out.result.status, "failure");
    assert.equal(out.result.error, "the actionner 'tests:gone' cannot revert its actions");

    const plain = undoAction(2, { actionner: "tests:plain" });
    await s.store.put(plain);
    const out2 = await s.reverter.revert(plain.action_id, { trigger: "manual" });
    assert.ok(out2.kind === "reverted");
    assert.equal(out2.result.status, "failure");
    assert.equal(out2.result.error, "the actionner 'tests:plain' cannot revert its actions");
    assert.equal(s.calls.length, 0);
  });

  // A bounded test: a regression fails here instead of hanging the run.
  it("a revert that never resolves is ended by the action timeout", { timeout: 5000 }, async () => {
    const config = configSchema.parse({});
    // Below the schema's minimum, to keep the test short.
    config.queue.action_timeout_seconds = 0.05;
    const s = setup({ config, revert: () => new Promise<RevertResult>(() => {}) });
    const a = await s.keep();
    const started = performance.now();
    // The reverter's timer is unref'd (a server keeps the loop alive); here nothing else would.
    const alive = setInterval(() => {}, 10);
    const out = await s.reverter
      .revert(a.action_id, { trigger: "expiry" })
      .finally(() => clearInterval(alive));
    assert.ok(performance.now() - started < 2000);
    assert.ok(out.kind === "reverted");
    assert.equal(out.result.status, "failure");
    assert.match(out.result.error ?? "", /revert timed out after 0.05s/);
    assert.equal(s.calls[0]!.env.signal.aborted, true, "the actionner's signal is aborted too");
    assert.equal((await s.store.get(a.action_id))?.revert?.status, "failure");
  });

  it("shutdown aborts a revert under way", { timeout: 5000 }, async () => {
    const shutdown = new AbortController();
    const s = setup({ shutdown: shutdown.signal, revert: () => new Promise<RevertResult>(() => {}) });
    const a = await s.keep();
    const pending = s.reverter.revert(a.action_id, { trigger: "expiry" });
    while (s.calls.length === 0) await new Promise((r) => setImmediate(r));
    shutdown.abort(new Error("shutting down"));
    const out = await pending;
    assert.ok(out.kind === "reverted");
    assert.equal(out.result.status, "failure");
    assert.match(out.result.error ?? "", /shutting down/);
  });

  it("a manual revert waits its turn: busy while another holds the claim, then runs", async () => {
    const s = setup();
    const a = await s.keep();
    assert.equal(await s.store.claim(a.action_id, "other-replica", 60_000), true);
    const busy = await s.reverter.revert(a.action_id, { trigger: "manual" });
    assert.equal(busy.kind, "busy");
    assert.equal(s.calls.length, 0);
    // The expiry that holds the claim says so, and runs.
    const out = await s.reverter.revert(a.action_id, { trigger: "expiry", claimed: true });
    assert.equal(out.kind, "reverted");
    assert.equal(s.calls.length, 1);
  });
});
