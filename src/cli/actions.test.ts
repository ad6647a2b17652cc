/**
 * `falco-talon actions list` and the printing of `falco-talon revert`: the table, JSON lines
 * and filters over a MemoryUndoStore, and the revert lines and exit codes per outcome.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { revertRecord, undoAction } from "../../test/support/nats.js";
import type { RevertResult } from "../plugins/types.js";
import type { StoredAction } from "../undo/action.js";
import { MemoryUndoStore } from "../undo/store.js";
import { actionState, printRevert, runActionsList } from "./actions.js";

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR = 3_600_000;

async function store() {
  const s = new MemoryUndoStore();
  const old = undoAction(1, { time: ago(48 * HOUR) });
  const reverted = undoAction(2, { time: ago(3 * HOUR) });
  const pending = undoAction(3, { time: ago(2 * HOUR), revert_at: "2030-01-01T00:00:00.000Z" });
  const other = undoAction(4, { time: ago(HOUR), rule: "Crypto miner", action: "cordon", target: "node:n1" });
  // Put out of order: the list is oldest first whatever the store gives.
  for (const a of [other, pending, reverted, old]) await s.put(a);
  await s.reverted({
    ...revertRecord(reverted, "success"),
    trigger: "manual",
    time: "2026-01-01T12:00:00.000Z",
  });
  await s.reverted(revertRecord(pending, "failure"));
  return { s, old, reverted, pending, other };
}

async function list(s: MemoryUndoStore, opts: Parameters<typeof runActionsList>[1]) {
  const lines: string[] = [];
  const code = await runActionsList(s, opts, (l) => lines.push(l));
  return { code, lines };
}

describe("actions list", () => {
  it("prints an aligned table, oldest first, with the revert state", async () => {
    const { s, old, reverted, pending, other } = await store();
    const { code, lines } = await list(s, {});
    assert.equal(code, 0);
    assert.equal(lines.length, 5);
    assert.match(lines[0]!, /^ID {20}TIME +RULE +ACTION +ACTIONNER +TARGET +STATE$/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/)[0]),
      [old, reverted, pending, other].map((a) => a.action_id),
    );
    // Every column starts at the header's offset.
    for (const col of ["TIME", "RULE", "TARGET", "STATE"]) {
      const at = lines[0]!.indexOf(col);
      for (const l of lines.slice(1)) assert.equal(l[at - 1], " ", `${col} in ${l}`);
      for (const l of lines.slice(1)) assert.notEqual(l[at], " ", `${col} in ${l}`);
    }
    assert.match(lines[1]!, /reversible$/);
    assert.match(lines[2]!, /reverted 2026-01-01T12:00:00.000Z \(manual\)$/);
    assert.match(lines[3]!, /last revert failure; reverts at 2030-01-01T00:00:00.000Z$/);
    assert.match(lines[4]!, /Crypto miner +cordon +kubernetes:label +node:n1 +reversible$/);
  });

  it("prints only the header when nothing is kept", async () => {
    const { code, lines } = await list(new MemoryUndoStore(), {});
    assert.equal(code, 0);
    assert.deepEqual(lines, ["ID  TIME  RULE  ACTION  ACTIONNER  TARGET  STATE"]);
  });

  it("--json prints one stored action per line", async () => {
    const { s, reverted } = await store();
    const { code, lines } = await list(s, { json: true });
    assert.equal(code, 0);
    assert.equal(lines.length, 4);
    const parsed = lines.map((l) => JSON.parse(l) as StoredAction);
    assert.deepEqual(parsed[1], await s.get(reverted.action_id));
  });

  it("--reversible hides reverted actions; --rule and --since filter", async () => {
    const { s, old, reverted, pending, other } = await store();
    const ids = async (opts: Parameters<typeof runActionsList>[1]) =>
      (await list(s, { ...opts, json: true })).lines.map((l) => (JSON.parse(l) as StoredAction).action_id);
    assert.deepEqual(
      await ids({ reversible: true }),
      [old, pending, other].map((a) => a.action_id),
    );
    assert.deepEqual(await ids({ rule: "Crypto miner" }), [other.action_id]);
    assert.deepEqual(await ids({ rule: "nope" }), []);
    assert.deepEqual(
      await ids({ since: "150m" }),
      [pending, other].map((a) => a.action_id),
    );
    assert.deepEqual(
      await ids({ since: ago(24 * HOUR) }),
      [reverted, pending, other].map((a) => a.action_id),
    );
    assert.deepEqual(await ids({ since: "4h", reversible: true, rule: "Terminal shell" }), [
      pending.action_id,
    ]);
    assert.equal((await ids({ since: "" })).length, 4, "an empty --since is no filter");
  });

  it("a bad --since is exit code 2 with an error line", async () => {
    const { s } = await store();
    const { code, lines } = await list(s, { since: "yesterday" });
    assert.equal(code, 2);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^error: invalid --since 'yesterday'/);
  });

  it("actionState", () => {
    const a = undoAction(1);
    assert.equal(actionState(a), "reversible");
    assert.equal(
      actionState({ ...a, revert_at: "2030-01-01T00:00:00.000Z" }),
      "reverts at 2030-01-01T00:00:00.000Z",
    );
    assert.equal(
      actionState({ ...a, revert: { ...revertRecord(a, "conflict"), time: "t" } }),
      "last revert conflict; reversible",
    );
    assert.equal(
      actionState({ ...a, revert: { ...revertRecord(a, "success"), time: "t", trigger: "expiry" } }),
      "reverted t (expiry)",
    );
  });
});

describe("printRevert", () => {
  const action = undoAction(1);
  const result = (over: Partial<RevertResult>): RevertResult => ({
    status: "success",
    reverted: [],
    unchanged: [],
    conflicts: [],
    objects: {},
    ...over,
  });
  const print = (outcome: Parameters<typeof printRevert>[0]) => {
    const lines: string[] = [];
    const code = printRevert(outcome, (l) => lines.push(l));
    return { code, lines };
  };
  const head = `action ${action.action_id} (Terminal shell / label the pod, kubernetes:label on pod:default/web-1)`;

  it("0 for a success, with the reverted and unchanged parts", () => {
    const r = print({
      kind: "reverted",
      action,
      dryRun: false,
      result: result({ reverted: ["label 'quarantine' removed"], unchanged: ["label 'app' as before"] }),
    });
    assert.equal(r.code, 0);
    assert.deepEqual(r.lines, [
      `${head}: success`,
      "  reverted: label 'quarantine' removed",
      "  unchanged: label 'app' as before",
    ]);
  });

  it("0 for a dry run, whose lines say would", () => {
    const r = print({
      kind: "reverted",
      action,
      dryRun: true,
      result: result({ reverted: ["label 'quarantine' removed"] }),
    });
    assert.equal(r.code, 0);
    assert.deepEqual(r.lines, [`dry run: ${head}: success`, "  would revert: label 'quarantine' removed"]);
  });

  it("0 when already reverted, with nothing done", () => {
    const done: StoredAction = {
      ...action,
      revert: { ...revertRecord(action, "success"), time: "2026-01-01T12:00:00.000Z" },
    };
    const r = print({ kind: "already_reverted", action: done, result: result({}) });
    assert.equal(r.code, 0);
    assert.deepEqual(r.lines, [
      `action ${action.action_id} (Terminal shell / label the pod): already reverted at 2026-01-01T12:00:00.000Z, nothing to do`,
    ]);
  });

  it("1 for a failure, with its error", () => {
    const r = print({
      kind: "reverted",
      action,
      dryRun: false,
      result: result({ status: "failure", error: 'pods "web-1" is forbidden' }),
    });
    assert.equal(r.code, 1);
    assert.deepEqual(r.lines, [`${head}: failure`, '  error: pods "web-1" is forbidden']);
  });

  it("2 for an invalid id", () => {
    const r = print({ kind: "invalid_id", message: "invalid action id 'x': expected 20 hex characters" });
    assert.equal(r.code, 2);
    assert.deepEqual(r.lines, ["error: invalid action id 'x': expected 20 hex characters"]);
  });

  it("3 for a conflict, with what was left alone", () => {
    const r = print({
      kind: "reverted",
      action,
      dryRun: false,
      result: result({
        status: "conflict",
        reverted: ["annotation 'a' removed"],
        conflicts: ["label 'quarantine' changed since to 'no'"],
      }),
    });
    assert.equal(r.code, 3);
    assert.deepEqual(r.lines, [
      `${head}: conflict`,
      "  reverted: annotation 'a' removed",
      "  left alone: label 'quarantine' changed since to 'no'",
    ]);
  });

  it("5 while another revert of it is under way", () => {
    const r = print({ kind: "busy", action, message: "a revert is under way" });
    assert.equal(r.code, 5);
    assert.deepEqual(r.lines, ["error: a revert is under way"]);
  });

  it("4 for an unknown id", () => {
    const r = print({ kind: "not_found", message: `no reversible action '${action.action_id}'` });
    assert.equal(r.code, 4);
    assert.deepEqual(r.lines, [`error: no reversible action '${action.action_id}'`]);
  });
});
