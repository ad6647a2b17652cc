/** The live feed, driven by a real Pipeline over stub plug-ins. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { event, harness } from "../../test/support/pipeline.js";
import { decodeEvent } from "../events/decode.js";
import { ConsoleFeed, type FeedSubscriber, type StreamKind } from "./feed.js";
import type { ConsoleEvent } from "./types.js";

function recorder(): FeedSubscriber & { got: [StreamKind, ConsoleEvent, string][]; skips: number[] } {
  const got: [StreamKind, ConsoleEvent, string][] = [];
  const skips: number[] = [];
  return {
    got,
    skips,
    send: (kind, ev, json) => got.push([kind, ev, json()]),
    skipped: (n) => skips.push(n),
  };
}

describe("console feed", () => {
  it("keeps each processed event with its matches (and why), actions, durations and notifications", async () => {
    const feed = new ConsoleFeed({ capacity: 10, replica: "test:1" });
    const h = harness(
      `
- rule: Label it
  match:
    rules: [Terminal shell in container]
    priority: ">=Warning"
  actions:
    - action: mark
      actionner: tests:label
- rule: Never
  match:
    priority: Critical
  actions:
    - action: t
      actionner: tests:terminate
`,
      {},
      { watcher: feed },
    );
    const e = event();
    await h.pipeline.accept(e);
    const other = event({ rule: "Something else", priority: "Debug" });
    await h.pipeline.accept(other);
    await h.done();
    assert.equal(feed.size, 2);
    const ev = feed.get(e.id)!;
    assert.equal(ev.replica, "test:1");
    assert.equal(ev.event.rule, "Terminal shell in container");
    assert.deepEqual(
      ev.matches.map((m) => [m.rule, m.origin]),
      [["Label it", "rules.yaml:2:3"]],
    );
    assert.deepEqual(ev.matches[0]!.reasons, [
      {
        criterion: "rules",
        expected: "Terminal shell in container",
        actual: "Terminal shell in container",
        held: true,
      },
      { criterion: "priority", expected: ">=Warning", actual: "Warning", held: true },
    ]);
    assert.equal(ev.actions.length, 1);
    const a = ev.actions[0]!;
    assert.equal(a.status, "success");
    assert.equal(a.actionner, "tests:label");
    assert.match(a.action_id ?? "", /^[0-9a-f]{20}$/);
    assert.equal(typeof a.duration_ms, "number");
    assert.deepEqual(a.notifications, [{ notifier: "recorder", status: "success" }]);
    assert.deepEqual(feed.get(other.id)!.matches, [], "an unmatched event is kept too");
    assert.deepEqual(
      feed.all().map((x) => x.id),
      [other.id, e.id],
      "newest first",
    );
  });

  it("records local:file outputs with a download link", async () => {
    const dir = await mkdtemp(join(tmpdir(), "feed-"));
    try {
      const feed = new ConsoleFeed({ capacity: 10, replica: "r" });
      const h = harness(
        `
- rule: c
  actions:
    - action: cap
      actionner: tests:capture
      output:
        target: local:file
        parameters: {destination: ${dir}}
`,
        {},
        { watcher: feed },
      );
      const e = event();
      await h.pipeline.accept(e);
      await h.done();
      const a = feed.get(e.id)!.actions[0]!;
      assert.equal(a.outputs.length, 1);
      const o = a.outputs[0]!;
      assert.equal(o.status, "success");
      assert.ok(o.objects.destination?.startsWith(`${dir}/`));
      assert.equal(
        o.download,
        `/ui/api/artifacts/${a.action_id}/${encodeURIComponent(o.objects.destination!.split("/").pop()!)}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("forgets the oldest past its capacity", () => {
    const feed = new ConsoleFeed({ capacity: 3, replica: "r" });
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const e = event();
      ids.push(e.id);
      feed.processed(e, []);
    }
    assert.deepEqual(
      feed.all().map((x) => x.id),
      ids.slice(2).reverse(),
    );
  });

  it("streams in batches, serialising each change once, and only while someone listens", () => {
    const feed = new ConsoleFeed({ capacity: 100, replica: "r", flushMs: 60_000 });
    feed.processed(event(), []);
    const a = recorder();
    const b = recorder();
    const stopA = feed.subscribe(a);
    feed.subscribe(b);
    const e = event();
    feed.processed(e, []);
    feed.attempt(e, {
      message: "action",
      action_id: "a1",
      event_id: e.id,
      rule: "r",
      action: "x",
      actionner: "tests:label",
      target: "t",
      status: "success",
    });
    feed.flush();
    assert.equal(a.got.length, 1, "an event and its update in one batch: one message");
    assert.equal(a.got[0]![0], "event");
    assert.equal(a.got[0]![1].actions.length, 1);
    assert.equal(a.got[0]![2], b.got[0]![2]);
    assert.deepEqual(JSON.parse(a.got[0]![2]), a.got[0]![1]);
    feed.reverted({
      message: "revert",
      action_id: "a1",
      event_id: e.id,
      rule: "r",
      action: "x",
      actionner: "tests:label",
      target: "t",
      status: "success",
      trigger: "manual",
    });
    feed.flush();
    assert.equal(a.got[1]![0], "update");
    assert.equal(a.got[1]![1].actions[0]!.reverted?.trigger, "manual");
    stopA();
    feed.processed(event(), []);
    feed.flush();
    assert.equal(a.got.length, 2, "an unsubscribed browser gets nothing more");
    assert.equal(b.got.length, 3);
  });

  it("streams numbers past JavaScript's precision as sent", () => {
    const feed = new ConsoleFeed({ capacity: 10, replica: "r", flushMs: 60_000 });
    const s = recorder();
    feed.subscribe(s);
    feed.processed(decodeEvent('{"rule":"x","output_fields":{"evt.rawtime":1795435200123456789}}'), []);
    feed.flush();
    assert.match(s.got[0]![2], /"evt.rawtime":1795435200123456789\}/);
  });

  it("skips the oldest changes past maxPending and says how many", () => {
    const feed = new ConsoleFeed({ capacity: 100, replica: "r", flushMs: 60_000, maxPending: 3 });
    const s = recorder();
    feed.subscribe(s);
    for (let i = 0; i < 5; i++) feed.processed(event(), []);
    feed.flush();
    assert.deepEqual(s.skips, [2]);
    assert.equal(s.got.length, 3);
  });
});
