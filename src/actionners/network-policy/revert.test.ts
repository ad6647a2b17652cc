import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import {
  labelsToRestore,
  type PolicyClient,
  type PolicyState,
  type PolicyUndo,
  policyUndo,
  policyUndoRecord,
  revertPolicy,
} from "./revert.js";

const record = policyUndoRecord("cilium.io/v2", "CiliumNetworkPolicy");
const header = { apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", namespace: "prod", name: "web" };
const ours = { deny: ["10.1.2.3/32"] };
const theirs = { deny: ["192.0.2.1/32"] };
const managed = { app: "web", "app.kubernetes.io/managed-by": "falco-talon" };
const created: PolicyUndo = record.parse({
  ...header,
  created: true,
  written: { uid: "u1", resourceVersion: "12", spec: ours, labels: managed },
});
const replaced: PolicyUndo = record.parse({
  ...header,
  created: false,
  previous: { spec: theirs, labels: { app: "web", team: "a" } },
  written: { uid: "u1", resourceVersion: "12", spec: ours, labels: { ...managed, team: "a" } },
});
const text = "the CiliumNetworkPolicy (cilium.io/v2) 'web' in the namespace 'prod'";
const objects = { namespace: "prod", ciliumnetworkpolicy: "web" };

/** A policy store in memory: `reads` are served in order (the last one repeats). */
function fakeClient(reads: (PolicyState | undefined)[], fail?: { delete?: unknown; restore?: unknown }) {
  const calls: string[] = [];
  let i = 0;
  const client: PolicyClient<PolicyState> = {
    async read() {
      calls.push("read");
      const r = reads[Math.min(i++, reads.length - 1)];
      if (r instanceof Error) throw r;
      return r;
    },
    state: (s) => s,
    async delete(pre) {
      calls.push(`delete uid=${pre.uid} rv=${pre.resourceVersion}`);
      if (fail?.delete) throw fail.delete;
    },
    async restore(current, spec, labels) {
      calls.push(`restore rv=${current.resourceVersion} ${JSON.stringify(spec)} ${JSON.stringify(labels)}`);
      if (fail?.restore) throw fail.restore;
    },
  };
  return { client, calls };
}
const revert = (undo: PolicyUndo, client: PolicyClient<PolicyState>, dryRun = false) =>
  revertPolicy(undo, client, { dryRun, text, objects });
const state = (s: Partial<PolicyState>): PolicyState => ({
  uid: "u1",
  resourceVersion: "12",
  spec: ours,
  labels: managed,
  ...s,
});
const conflict = () => new ApiException(409, "Conflict", {}, {});

describe("revertPolicy, for a policy the action created", () => {
  it("deletes it, guarded by its uid and resourceVersion, when it is as written", async () => {
    const { client, calls } = fakeClient([state({})]);
    assert.deepEqual(await revert(created, client), {
      status: "success",
      reverted: [`${text}, created by the action, has been deleted`],
      unchanged: [],
      conflicts: [],
      objects,
    });
    assert.deepEqual(calls, ["read", "delete uid=u1 rv=12"]);
  });

  it("a metadata-only change since: same spec, so it is still the action's (deleted at its new resourceVersion)", async () => {
    const { client, calls } = fakeClient([state({ resourceVersion: "13", labels: { other: "x" } })]);
    assert.equal((await revert(created, client)).status, "success");
    assert.deepEqual(calls, ["read", "delete uid=u1 rv=13"]);
  });

  it("already gone: unchanged, and nothing is written", async () => {
    const { client, calls } = fakeClient([undefined]);
    const r = await revert(created, client);
    assert.equal(r.status, "success");
    assert.deepEqual(r.unchanged, [`${text} is already gone`]);
    assert.deepEqual(calls, ["read"]);
  });

  it("changed since (another spec, e.g. a later event's deny): left alone as a conflict", async () => {
    const { client, calls } = fakeClient([state({ resourceVersion: "15", spec: theirs })]);
    const r = await revert(created, client);
    assert.equal(r.status, "conflict");
    assert.deepEqual(r.conflicts, [
      `${text} was changed since the action (resourceVersion 12 → 15): left alone`,
    ]);
    assert.deepEqual(calls, ["read"]);
  });

  it("deleted and created again since: another uid, left alone", async () => {
    const { client } = fakeClient([state({ uid: "u2" })]);
    const r = await revert(created, client);
    assert.deepEqual(r.conflicts, [
      `${text} was deleted and created again since the action (uid u1 → u2): left alone`,
    ]);
  });

  it("a delete that loses a race (409) reads again: changed meanwhile is a conflict, gone is unchanged", async () => {
    let f = fakeClient([state({}), state({ resourceVersion: "16", spec: theirs })], { delete: conflict() });
    let r = await revert(created, f.client);
    assert.equal(r.status, "conflict");
    assert.deepEqual(f.calls, ["read", "delete uid=u1 rv=12", "read"]);
    f = fakeClient([state({}), undefined], { delete: new ApiException(404, "Not Found", {}, {}) });
    r = await revert(created, f.client);
    assert.equal(r.status, "success");
    assert.deepEqual(r.unchanged, [`${text} is already gone`]);
  });

  it("dry run: the same read, no write, a 'would' line", async () => {
    const { client, calls } = fakeClient([state({})]);
    const r = await revert(created, client, true);
    assert.deepEqual(r.reverted, [`would delete ${text}, created by the action`]);
    assert.deepEqual(calls, ["read"]);
  });

  it("a failed request is a failure result, never a throw", async () => {
    const { client } = fakeClient([
      new ApiException(403, "Forbidden", { message: "forbidden: no" }, {}) as never,
    ]);
    assert.deepEqual(await revert(created, client), {
      status: "failure",
      reverted: [],
      unchanged: [],
      conflicts: [],
      error: "forbidden: no",
      objects,
    });
    const d = fakeClient([state({})], { delete: new Error("boom") });
    assert.equal((await revert(created, d.client)).error, "boom");
  });
});

describe("revertPolicy, for a policy the action replaced", () => {
  it("puts the previous spec back and the labels the action set", async () => {
    const { client, calls } = fakeClient([state({ labels: { ...managed, team: "a" } })]);
    const r = await revert(replaced, client);
    assert.deepEqual(r.reverted, [`${text} has been set back to its previous spec`]);
    assert.deepEqual(calls, [
      "read",
      `restore rv=12 ${JSON.stringify(theirs)} ${JSON.stringify({ app: "web", team: "a" })}`,
    ]);
  });

  it("already back to its previous spec: unchanged (a second revert)", async () => {
    const { client, calls } = fakeClient([
      state({ resourceVersion: "13", spec: theirs, labels: { app: "web", team: "a" } }),
    ]);
    const r = await revert(replaced, client);
    assert.deepEqual(r.unchanged, [`${text} already has its previous spec`]);
    assert.deepEqual(calls, ["read"]);
  });

  it("deleted since, or changed since: left alone", async () => {
    let r = await revert(replaced, fakeClient([undefined]).client);
    assert.deepEqual(r.conflicts, [`${text} was deleted since the action: left alone`]);
    r = await revert(replaced, fakeClient([state({ resourceVersion: "14", spec: { deny: [] } })]).client);
    assert.equal(r.status, "conflict");
  });

  it("a restore that keeps hitting conflicts gives up as a conflict", async () => {
    const { client, calls } = fakeClient([state({})], { restore: conflict() });
    const r = await revert(replaced, client);
    assert.deepEqual(r.conflicts, [`${text} kept changing during the revert: left alone`]);
    assert.equal(calls.filter((c) => c === "read").length, 5);
  });
});

describe("the undo record", () => {
  it("labelsToRestore: the action's labels go back, others' changes stay", () => {
    assert.deepEqual(labelsToRestore({ a: "new", b: "mine", c: "x" }, { a: "new", b: "new" }, { a: "old" }), {
      a: "old",
      b: "mine",
      c: "x",
    });
  });

  it("policyUndo: created, or the previous spec and labels; nothing without a uid", () => {
    const s = (spec: Record<string, unknown>, rv = "12", uid = "u1") => ({
      uid,
      resourceVersion: rv,
      spec,
      labels: {},
    });
    assert.deepEqual(
      policyUndo(header, { outcome: "created", written: s(ours) }, (x) => x),
      {
        ...header,
        created: true,
        written: s(ours),
      },
    );
    assert.deepEqual(
      policyUndo(header, { outcome: "updated", previous: s(theirs, "11"), written: s(ours) }, (x) => x),
      { ...header, created: false, previous: { spec: theirs, labels: {} }, written: s(ours) },
    );
    assert.equal(
      policyUndo(header, { outcome: "created", written: s(ours, "", "") }, (x) => x),
      undefined,
    );
  });

  it("a record read back names a policy of its own type, with valid names, and its previous state", () => {
    const ok = {
      ...header,
      created: true,
      written: { uid: "u", resourceVersion: "1", spec: {}, labels: {} },
    };
    assert.ok(record.safeParse(ok).success);
    assert.ok(!record.safeParse({ ...ok, kind: "Secret" }).success);
    assert.ok(!record.safeParse({ ...ok, namespace: "Bad/NS" }).success);
    assert.ok(!record.safeParse({ ...ok, created: false }).success);
  });
});
