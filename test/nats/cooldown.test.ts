/**
 * Cooldowns shared by replicas through a JetStream KV bucket, against a real nats-server:
 * two queue instances are two replicas.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { JetStreamEventQueue } from "../../src/queue/jetstream.js";
import { type NatsCluster, startNats, testQueueReplica } from "../support/nats.js";

let nats: NatsCluster;
const open: JetStreamEventQueue[] = [];

before(async () => {
  nats = await startNats();
});
after(async () => {
  for (const q of open) await q.close().catch(() => {});
  await nats?.stop();
});

async function replica(stream: string) {
  const q = await testQueueReplica(nats.url, stream, { partitions: 2 });
  open.push(q);
  return q;
}

describe("JetStream cooldowns", () => {
  test("a cooldown started by one replica holds on the other, per key, and ends on time", async () => {
    const stream = `CD${process.pid}_1`;
    const a = (await replica(stream)).cooldowns();
    const b = (await replica(stream)).cooldowns();
    assert.equal(await a.claim("cooling\u0000pod:default/nginx", 60), undefined);
    assert.equal(await b.claim("cooling\u0000pod:default/nginx", 60), 60);
    assert.equal(await a.claim("cooling\u0000pod:default/nginx", 60), 60);
    assert.equal(await b.claim("cooling\u0000pod:default/redis", 60), undefined, "another target");
    assert.equal(await b.claim("other\u0000pod:default/nginx", 60), undefined, "another rule");

    assert.equal(await a.claim("short", 0.3), undefined);
    assert.equal(await b.claim("short", 0.3), 1);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await b.claim("short", 0.3), undefined, "a new cooldown once the last one ended");
  });

  test("concurrent claims from two replicas: exactly one starts the cooldown", async () => {
    const stream = `CD${process.pid}_2`;
    const stores = [(await replica(stream)).cooldowns(), (await replica(stream)).cooldowns()];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stores[i % 2]!.claim("race\u0000pod:default/web", 30)),
    );
    assert.equal(results.filter((r) => r === undefined).length, 1, JSON.stringify(results));
    assert.ok(results.every((r) => r === undefined || r === 30));
  });

  test("cooldowns survive a replica restart (they live in NATS, not in the process)", async () => {
    const stream = `CD${process.pid}_3`;
    const first = await replica(stream);
    assert.equal(await first.cooldowns().claim("k", 60), undefined);
    await first.close();
    const second = await replica(stream);
    assert.equal(await second.cooldowns().claim("k", 60), 60);
  });
});
