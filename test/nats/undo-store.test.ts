/**
 * KvUndoStore against a real nats-server: the UndoStore contract MemoryUndoStore also passes,
 * then what only a shared bucket has: two stores (two connections) are two replicas racing for
 * one expiry, and the actions survive the store's and the server's restart.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KvUndoStore, type KvUndoStoreOptions } from "../../src/undo/kv-store.js";
import {
  freePort,
  type NatsCluster,
  revertRecord,
  startNats,
  undoAction,
  undoStoreContract,
} from "../support/nats.js";

let nats: NatsCluster;
let buckets = 0;
const open: KvUndoStore[] = [];

before(async () => {
  nats = await startNats();
});
after(async () => {
  for (const s of open) await s.close();
  await nats?.stop();
});

function bucketOptions(url = nats.url): KvUndoStoreOptions {
  return { servers: [url], bucket: `UNDO${process.pid}_${++buckets}` };
}

async function store(opts: KvUndoStoreOptions): Promise<KvUndoStore> {
  const s = await KvUndoStore.open(opts);
  open.push(s);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("KvUndoStore", () => {
  describe("the UndoStore contract", () => {
    undoStoreContract(() => store(bucketOptions()));
  });

  test("list is ordered by time, whatever the order of the puts", async () => {
    const s = await store(bucketOptions());
    const actions = [3, 1, 2].map((n) => undoAction(n));
    for (const a of actions) await s.put(a);
    assert.deepEqual(
      (await s.list()).map((a) => a.event_id),
      ["ev-1", "ev-2", "ev-3"],
    );
  });

  test("a redelivered action keeps the first record", async () => {
    const s = await store(bucketOptions());
    const first = undoAction(1, { undo: { labels: { quarantine: null } } });
    await s.put(first);
    // The second run found the label already set: its record would undo nothing.
    await s.put({ ...first, time: "2026-01-01T10:05:00.000Z", replica: "host-b:2", undo: { labels: {} } });
    assert.deepEqual(await s.get(first.action_id), first);
    assert.deepEqual(await s.list(), [first]);
  });

  test("two replicas race for one expiry: one wins, the other takes over once the lease ends", async () => {
    const opts = bucketOptions();
    const a = await store(opts);
    const b = await store(opts);
    const action = undoAction(1, { revert_at: new Date(Date.now() - 1000).toISOString() });
    await a.put(action);
    assert.deepEqual(
      (await b.due(Date.now())).map((x) => x.action_id),
      [action.action_id],
    );

    // A long lease, so a slow run cannot see it end while the replicas race.
    const won = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).claim(action.action_id, i % 2 ? "replica-a" : "replica-b", 60_000),
      ),
    );
    assert.equal(won.filter(Boolean).length, 1, `claims: ${won.join(",")}`);
    const winner = won.indexOf(true) % 2 ? a : b;
    const other = winner === a ? b : a;
    assert.equal(await other.claim(action.action_id, "other", 500), false, "the lease is live");
    assert.equal(await winner.claim(action.action_id, "winner", 500), false, "even for the claimer");
    // The claim is not part of the action callers see.
    assert.deepEqual(await other.get(action.action_id), action);

    // A claimer that died: once its lease ends the other replica takes the expiry over.
    const orphan = undoAction(2, { revert_at: action.revert_at });
    await a.put(orphan);
    assert.equal(await a.claim(orphan.action_id, "replica-a", 300), true);
    assert.equal(await b.claim(orphan.action_id, "replica-b", 300), false);
    await sleep(400);
    assert.equal(await b.claim(orphan.action_id, "replica-b", 60_000), true);

    await other.reverted(revertRecord(action, "failure"));
    assert.equal(await other.claim(action.action_id, "other", 60_000), true, "the failure ended the lease");
    assert.equal((await a.due(Date.now())).length, 2, "a failed revert stays due");
    assert.equal((await b.get(action.action_id))?.revert?.status, "failure");

    await winner.reverted(revertRecord(action, "success"));
    assert.equal(await a.claim(action.action_id, "replica-a", 60_000), false);
    assert.equal(await b.claim(action.action_id, "replica-b", 60_000), false);
    for (const s of [a, b])
      assert.deepEqual(
        (await s.due(Date.now())).map((x) => x.action_id),
        [orphan.action_id],
        "the reverted action is no longer due",
      );
  });

  test("concurrent reverts from two replicas are all applied, and a success stays", async () => {
    const opts = bucketOptions();
    const a = await store(opts);
    const b = await store(opts);
    const action = undoAction(1, { revert_at: new Date(Date.now() - 1000).toISOString() });
    await a.put(action);
    const success = revertRecord(action, "success");
    await Promise.all([
      a.reverted(revertRecord(action, "failure")),
      b.reverted(success),
      a.reverted(revertRecord(action, "failure")),
      b.claim(action.action_id, "replica-b", 60_000),
    ]);
    assert.deepEqual((await a.get(action.action_id))?.revert, success);
    assert.deepEqual(await b.due(Date.now()), []);
  });

  test("actions survive closing the store and restarting nats-server", async () => {
    const own = await startNats();
    try {
      const opts = bucketOptions(own.url);
      const first = await KvUndoStore.open(opts);
      const kept = undoAction(1, { revert_at: new Date(Date.now() - 1000).toISOString() });
      const done = undoAction(2);
      await first.put(kept);
      await first.put(done);
      await first.reverted(revertRecord(kept, "failure"));
      await first.reverted(revertRecord(done, "success"));
      assert.equal(await first.claim(kept.action_id, "replica-a", 60_000), true);
      await first.close();

      await own.nodes[0]!.kill();
      await own.nodes[0]!.restart();
      // JetStream recovers its store from disk shortly after the port opens.
      let second: KvUndoStore | undefined;
      for (let i = 0; !second; i++) {
        second = await KvUndoStore.open(opts).catch((err: unknown) => {
          if (i >= 50) throw err;
          return undefined;
        });
        if (!second) await sleep(200);
      }
      try {
        const list = await second.list();
        assert.deepEqual(
          list.map((a) => [a.action_id, a.revert?.status]),
          [
            [kept.action_id, "failure"],
            [done.action_id, "success"],
          ],
        );
        assert.deepEqual(
          (await second.due(Date.now())).map((a) => a.action_id),
          [kept.action_id],
        );
        assert.equal(
          await second.claim(kept.action_id, "replica-b", 60_000),
          false,
          "the claim survived too",
        );
      } finally {
        await second.close();
      }
    } finally {
      await own.stop();
    }
  });

  test("an unreachable NATS or a bad bucket name is a clear error", async () => {
    const port = await freePort();
    await assert.rejects(
      KvUndoStore.open({ servers: [`nats://127.0.0.1:${port}`], bucket: "UNDO_X", connectTimeoutMs: 1000 }),
      new RegExp(`^Error: NATS undo bucket 'UNDO_X' \\(nats://127\\.0\\.0\\.1:${port}\\): .+`),
    );
    await assert.rejects(
      KvUndoStore.open({ servers: [nats.url], bucket: "UNDO.X" }),
      /NATS undo bucket 'UNDO.X' .*: the name may only contain/,
    );
    await assert.rejects(KvUndoStore.open({ servers: [], bucket: "UNDO_X" }), /no server given/);
  });

  test("a put to a closed store fails with the bucket named", async () => {
    const s = await KvUndoStore.open(bucketOptions());
    await s.close();
    await assert.rejects(s.put(undoAction(1)), /undo bucket 'UNDO\d+_\d+': put failed: /);
  });
});
