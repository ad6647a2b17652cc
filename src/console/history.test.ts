import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type AuditEntry, auditLine } from "../audit/log.js";
import { JsonNumber } from "../events/event.js";
import { stringifyJsonExact } from "../events/json.js";
import { foldEntries } from "./fold.js";
import { cachedReader, fileAuditReader, knownEvents, page } from "./history.js";

const base = { replica: "h:1", target: "pod:ns/web", actionner: "kubernetes:label" };
const entries: AuditEntry[] = [
  {
    ...base,
    time: "2026-01-02T10:00:00.000Z",
    message: "event",
    event_id: "e1",
    trace_id: "t1",
    rule: "Label",
    action: "",
    actionner: "",
    status: "matched",
    event: {
      output: "shell",
      priority: "Warning",
      rule: "Shell",
      hostname: "n1",
      time: "",
      source: "syscall",
      output_fields: { "k8s.ns.name": "ns" },
      tags: [],
    },
    rules: ["Label"],
  },
  {
    ...base,
    time: "2026-01-02T10:00:01.000Z",
    message: "action",
    action_id: "a1",
    event_id: "e1",
    rule: "Label",
    action: "mark",
    status: "success",
    undo: { labels: {} },
  },
  {
    ...base,
    time: "2026-01-02T10:00:02.000Z",
    message: "output",
    action_id: "a1",
    event_id: "e1",
    rule: "Label",
    action: "mark",
    output_target: "local:file",
    status: "success",
    objects: { file: "x", destination: "/var/out/2026_x" },
  },
  {
    ...base,
    time: "2026-01-02T10:05:00.000Z",
    message: "revert",
    action_id: "a1",
    event_id: "e1",
    rule: "Label",
    action: "mark",
    status: "success",
    trigger: "expiry",
  },
  // An entry from before event entries existed: the event is known by its actions only.
  {
    ...base,
    time: "2026-01-02T09:00:00.000Z",
    message: "action",
    action_id: "a0",
    event_id: "e0",
    rule: "Old",
    action: "mark",
    status: "failure",
    error: "boom",
  },
];

describe("console history", () => {
  it("folds audit entries into events: the event, its rules, actions, outputs and reverts", () => {
    const events = foldEntries(entries);
    const e1 = events.get("e1")!;
    assert.equal(e1.received_at, "2026-01-02T10:00:00.000Z");
    assert.equal(e1.trace_id, "t1");
    assert.equal(e1.event.rule, "Shell");
    assert.deepEqual(e1.matches, [{ rule: "Label", reasons: [] }]);
    assert.equal(e1.actions.length, 1);
    const a = e1.actions[0]!;
    assert.equal(a.reversible, true);
    assert.deepEqual(a.outputs, [
      {
        target: "local:file",
        status: "success",
        objects: { file: "x", destination: "/var/out/2026_x" },
        download: "/ui/api/artifacts/a1/2026_x",
      },
    ]);
    assert.deepEqual(a.reverted, { time: "2026-01-02T10:05:00.000Z", trigger: "expiry", status: "success" });
    const e0 = events.get("e0")!;
    assert.deepEqual(e0.matches, [{ rule: "Old", reasons: [] }]);
    assert.equal(e0.actions[0]!.error, "boom");
  });

  it("pages newest first with a cursor, the live buffer over the trail", async () => {
    const live = foldEntries(entries).get("e1")!;
    const known = await knownEvents([{ ...live, replica: "live:2" }], {
      read: async () => entries,
    });
    assert.equal(known.get("e1")!.replica, "live:2");
    // A revert the live buffer has not heard of (another replica's) comes from the trail.
    const unreverted = { ...live, actions: live.actions.map(({ reverted: _, ...a }) => a) };
    const merged = await knownEvents([unreverted], { read: async () => entries });
    assert.equal(merged.get("e1")!.actions[0]!.reverted?.trigger, "expiry");
    assert.equal("reverted" in unreverted.actions[0]!, false, "the live view is not changed");
    const first = page(known.values(), {}, 1);
    assert.deepEqual(
      first.events.map((e) => e.id),
      ["e1"],
    );
    assert.ok(first.next);
    const second = page(known.values(), {}, 1, first.next);
    assert.deepEqual(
      second.events.map((e) => e.id),
      ["e0"],
    );
    assert.equal(second.next, undefined);
    assert.deepEqual(
      page(known.values(), { rule: "Old" }, 10).events.map((e) => e.id),
      ["e0"],
    );
  });

  it("reads the tail of the audit file, skipping torn lines", async () => {
    const dir = await mkdtemp(join(tmpdir(), "history-"));
    try {
      const file = join(dir, "audit.jsonl");
      const lines = entries.map((e) => JSON.stringify(e));
      await writeFile(file, `${lines.join("\n")}\n{"torn`);
      assert.equal((await fileAuditReader(file).read()).length, entries.length);
      const big = join(dir, "big.jsonl");
      await writeFile(
        big,
        `${auditLine({ ...entries[0]!, event: { ...entries[0]!.event!, output_fields: { n: new JsonNumber("1795435200123456789") } } })}\n`,
      );
      const [read] = await fileAuditReader(big).read();
      assert.match(stringifyJsonExact(read), /"n":1795435200123456789\}/, "read back exact");
      const since = await fileAuditReader(file).read(Date.parse("2026-01-02T10:00:01.000Z"));
      assert.deepEqual(
        since.map((e) => e.message),
        ["action", "output", "revert"],
      );
      // A tail shorter than the file: the cut first line is dropped, the rest read.
      const tail = Buffer.byteLength(`${lines.slice(-1).join("\n")}\n{"torn`) + 5;
      assert.deepEqual(
        (await fileAuditReader(file, tail).read()).map((e) => e.event_id),
        ["e0"],
      );
      let reads = 0;
      const cached = cachedReader(
        {
          read: async () => {
            reads++;
            return [];
          },
        },
        60_000,
      );
      await cached.read();
      await cached.read();
      assert.equal(reads, 1);
      await cached.read(120_001);
      await cached.read(179_999);
      assert.equal(reads, 2, "times within a minute share a read");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
