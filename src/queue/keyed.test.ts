import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Deduplicator } from "./dedup.js";
import { KeyedMutex, KeyedQueue } from "./keyed.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("KeyedQueue", () => {
  it("runs one key in arrival order and other keys concurrently", async () => {
    const log: string[] = [];
    const q = new KeyedQueue<{ key: string; id: number; ms: number }>({
      capacity: 100,
      concurrency: 4,
      handler: async (it) => {
        log.push(`start ${it.key}${it.id}`);
        await sleep(it.ms);
        log.push(`end ${it.key}${it.id}`);
      },
      onError: () => {},
    });
    q.push("a", { key: "a", id: 1, ms: 80 });
    q.push("a", { key: "a", id: 2, ms: 1 });
    q.push("b", { key: "b", id: 1, ms: 5 });
    assert.equal(await q.drain(2000), true);
    assert.ok(log.indexOf("end b1") < log.indexOf("end a1"), "b is not blocked by slow a");
    assert.ok(log.indexOf("end a1") < log.indexOf("start a2"), "a items are serial");
  });

  it("respects the concurrency limit and capacity", async () => {
    let active = 0;
    let max = 0;
    const q = new KeyedQueue<number>({
      capacity: 5,
      concurrency: 2,
      handler: async () => {
        active++;
        max = Math.max(max, active);
        await sleep(10);
        active--;
      },
      onError: () => {},
    });
    for (let i = 0; i < 5; i++) assert.equal(q.push(String(i), i), true);
    assert.equal(q.push("x", 9), false, "full");
    await q.drain(2000);
    assert.equal(max, 2);
  });

  it("reports handler errors and keeps going", async () => {
    const errors: unknown[] = [];
    const done: number[] = [];
    const q = new KeyedQueue<number>({
      capacity: 10,
      concurrency: 1,
      handler: async (n) => {
        if (n === 1) throw new Error("boom");
        done.push(n);
      },
      onError: (e) => errors.push(e),
    });
    q.push("k", 1);
    q.push("k", 2);
    await q.drain(1000);
    assert.deepEqual(done, [2]);
    assert.equal(errors.length, 1);
  });

  it("drain times out when work is stuck", async () => {
    const q = new KeyedQueue<number>({
      capacity: 1,
      concurrency: 1,
      handler: async () => {
        await sleep(200);
      },
      onError: () => {},
    });
    q.push("k", 1);
    assert.equal(await q.drain(20), false);
    assert.equal(await q.drain(1000), true);
  });
});

describe("KeyedMutex", () => {
  it("serialises per key in FIFO order", async () => {
    const m = new KeyedMutex();
    const log: number[] = [];
    await Promise.all([
      m.run("n", async () => {
        await sleep(30);
        log.push(1);
      }),
      m.run("n", async () => log.push(2)),
      m.run("other", async () => log.push(0)),
    ]);
    assert.deepEqual(log, [0, 1, 2]);
  });
});

describe("Deduplicator", () => {
  it("drops duplicates inside the window only", () => {
    let now = 0;
    const d = new Deduplicator(5000, () => now);
    assert.equal(d.isDuplicate("k"), false);
    now = 4999;
    assert.equal(d.isDuplicate("k"), true);
    now = 5000;
    assert.equal(d.isDuplicate("k"), false);
  });
  it("window 0 disables it", () => {
    const d = new Deduplicator(0);
    assert.equal(d.isDuplicate("k"), false);
    assert.equal(d.isDuplicate("k"), false);
  });
});
