/**
 * The JetStream audit trail against a real nats-server: two JetStreamAuditLog sinks are two
 * replicas publishing to one stream; `falco-talon audit --nats` (runAuditList with `nats`)
 * lists them together, filtered, and the stream survives a nats-server restart.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runAuditList } from "../../src/audit/cli.js";
import { JetStreamAuditLog, type NatsAuditOptions } from "../../src/audit/jetstream.js";
import type { AuditEntry, AuditRecord } from "../../src/audit/log.js";
import { type NatsCluster, startNats } from "../support/nats.js";

let nats: NatsCluster;
let streams = 0;
const open: JetStreamAuditLog[] = [];
const errors: string[] = [];

before(async () => {
  nats = await startNats();
});
after(async () => {
  for (const s of open) await s.close(1000).catch(() => {});
  await nats?.stop();
});

function streamOptions(): NatsAuditOptions {
  return { servers: [nats.url], stream: `AUDIT${process.pid}_${++streams}` };
}

async function sink(opts: NatsAuditOptions, replica: string): Promise<JetStreamAuditLog> {
  const s = await JetStreamAuditLog.connect({
    ...opts,
    replica,
    retryMs: 100,
    onError: (e) => errors.push(e),
  });
  open.push(s);
  return s;
}

function rec(time: string, rule: string, status: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time,
    message: "action",
    event_id: `ev-${time}`,
    rule,
    action: `${rule} action`,
    actionner: "kubernetes:terminate",
    target: "pod:default/web-1",
    status,
    ...extra,
  };
}

async function list(opts: NatsAuditOptions, filters: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const code = await runAuditList({ file: "", nats: opts, json: true, ...filters }, (l) => lines.push(l));
  return { code, lines, entries: code === 0 ? lines.map((l) => JSON.parse(l) as AuditEntry) : [] };
}

/** Two replicas, publishing out of time order between them. */
async function recordTwoReplicas(opts: NatsAuditOptions) {
  const a = await sink(opts, "replica-a");
  const b = await sink(opts, "replica-b");
  a.record(rec("2026-01-01T10:00:00.000Z", "Terminal shell", "success"));
  a.record(rec("2026-01-01T10:00:03.000Z", "Terminal shell", "failure", { error: "pod not found" }));
  b.record(rec("2026-01-01T10:00:01.000Z", "Crypto miner", "success"));
  b.record(rec("2026-01-01T10:00:02.000Z", "Terminal shell", "ignored", { reason: "cooldown" }));
  a.record(
    rec("2026-01-01T10:00:05.000Z", "Crypto miner", "success", {
      message: "output",
      output_target: "aws:s3",
    }),
  );
  b.record(rec("2026-01-01T10:00:04.000Z", "Crypto miner", "failure", { error: "timeout" }));
  await Promise.all([a.flushed(), b.flushed()]);
  assert.equal(a.published + b.published, 6);
  return { a, b };
}

describe("JetStream audit trail", () => {
  test("entries of two replicas are all listed, in time order, with their replica", async () => {
    const opts = streamOptions();
    await recordTwoReplicas(opts);
    const { code, entries, lines } = await list(opts);
    assert.equal(code, 0, lines.join("\n"));
    assert.deepEqual(
      entries.map((e) => [e.time.slice(17, 19), e.replica, e.rule, e.status]),
      [
        ["00", "replica-a", "Terminal shell", "success"],
        ["01", "replica-b", "Crypto miner", "success"],
        ["02", "replica-b", "Terminal shell", "ignored"],
        ["03", "replica-a", "Terminal shell", "failure"],
        ["04", "replica-b", "Crypto miner", "failure"],
        ["05", "replica-a", "Crypto miner", "success"],
      ],
    );
    assert.equal(entries[2]!.reason, "cooldown");
    assert.equal(entries[3]!.error, "pod not found");
    assert.equal(entries[5]!.output_target, "aws:s3");
    assert.equal("error" in entries[0]!, false, "empty optional fields are dropped");

    // The table output has the header and one row per entry.
    const table: string[] = [];
    assert.equal(await runAuditList({ file: "", nats: opts }, (l) => table.push(l)), 0);
    assert.match(table[0]!, /^TIME\s+RULE\s+ACTION/);
    assert.equal(table.length, 7);
    assert.match(table[6]!, /Crypto miner.*success \(output aws:s3\)/);
  });

  test("--rule, --status, --since and --limit filter the stream", async () => {
    const opts = streamOptions();
    await recordTwoReplicas(opts);
    const byRule = await list(opts, { rule: "Crypto miner" });
    assert.deepEqual(
      byRule.entries.map((e) => e.time.slice(17, 19)),
      ["01", "04", "05"],
    );
    const byStatus = await list(opts, { status: "FAILURE" });
    assert.deepEqual(
      byStatus.entries.map((e) => e.error),
      ["pod not found", "timeout"],
    );
    const both = await list(opts, { rule: "Terminal shell", status: "ignored" });
    assert.deepEqual(
      both.entries.map((e) => e.replica),
      ["replica-b"],
    );
    const since = await list(opts, { since: "2026-01-01T10:00:03Z" });
    assert.deepEqual(
      since.entries.map((e) => e.time.slice(17, 19)),
      ["03", "04", "05"],
    );
    const limited = await list(opts, { limit: 2 });
    assert.deepEqual(
      limited.entries.map((e) => e.time.slice(17, 19)),
      ["04", "05"],
    );
    const none = await list(opts, { rule: "No such rule" });
    assert.equal(none.code, 0);
    assert.deepEqual(none.entries, []);
  });

  test("a stream that does not exist is a clear error (exit 1); bad options exit 2", async () => {
    const missing = await list({ servers: [nats.url], stream: "NO_SUCH_AUDIT" });
    assert.equal(missing.code, 1);
    assert.match(missing.lines[0]!, /audit stream 'NO_SUCH_AUDIT' cannot be read/);
    const bad = await list(streamOptions(), { since: "yesterday" });
    assert.equal(bad.code, 2);
    await assert.rejects(
      JetStreamAuditLog.connect({ servers: [nats.url], stream: "bad.name" }),
      /may only contain letters/,
    );
  });

  test("the stream survives a nats-server restart; entries recorded while it is down are published after", async () => {
    const opts = streamOptions();
    const { a } = await recordTwoReplicas(opts);
    const node = nats.nodes[0]!;
    await node.kill("SIGKILL");
    // record never blocks nor throws while NATS is down: entries wait in the buffer.
    const started = Date.now();
    a.record(rec("2026-01-01T10:00:06.000Z", "Terminal shell", "success"));
    a.record(rec("2026-01-01T10:00:07.000Z", "Crypto miner", "failure", { error: "denied" }));
    assert.ok(Date.now() - started < 50);
    await node.restart();
    await a.flushed();
    const { code, entries, lines } = await list(opts);
    assert.equal(code, 0, lines.join("\n"));
    assert.deepEqual(
      entries.map((e) => e.time.slice(17, 19)),
      ["00", "01", "02", "03", "04", "05", "06", "07"],
    );
    // Retried publishes carry the same message id: nothing is stored twice.
    assert.equal(new Set(entries.map((e) => e.event_id)).size, 8);
  });

  test("close publishes what is buffered before disconnecting", async () => {
    const opts = streamOptions();
    const s = await sink(opts, "replica-c");
    for (let i = 0; i < 50; i++)
      s.record(rec(new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString(), "R", "success"));
    await s.close();
    const { entries } = await list(opts);
    assert.equal(entries.length, 50);
    s.record(rec("2026-01-03T00:00:00Z", "R", "success")); // after close: ignored, no throw
  });
});
