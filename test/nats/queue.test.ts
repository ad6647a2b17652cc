/**
 * JetStreamEventQueue against a real nats-server: two queue instances are two replicas.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeEventValue } from "../../src/events/decode.js";
import type { FalcoEvent } from "../../src/events/event.js";
import { JsonNumber } from "../../src/events/event.js";
import { JetStreamEventQueue, type JetStreamQueueOptions, partitionOf } from "../../src/queue/jetstream.js";
import { targetKey } from "../../src/queue/target.js";
import { type NatsCluster, startNats, testQueueReplica } from "../support/nats.js";

let nats: NatsCluster;
let streams = 0;
const open: JetStreamEventQueue[] = [];

before(async () => {
  nats = await startNats();
});
after(async () => {
  for (const q of open) await q.close().catch(() => {});
  await nats?.stop();
});

/** A fresh stream per test, so tests sharing the server never see each other's events. */
function streamName(): string {
  return `T${process.pid}_${++streams}`;
}

async function replica(stream: string, extra: Partial<JetStreamQueueOptions> = {}) {
  const q = await testQueueReplica(nats.url, stream, extra);
  open.push(q);
  return q;
}

function event(output: string, pod?: string, extra: Record<string, unknown> = {}): FalcoEvent {
  return decodeEventValue({
    output,
    rule: "Test rule",
    priority: "Warning",
    hostname: "node-1",
    output_fields: pod ? { "k8s.pod.name": pod, "k8s.ns.name": "default", ...extra } : extra,
  });
}

function until(pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) resolve();
      else if (Date.now() > deadline) reject(new Error("condition not met in time"));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

const noError = (err: unknown) => {
  throw err;
};

describe("JetStreamEventQueue", () => {
  test("push resolves after the PubAck: the event is in the stream before any consumer runs", async () => {
    const stream = streamName();
    const a = await replica(stream);
    const e = event("exact numbers", "web-1", { "proc.pid": new JsonNumber("12345678901234567890") });
    assert.equal(await a.push(e), "queued");
    assert.equal(a.stats.published, 1);
    // No consumer started yet: a second replica that starts now finds the stored event.
    const b = await replica(stream);
    const seen: FalcoEvent[] = [];
    b.start(async (ev) => {
      seen.push(ev);
    }, noError);
    await until(() => seen.length === 1);
    const got = seen[0]!;
    assert.equal(got.id, e.id, "the intake id travels with the event");
    assert.equal(got.output, "exact numbers");
    assert.ok(got.output_fields["proc.pid"] instanceof JsonNumber);
    assert.equal(String(got.output_fields["proc.pid"]), "12345678901234567890");
    assert.equal(b.stats.handled, 1);
  });

  test("push fails, never resolves queued, when JetStream cannot store the event", async () => {
    const own = await startNats();
    try {
      const q = await JetStreamEventQueue.connect({
        servers: [own.url],
        stream: streamName(),
        partitions: 1,
        replicas: 1,
        ackWaitMs: 30_000,
        dedupWindowMs: 60_000,
        idempotencyTtlMs: 600_000,
        publishTimeoutMs: 500,
        publishAttempts: 2,
      });
      open.push(q);
      assert.equal(await q.push(event("stored", "p")), "queued");
      await own.nodes[0]!.kill();
      await assert.rejects(q.push(event("not stored", "p")), /event not stored in JetStream/);
      assert.equal(q.stats.published, 1);
    } finally {
      await own.stop();
    }
  });

  test("cross-replica dedup: the same event pushed to two replicas is handled once", async () => {
    const stream = streamName();
    const a = await replica(stream);
    const b = await replica(stream);
    const handled: string[] = [];
    const record = async (ev: FalcoEvent) => {
      handled.push(ev.output);
    };
    a.start(record, noError);
    b.start(record, noError);
    const results = await Promise.all([a.push(event("same alert", "p")), b.push(event("same alert", "p"))]);
    assert.deepEqual([...results].sort(), ["duplicate", "queued"]);
    assert.equal(a.stats.duplicates + b.stats.duplicates, 1);
    assert.equal(await a.push(event("other alert", "p")), "queued");
    await until(() => handled.length === 2);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(handled.sort(), ["other alert", "same alert"]);
  });

  test("a window of 0 turns deduplication off", async () => {
    const stream = streamName();
    const a = await replica(stream, { dedupWindowMs: 0 });
    assert.equal(await a.push(event("again", "p")), "queued");
    assert.equal(await a.push(event("again", "p")), "queued");
    const handled: string[] = [];
    a.start(async (ev) => {
      handled.push(ev.id);
    }, noError);
    await until(() => handled.length === 2);
    assert.equal(new Set(handled).size, 2);
  });

  test("at-least-once: a replica dying mid-action without acking → another replica handles it after ack_wait", async () => {
    const stream = streamName();
    const ackWaitMs = 1000;
    const a = await replica(stream, { ackWaitMs, partitions: 1 });
    const e = event("crash me", "victim");
    let releaseA!: () => void;
    const aStarted = new Promise<void>((startedA) => {
      a.start((ev) => {
        assert.equal(ev.id, e.id);
        startedA();
        return new Promise<void>((r) => {
          releaseA = r;
        });
      }, noError);
    });
    assert.equal(await a.push(e), "queued");
    await aStarted;
    // A is busy well past ack_wait: its working() heartbeats keep the message from moving.
    const b = await replica(stream, { ackWaitMs, partitions: 1 });
    const handledByB: string[] = [];
    b.start(async (ev) => {
      handledByB.push(ev.id);
    }, noError);
    await new Promise((r) => setTimeout(r, ackWaitMs * 2.5));
    assert.deepEqual(handledByB, [], "a live replica keeps its message while acting");
    const crashedAt = Date.now();
    await a.abort();
    await until(() => handledByB.length === 1);
    assert.deepEqual(handledByB, [e.id]);
    assert.ok(Date.now() - crashedAt >= ackWaitMs * 0.5, "redelivered after ack_wait, not at once");
    assert.equal(b.stats.redeliveries, 1);
    assert.equal(b.stats.takenOver, 1, "A's unfinished claim is taken over");
    releaseA(); // A's late completion cannot ack or mark anything: its connection is gone
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.stats.handled, 1);
  });

  test("idempotency: a redelivered event whose id is already done is skipped", async () => {
    const stream = streamName();
    const a = await replica(stream, { partitions: 1 });
    const e = event("done once", "p");
    let handledByA = 0;
    a.start(async () => {
      handledByA++;
    }, noError);
    assert.equal(await a.push(e), "queued");
    await until(() => handledByA === 1 && a.size === 0);
    await a.close();
    // What a redelivery after "done, then crashed before the ack" carries: the same stored
    // event, same id. Store it again (dedup off, so the stream takes it) and let B consume it.
    const b = await replica(stream, { partitions: 1, dedupWindowMs: 0 });
    const handledByB: string[] = [];
    b.start(async (ev) => {
      handledByB.push(ev.id);
    }, noError);
    assert.equal(await b.push(e), "queued");
    await until(() => b.stats.alreadyDone === 1);
    assert.deepEqual(handledByB, [], "not acted on twice");
    assert.equal(b.stats.handled, 0);
    // A new event (new id) still runs.
    await b.push(event("another", "p"));
    await until(() => handledByB.length === 1);
  });

  test("per-target order across two replicas", async () => {
    const stream = streamName();
    const a = await replica(stream, { partitions: 3 });
    const b = await replica(stream, { partitions: 3 });
    const targets = ["pod-a", "pod-b", "pod-c", "pod-d", "pod-e"];
    const perTarget = 20;
    const order = new Map<string, number[]>();
    const byReplica = { a: 0, b: 0 };
    const running = new Set<string>();
    let overlap = false;
    const handler = (who: "a" | "b") => async (ev: FalcoEvent) => {
      const pod = String(ev.output_fields["k8s.pod.name"]);
      if (running.has(pod)) overlap = true;
      running.add(pod);
      await new Promise((r) => setTimeout(r, Math.random() * 8));
      const seq = Number(ev.output_fields.seq);
      order.set(pod, [...(order.get(pod) ?? []), seq]);
      byReplica[who]++;
      running.delete(pod);
    };
    a.start(handler("a"), noError);
    b.start(handler("b"), noError);
    // Arrival order: pushed one after the other, alternating between the replicas.
    for (let i = 0; i < perTarget; i++) {
      for (const [j, pod] of targets.entries()) {
        const via = (i + j) % 2 === 0 ? a : b;
        assert.equal(await via.push(event(`evt ${pod} ${i}`, pod, { seq: i })), "queued");
      }
    }
    await until(() => byReplica.a + byReplica.b === targets.length * perTarget, 30_000);
    const expected = Array.from({ length: perTarget }, (_, i) => i);
    for (const pod of targets) assert.deepEqual(order.get(pod), expected, `order of ${pod}`);
    assert.equal(overlap, false, "one event per target at a time");
    assert.ok(byReplica.a > 0 && byReplica.b > 0, `both replicas worked: ${JSON.stringify(byReplica)}`);
    // Targets landing in the same partition is what serialises them: the hash is stable.
    for (const pod of targets) {
      const key = targetKey(event("x", pod));
      assert.equal(partitionOf(key, 3), partitionOf(key, 3));
    }
  });

  test("drain stops taking messages and waits for the ones in hand; the rest stays stored", async () => {
    const stream = streamName();
    const a = await replica(stream, { partitions: 1 });
    let finished = 0;
    a.start(async () => {
      await new Promise((r) => setTimeout(r, 200));
      finished++;
    }, noError);
    for (let i = 0; i < 5; i++) await a.push(event(`drain ${i}`, "d"));
    await until(() => a.size > 0);
    assert.equal(await a.drain(5000), true);
    assert.equal(a.size, 0);
    const done = finished;
    assert.ok(done >= 1 && done < 5, `handled ${done} before drain`);
    await a.close();
    const b = await replica(stream, { partitions: 1 });
    b.start(async () => {
      finished++;
    }, noError);
    await until(() => finished === 5);
  });
});
