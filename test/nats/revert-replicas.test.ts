/**
 * Reversible actions in distributed mode, end to end: two real `falco-talon server` replicas
 * sharing one nats-server (JetStream queue, audit stream and the undo KV bucket) act on pods of
 * the real API server. The replica that did not act reverts: on `revert_after` when the one
 * that acted was killed (-9), on request over HTTP; and every action is reverted exactly once
 * while both replicas race for the expiries.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { readAuditStream } from "../../src/audit/jetstream.js";
import type { StoredAction } from "../../src/undo/action.js";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type NatsCluster, startNats } from "../support/nats.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

const TOKEN = "revert-replicas-token-0123";
const auth = { Authorization: `Bearer ${TOKEN}` };
type Log = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("reversible actions across two replicas sharing NATS", () => {
  let cluster: TestCluster;
  let ns: string;
  let nats: NatsCluster;
  let nc: Awaited<ReturnType<typeof connect>>;
  let streams = 0;
  const started: ServerProcess[] = [];

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "nats-revert");
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    for (const s of started) await s.stop("SIGKILL");
    await nc?.close();
    await nats?.stop();
  });

  /** Two replicas on a fresh stream (hence their own undo bucket and audit stream). */
  async function twoReplicas(
    revertAfter?: string,
  ): Promise<{ stream: string; a: ServerProcess; b: ServerProcess }> {
    const stream = `REVERT${process.pid}_${++streams}`;
    const config = `
listen_address: 127.0.0.1
rules_files: [$DIR/rules.yaml]
watch_rules: false
kubeconfig: ${cluster.kubeconfigPath}
queue:
  shutdown_timeout_seconds: 5
  nats:
    url: "${nats.url}"
    stream: ${stream}
    partitions: 4
    ack_wait_seconds: 5
`;
    const rules = `
- rule: Mark shells
  match:
    output_fields: [k8s.ns.name=${ns}]
  actions:
    - action: mark
      actionner: kubernetes:label
      parameters:
        labels: {suspicious: "true", app: "quarantined"}
${revertAfter ? `        revert_after: ${revertAfter}\n` : ""}`;
    // One after the other: both would create the same streams and consumers at once.
    const servers: ServerProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const s = await startServerProcess({
        config,
        rules: { "rules.yaml": rules },
        env: { AUTH_TOKEN: TOKEN },
      });
      started.push(s);
      servers.push(s);
    }
    return { stream, a: servers[0]!, b: servers[1]! };
  }

  const post = async (server: ServerProcess, pod: string, n: number) => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        rule: "Terminal shell in container",
        priority: "Warning",
        output: `shell ${n} in ${pod}`,
        output_fields: { "k8s.pod.name": pod, "k8s.ns.name": ns },
      }),
    });
    assert.equal(res.status, 200, await res.text());
  };

  const labels = async (pod: string) =>
    (await cluster.kube.core.readNamespacedPod({ name: pod, namespace: ns })).metadata?.labels ?? {};

  /** The successful action on `pod`, whichever replica pulled its event, and that replica. */
  const acted = (servers: ServerProcess[], pod: string) =>
    waitFor(
      `the action on ${pod}`,
      async () => {
        for (const server of servers) {
          const line = server.logs.find(
            (l) => l.message === "action" && l.status === "success" && l.pod === pod,
          );
          if (line) return { server, line };
        }
        return undefined;
      },
      60_000,
    );

  const reverts = (servers: ServerProcess[], id: string): Log[] =>
    servers.flatMap((s) => s.logs.filter((l) => l.message === "revert" && l.action_id === id));

  const kvJson = async <T>(bucket: string, key: string): Promise<T | undefined> => {
    const entry = await (await new Kvm(nc).open(bucket)).get(key);
    return entry?.operation === "PUT" ? entry.json<T>() : undefined;
  };
  /** The action as the replicas share it in the undo bucket. */
  const undoRecord = (stream: string, id: string) => kvJson<StoredAction>(`${stream}_UNDO`, id);

  /** The `revert` entries of the JetStream audit trail, for one action. */
  const auditedReverts = async (stream: string, id: string): Promise<Log[]> => {
    const out: Log[] = [];
    for await (const line of readAuditStream({ servers: [nats.url], stream: `${stream}_AUDIT` })) {
      const e = JSON.parse(line) as Log;
      if (e.message === "revert" && e.action_id === id) out.push(e);
    }
    return out;
  };

  it("the surviving replica reverts on revert_after when the one that acted is killed -9", async () => {
    const { stream, a, b } = await twoReplicas("8s");
    await createPod(cluster.kube, ns, "victim");
    await post(a, "victim", 1);
    // Either replica may pull the event from the shared stream: the one that acted is killed.
    const { server: actor, line } = await acted([a, b], "victim");
    const survivor = actor === a ? b : a;
    const id = String(line.action_id);
    assert.match(id, /^[0-9a-f]{20}$/);
    assert.equal(typeof line.revert_at, "string");
    const revertAt = Date.parse(String(line.revert_at));

    // Killed only once the action is in the shared bucket and its event is marked done: else
    // the kill could lose the record, or the survivor would run the event again.
    const record = await waitFor("the undo record", () => undoRecord(stream, id));
    assert.equal(record.replica, `${record.replica.split(":")[0]}:${actor.proc.pid}`);
    await waitFor(
      "the event marked done",
      async () => (await kvJson<{ state: string }>(`${stream}_done`, record.event_id))?.state === "done",
    );
    assert.equal((await labels("victim")).suspicious, "true");
    assert.ok(Date.now() < revertAt, "the machine is too slow: the expiry came before the kill");
    assert.equal(await actor.stop("SIGKILL"), null);

    const reverted = await survivor.waitForLog((l) => l.message === "revert" && l.action_id === id, 60_000);
    assert.equal(reverted.status, "success", JSON.stringify(reverted));
    assert.equal(reverted.trigger, "expiry");
    await waitFor("labels restored", async () => (await labels("victim")).suspicious === undefined);
    assert.deepEqual(await labels("victim"), { app: "victim" });

    await waitFor("the audited revert", async () => (await auditedReverts(stream, id)).length > 0);
    // A few more expiry passes (one a second): none may revert it again.
    await sleep(3000);
    assert.equal(reverts([a, b], id).length, 1, "one revert log line over both replicas");
    const audited = await auditedReverts(stream, id);
    assert.equal(audited.length, 1, JSON.stringify(audited));
    assert.equal(audited[0]!.trigger, "expiry");
    assert.equal(audited[0]!.status, "success");
    assert.equal(audited[0]!.replica, `${record.replica.split(":")[0]}:${survivor.proc.pid}`);
    const kept = await undoRecord(stream, id);
    assert.equal(kept?.revert?.status, "success");
    assert.equal(kept?.revert?.trigger, "expiry");
    assert.equal(kept?.revert?.replica, audited[0]!.replica);
    assert.equal(await survivor.stop(), 0);
  });

  it("with both replicas up, each expiring action is reverted exactly once", async () => {
    const { stream, a, b } = await twoReplicas("3s");
    const pods = ["many-0", "many-1", "many-2", "many-3", "many-4"];
    for (const pod of pods) await createPod(cluster.kube, ns, pod);
    for (const [i, pod] of pods.entries()) await post(i % 2 === 0 ? a : b, pod, 10 + i);
    const ids = new Map<string, string>();
    for (const pod of pods) ids.set(pod, String((await acted([a, b], pod)).line.action_id));
    assert.equal(new Set(ids.values()).size, pods.length);

    for (const pod of pods)
      await waitFor(
        `labels of ${pod} restored`,
        async () => (await labels(pod)).suspicious === undefined,
        60_000,
      );
    for (const pod of pods) assert.deepEqual(await labels(pod), { app: pod });
    for (const id of ids.values())
      await waitFor(`the audited revert of ${id}`, async () => (await auditedReverts(stream, id)).length > 0);
    await sleep(3000);
    for (const [pod, id] of ids) {
      const lines = reverts([a, b], id);
      assert.equal(lines.length, 1, `${pod}: ${JSON.stringify(lines)}`);
      assert.equal(lines[0]!.status, "success");
      assert.equal(lines[0]!.trigger, "expiry");
      assert.equal((await auditedReverts(stream, id)).length, 1, `${pod}: one audited revert`);
      assert.equal((await undoRecord(stream, id))?.revert?.status, "success");
    }
    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
  });

  it("one replica reverts by hand what the other did; the other then finds it already reverted", async () => {
    const { stream, a, b } = await twoReplicas();
    await createPod(cluster.kube, ns, "manual");
    await post(b, "manual", 20);
    const { server: actor, line } = await acted([a, b], "manual");
    const other = actor === a ? b : a;
    const id = String(line.action_id);
    assert.equal(line.revert_at, undefined);
    await waitFor("the undo record", () => undoRecord(stream, id));
    assert.equal((await labels("manual")).suspicious, "true");

    const listed = await fetch(`${other.url}/actions`, { headers: auth });
    assert.equal(listed.status, 200);
    const { actions } = (await listed.json()) as { actions: { action_id: string }[] };
    assert.ok(
      actions.some((x) => x.action_id === id),
      "the other replica lists it",
    );

    assert.equal((await fetch(`${other.url}/actions/${id}/revert`, { method: "POST" })).status, 401);
    const res = await fetch(`${other.url}/actions/${id}/revert`, { method: "POST", headers: auth });
    const body = (await res.json()) as { status: string; reverted: string[]; already_reverted: boolean };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.status, "success");
    assert.equal(body.already_reverted, false);
    assert.equal(body.reverted.length, 2);
    assert.deepEqual(await labels("manual"), { app: "manual" });

    const again = await fetch(`${actor.url}/actions/${id}/revert`, { method: "POST", headers: auth });
    const againBody = (await again.json()) as { status: string; already_reverted: boolean };
    assert.equal(again.status, 200, JSON.stringify(againBody));
    assert.equal(againBody.already_reverted, true);
    assert.deepEqual(await labels("manual"), { app: "manual" });

    await waitFor("the audited revert", async () => (await auditedReverts(stream, id)).length > 0);
    await sleep(1000);
    const lines = reverts([a, b], id);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0]!.trigger, "manual");
    assert.ok(other.logs.includes(lines[0]!), "logged by the replica that reverted");
    const audited = await auditedReverts(stream, id);
    assert.equal(audited.length, 1, JSON.stringify(audited));
    assert.equal(audited[0]!.trigger, "manual");
    const kept = await undoRecord(stream, id);
    assert.equal(kept?.revert?.status, "success");
    assert.equal(kept?.revert?.trigger, "manual");
    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
  });
});
