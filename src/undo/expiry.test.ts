/**
 * The expiry of `revert_after` over a MemoryUndoStore and a stub reversible actionner: due
 * actions are reverted once, failures retried, claims of other replicas respected, and stop
 * waits for a revert under way.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import { undoAction } from "../../test/support/nats.js";
import { stubActionnerInfo } from "../../test/support/pipeline.js";
import { configSchema } from "../config/schema.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { Actionner, RevertResult } from "../plugins/types.js";
import type { ReversibleAction } from "./action.js";
import { Expiry } from "./expiry.js";
import { Reverter } from "./reverter.js";
import { MemoryUndoStore, type UndoStore } from "./store.js";

const PAST = "2026-01-01T11:00:00.000Z";
const logger = pino({ level: "silent" });

const ok = (): RevertResult => ({
  status: "success",
  reverted: ["label removed"],
  unchanged: [],
  conflicts: [],
  objects: {},
});

/** Counts reverts per action id (the undo record carries it). */
function plugins(revert: (id: string) => Promise<RevertResult>, calls: string[]): PluginLookup {
  const actionner: Actionner = {
    info: stubActionnerInfo("label"),
    parameters: z.object({}),
    checks: async () => {},
    run: async () => ({ status: "success", objects: {} }),
    reversible: {
      record: z.object({ id: z.string() }),
      revert: async ({ undo }) => {
        const { id } = undo as { id: string };
        calls.push(id);
        return revert(id);
      },
    },
  };
  return {
    findActionner: (n) => (n === "tests:label" ? actionner : undefined),
    findOutput: () => undefined,
    findNotifier: () => undefined,
    findContext: () => undefined,
  };
}

function expiry(
  store: UndoStore,
  replica: string,
  revert: (id: string) => Promise<RevertResult>,
  calls: string[],
  opts: { pollMs?: number; leaseMs?: number } = {},
): Expiry {
  const reverter = new Reverter({
    config: configSchema.parse({}),
    logger,
    store,
    plugins: plugins(revert, calls),
    kube: async () => {
      throw new Error("no cluster in unit tests");
    },
    replica,
  });
  return new Expiry({ store, reverter, logger, replica, ...opts });
}

function due(n: number, revert_at = PAST): ReversibleAction {
  const a = undoAction(n, { actionner: "tests:label", revert_at });
  return { ...a, undo: { id: a.action_id } };
}

async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("Expiry", () => {
  it("claims and reverts a due action once", async () => {
    const store = new MemoryUndoStore();
    const calls: string[] = [];
    const a = due(1);
    const kept = undoAction(2, { actionner: "tests:label" });
    await store.put(a);
    await store.put(kept);
    const e = expiry(store, "r1", async () => ok(), calls);
    await e.tick();
    await e.tick();
    assert.deepEqual(calls, [a.action_id]);
    const reverted = (await store.get(a.action_id))?.revert;
    assert.equal(reverted?.status, "success");
    assert.equal(reverted?.trigger, "expiry");
    assert.equal(reverted?.replica, "r1");
    assert.equal((await store.get(kept.action_id))?.revert, undefined, "no revert_at: kept until asked");
  });

  it("runs by itself once started, and wake looks at once", async () => {
    const store = new MemoryUndoStore();
    const calls: string[] = [];
    const a = due(1);
    await store.put(a);
    const e = expiry(store, "r1", async () => ok(), calls, { pollMs: 60_000 });
    e.start();
    try {
      await until(() => calls.length === 1);
      // The next pass is a minute away: only wake brings it forward.
      const b = due(2);
      await store.put(b);
      e.wake();
      await until(() => calls.length === 2);
      assert.deepEqual(calls, [a.action_id, b.action_id]);
    } finally {
      await e.stop();
    }
  });

  it("waits for actions that are not due yet", async () => {
    const store = new MemoryUndoStore();
    const calls: string[] = [];
    const at = Date.now() + 60_000;
    const a = due(1, new Date(at).toISOString());
    await store.put(a);
    const e = expiry(store, "r1", async () => ok(), calls);
    await e.tick();
    await e.tick(at - 1);
    assert.deepEqual(calls, []);
    await e.tick(at);
    assert.deepEqual(calls, [a.action_id]);
  });

  it("retries a failed revert after a growing delay, and stops once it succeeds", async () => {
    const store = new MemoryUndoStore();
    const calls: string[] = [];
    let fail = true;
    const a = due(1);
    await store.put(a);
    const e = expiry(
      store,
      "r1",
      async () =>
        fail ? { ...ok(), status: "failure", reverted: [], error: "api server unreachable" } : ok(),
      calls,
    );
    const t0 = Date.now();
    await e.tick(t0);
    assert.equal((await store.get(a.action_id))?.revert?.status, "failure");
    // Not again at once: the first retry waits 5 s, the next one 10 s.
    await e.tick(t0 + 1000);
    assert.equal(calls.length, 1);
    await e.tick(t0 + 5000);
    assert.equal(calls.length, 2);
    await e.tick(t0 + 5000 + 9000);
    assert.equal(calls.length, 2);
    fail = false;
    await e.tick(t0 + 5000 + 10_000);
    await e.tick(t0 + 60_000);
    assert.equal(calls.length, 3);
    assert.equal((await store.get(a.action_id))?.revert?.status, "success");
  });

  it("leaves an action claimed by another replica alone until its lease lapses", async () => {
    const store = new MemoryUndoStore();
    const calls: string[] = [];
    const a = due(1);
    await store.put(a);
    // A replica that claimed it and died before recording anything.
    assert.equal(await store.claim(a.action_id, "dead", 50), true);
    const e = expiry(store, "r1", async () => ok(), calls);
    await e.tick();
    assert.deepEqual(calls, []);
    await new Promise((r) => setTimeout(r, 60));
    await e.tick();
    assert.deepEqual(calls, [a.action_id]);
  });

  it("a conflict ends the expiry", async () => {
    const store = new MemoryUndoStore();
    const calls: string[] = [];
    const a = due(1);
    await store.put(a);
    const e = expiry(
      store,
      "r1",
      async () => ({ ...ok(), status: "conflict", reverted: [], conflicts: ["changed since"] }),
      calls,
    );
    await e.tick();
    await e.tick();
    assert.equal(calls.length, 1);
    assert.equal((await store.get(a.action_id))?.revert?.status, "conflict");
  });

  it("a store that cannot be read ends the pass without throwing", async () => {
    const store = new MemoryUndoStore();
    store.due = async () => {
      throw new Error("bucket gone");
    };
    const e = expiry(store, "r1", async () => ok(), []);
    await e.tick();
  });

  it("stop waits for a revert under way and starts no other", async () => {
    const store = new MemoryUndoStore();
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    await store.put(due(1));
    await store.put(due(2));
    const e = expiry(
      store,
      "r1",
      async () => {
        await gate;
        return ok();
      },
      calls,
      { pollMs: 5 },
    );
    e.start();
    await until(() => calls.length === 1);
    let stopped = false;
    const stopping = e.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(stopped, false, "stop waits for the revert");
    release();
    await stopping;
    assert.equal(calls.length, 1, "no revert starts after stop");
    assert.equal((await store.get(calls[0]!))?.revert?.status, "success");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.length, 1, "no pass after stop");
  });

  it("two replicas on one store revert each due action exactly once", async () => {
    const store = new MemoryUndoStore();
    const calls: string[] = [];
    const actions = Array.from({ length: 12 }, (_, i) => due(i + 1));
    for (const a of actions) await store.put(a);
    // A revert that yields, so the two replicas' passes interleave.
    const slow = async () => {
      await new Promise((r) => setTimeout(r, 1));
      return ok();
    };
    const a = expiry(store, "r1", slow, calls, { pollMs: 2 });
    const b = expiry(store, "r2", slow, calls, { pollMs: 2 });
    await Promise.all([a.tick(), b.tick()]);
    a.start();
    b.start();
    try {
      await until(async () => (await store.due(Date.now())).length === 0);
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    assert.deepEqual([...calls].sort(), actions.map((x) => x.action_id).sort());
    const replicas = new Set((await store.list()).map((x) => x.revert?.replica));
    assert.deepEqual([...replicas].sort(), ["r1", "r2"], "both replicas took part");
  });
});
