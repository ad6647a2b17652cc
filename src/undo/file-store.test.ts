/**
 * FileUndoStore rebuilt from an audit file written by AuditLog (as the engine writes it), and
 * held to the UndoStore contract MemoryUndoStore and KvUndoStore pass.
 */

import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import { undoStoreContract } from "../../test/support/nats.js";
import { stubActionnerInfo } from "../../test/support/pipeline.js";
import { AuditLog, type AuditRecord, replicaId } from "../audit/log.js";
import { configSchema } from "../config/schema.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { Actionner } from "../plugins/types.js";
import { actionId } from "./action.js";
import { FileUndoStore, reversibleFromEntry, revertFromEntry } from "./file-store.js";
import { Reverter } from "./reverter.js";

const dir = mkdtempSync(join(tmpdir(), "talon-undo-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `audit-${++files}.jsonl`);

const id = (n: number) => actionId(`ev-${n}`, "Terminal shell", "label the pod");

/** An action entry as the pipeline writes it (report.ts). */
function actionEntry(n: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: `2026-01-01T10:00:${String(n).padStart(2, "0")}.000Z`,
    message: "action",
    action_id: id(n),
    event_id: `ev-${n}`,
    trace_id: `trace-${n}`,
    rule: "Terminal shell",
    action: "label the pod",
    actionner: "kubernetes:label",
    target: `pod:default/web-${n}`,
    status: "success",
    objects: { namespace: "default", pod: `web-${n}` },
    undo: { labels: { quarantine: null } },
    ...extra,
  };
}

/** A revert entry as the reverter writes it. */
function revertEntry(n: number, status: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: "2026-01-01T12:00:00.000Z",
    message: "revert",
    action_id: id(n),
    event_id: `ev-${n}`,
    rule: "Terminal shell",
    action: "label the pod",
    actionner: "kubernetes:label",
    target: `pod:default/web-${n}`,
    status,
    trigger: "expiry",
    reverted: status === "success" ? ["label 'quarantine' removed"] : [],
    unchanged: ["x", 3 as unknown as string],
    conflicts: [],
    ...(status === "failure" ? { error: "pod not found" } : {}),
    ...extra,
  };
}

function write(file: string, records: AuditRecord[]): void {
  const log = new AuditLog(file);
  for (const r of records) log.record(r);
  log.close();
}

describe("FileUndoStore from an audit file", () => {
  it("keeps successful actions with an undo record and applies the revert entries", async () => {
    const file = freshFile();
    const revertAt = "2026-01-01T11:00:00.000Z";
    write(file, [
      actionEntry(1, { revert_at: revertAt }),
      actionEntry(2, { revert_at: revertAt }),
      actionEntry(3, { revert_at: revertAt }),
      actionEntry(4),
      // Not reversible actions: no undo record, a failure, an output step, a dry run.
      actionEntry(5, { undo: undefined }),
      actionEntry(6, { status: "failure", error: "boom" }),
      actionEntry(7, { message: "output", output_target: "local:file" }),
      actionEntry(8, { status: "ignored", reason: "dry_run", undo: undefined }),
      revertEntry(1, "success"),
      revertEntry(2, "failure"),
      revertEntry(3, "success", { reason: "dry_run" }),
      revertEntry(4, "conflict", { trigger: "manual", conflicts: ["changed since"] }),
      // A revert of an action the trail does not hold changes nothing.
      revertEntry(9, "success"),
    ]);
    const store = await FileUndoStore.open(file);
    assert.equal(store.malformed, 0);
    const list = await store.list();
    assert.deepEqual(
      list.map((a) => a.action_id),
      [id(1), id(2), id(3), id(4)],
    );

    const first = await store.get(id(1));
    assert.deepEqual(
      { ...first, revert: undefined },
      {
        action_id: id(1),
        time: "2026-01-01T10:00:01.000Z",
        replica: replicaId(),
        event_id: "ev-1",
        trace_id: "trace-1",
        rule: "Terminal shell",
        action: "label the pod",
        actionner: "kubernetes:label",
        target: "pod:default/web-1",
        objects: { namespace: "default", pod: "web-1" },
        undo: { labels: { quarantine: null } },
        revert_at: revertAt,
        revert: undefined,
      },
    );
    assert.deepEqual(first?.revert, {
      action_id: id(1),
      time: "2026-01-01T12:00:00.000Z",
      trigger: "expiry",
      replica: replicaId(),
      status: "success",
      reverted: ["label 'quarantine' removed"],
      unchanged: ["x"],
      conflicts: [],
    });
    const failed = (await store.get(id(2)))?.revert;
    assert.equal(failed?.status, "failure");
    assert.equal(failed?.error, "pod not found");
    assert.equal((await store.get(id(3)))?.revert, undefined, "a dry run is not a revert");
    assert.equal((await store.get(id(4)))?.revert?.status, "conflict");
    assert.equal((await store.get(id(4)))?.revert?.trigger, "manual");
    assert.equal((await store.get(id(4)))?.revert_at, undefined);

    // The failed revert stays due (retried), the dry-run one too; the success has settled.
    const due = await store.due(Date.parse(revertAt));
    assert.deepEqual(due.map((a) => a.action_id).sort(), [id(2), id(3)].sort());
  });

  it("counts and skips torn and malformed lines", async () => {
    const file = freshFile();
    write(file, [actionEntry(1)]);
    appendFileSync(file, '{"message":"action", "action_id": \n');
    appendFileSync(file, "\n   \n");
    appendFileSync(file, "not json at all\n");
    // Valid JSON that is not a usable entry: skipped, not counted.
    appendFileSync(file, 'null\n[1,2]\n{"message":"action","action_id":"../x"}\n');
    write(file, [actionEntry(2)]);
    // A crash mid-write tears the last line.
    appendFileSync(file, JSON.stringify(actionEntry(3)).slice(0, 40));
    const store = await FileUndoStore.open(file);
    assert.equal(store.malformed, 3);
    assert.deepEqual(
      (await store.list()).map((a) => a.action_id),
      [id(1), id(2)],
    );
  });

  it("a missing file is an empty trail", async () => {
    const store = await FileUndoStore.open(join(dir, "missing", "audit.jsonl"));
    assert.deepEqual(await store.list(), []);
    assert.equal(store.malformed, 0);
  });

  it("an unreadable file is an error", async () => {
    await assert.rejects(FileUndoStore.open(dir), /audit file '.*' cannot be read/);
  });

  it("keeps the first record of an action id written twice", async () => {
    const file = freshFile();
    write(file, [
      actionEntry(1, { undo: { labels: { quarantine: null } } }),
      // The same event redelivered: its rerun found the label already set.
      actionEntry(1, { time: "2026-01-01T10:05:00.000Z", undo: { labels: {} } }),
    ]);
    const store = await FileUndoStore.open(file);
    const list = await store.list();
    assert.equal(list.length, 1);
    assert.equal(list[0]!.time, "2026-01-01T10:00:01.000Z");
    assert.deepEqual(list[0]!.undo, { labels: { quarantine: null } });
  });

  it("reads back the revert entries the reverter writes, across a restart", async () => {
    const file = freshFile();
    write(file, [actionEntry(1, { actionner: "tests:label", revert_at: "2026-01-01T11:00:00.000Z" })]);
    const actionner: Actionner = {
      info: stubActionnerInfo("label"),
      parameters: z.object({}),
      checks: async () => {},
      run: async () => ({ status: "success", objects: {} }),
      reversible: {
        record: z.object({ labels: z.record(z.string(), z.null()) }),
        revert: async () => ({
          status: "success",
          reverted: ["label 'quarantine' removed"],
          unchanged: [],
          conflicts: [],
          objects: { namespace: "default", pod: "web-1" },
        }),
      },
    };
    const plugins: PluginLookup = {
      findActionner: (n) => (n === "tests:label" ? actionner : undefined),
      findOutput: () => undefined,
      findNotifier: () => undefined,
      findContext: () => undefined,
    };
    const store = await FileUndoStore.open(file);
    const audit = new AuditLog(file);
    const reverter = new Reverter({
      config: configSchema.parse({}),
      logger: pino({ level: "silent" }),
      store,
      plugins,
      kube: async () => {
        throw new Error("no cluster in unit tests");
      },
      audit,
      replica: "test:1",
    });
    await reverter.revert(id(1), { trigger: "manual", dryRun: true });
    await reverter.revert(id(1), { trigger: "expiry" });
    audit.close();

    const reopened = await FileUndoStore.open(file);
    const a = await reopened.get(id(1));
    assert.equal(a?.revert?.status, "success");
    assert.equal(a?.revert?.trigger, "expiry");
    assert.deepEqual(a?.revert?.reverted, ["label 'quarantine' removed"]);
    assert.deepEqual(await reopened.due(Date.now()), [], "the expiry is over after a restart");
  });
});

describe("reversibleFromEntry and revertFromEntry", () => {
  const entry = (r: AuditRecord) => ({ replica: "h:1", time: r.time ?? "", ...r });

  it("drop a revert_at that is not a time, and non-object undo records", () => {
    const a = reversibleFromEntry(entry(actionEntry(1, { revert_at: "soon" })));
    assert.ok(a);
    assert.equal("revert_at" in a, false);
    assert.equal(reversibleFromEntry(entry(actionEntry(1, { undo: [] as never }))), undefined);
    assert.equal(reversibleFromEntry(entry(actionEntry(1, { action_id: undefined }))), undefined);
  });

  it("read only settled statuses, and manual unless the trigger says expiry", () => {
    assert.equal(revertFromEntry(entry(revertEntry(1, "ignored"))), undefined);
    assert.equal(revertFromEntry(entry(actionEntry(1))), undefined);
    assert.equal(revertFromEntry(entry(revertEntry(1, "success", { trigger: "cron" })))?.trigger, "manual");
  });
});

describe("FileUndoStore holds to the UndoStore contract", () => {
  undoStoreContract(async () => FileUndoStore.open(freshFile()));
});
