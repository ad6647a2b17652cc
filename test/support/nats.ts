/**
 * Real nats-server processes with JetStream for tests: one node, or a 3-node cluster with
 * routes. The Debian package is installed on first use (apt-get update + install); each node
 * listens on free 127.0.0.1 ports with its own temp store dir, and can be killed and restarted.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { RevertStatus } from "../../src/plugins/types.js";
import { JetStreamEventQueue, type JetStreamQueueOptions } from "../../src/queue/jetstream.js";
import { actionId, type ReversibleAction, type RevertRecord } from "../../src/undo/action.js";
import type { UndoStore } from "../../src/undo/store.js";

export interface NatsNode {
  name: string;
  port: number;
  url: string;
  /** kill -9 (default) or another signal; resolves when the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again on the same ports and store dir. */
  restart(): Promise<void>;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Comma-separated client URLs of every node (the `queue.nats.url` format). */
  url: string;
  stop(): Promise<void>;
}

let binary: string | undefined;

/** The nats-server binary path, installing Debian's package when it is missing. */
export function natsServerBinary(): string {
  if (binary) return binary;
  const find = () => {
    try {
      return execFileSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).trim();
    } catch {
      return "";
    }
  };
  let path = find();
  if (!path) {
    execFileSync("sh", ["-c", "apt-get update -qq && apt-get install -y -qq nats-server"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    path = find();
    if (!path) throw new Error("nats-server is not installed and apt-get could not install it");
  }
  binary = path;
  return path;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
    sock.connect(port, "127.0.0.1");
  });
}

/** Waits until JetStream answers on `url` (for a cluster: a meta leader was elected). */
async function waitJetStream(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const nc = await connect({ servers: url, timeout: 1000 });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 1000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`JetStream at ${url} not ready: ${last instanceof Error ? last.message : String(last)}`);
}

interface NodeSpec {
  name: string;
  port: number;
  clusterPort?: number;
  routes: number[];
  storeDir: string;
}

function startProcess(spec: NodeSpec): ChildProcess & { expectExit?: boolean } {
  const args = ["-a", "127.0.0.1", "-p", String(spec.port), "-js", "-sd", spec.storeDir, "-n", spec.name];
  if (spec.clusterPort !== undefined) {
    args.push("--cluster_name", "talon-test", "--cluster", `nats://127.0.0.1:${spec.clusterPort}`);
    args.push("--routes", spec.routes.map((p) => `nats://127.0.0.1:${p}`).join(","));
  }
  const proc: ChildProcess & { expectExit?: boolean } = spawn(natsServerBinary(), args, {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  proc.stderr!.on("data", (c: Buffer) => {
    log = (log + c.toString("utf8")).slice(-4000);
  });
  proc.once("exit", (code, signal) => {
    // An exit nobody asked for (bad flags, port taken): show why.
    if (!proc.expectExit && signal === null)
      process.stderr.write(`nats-server ${spec.name} exited ${code}: ${log}`);
  });
  return proc;
}

function makeNode(spec: NodeSpec): NatsNode & { proc?: ChildProcess; stopped: Promise<void> } {
  const node = {
    name: spec.name,
    port: spec.port,
    url: `nats://127.0.0.1:${spec.port}`,
    proc: undefined as (ChildProcess & { expectExit?: boolean }) | undefined,
    stopped: Promise.resolve(),
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      const proc = node.proc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.expectExit = true;
      proc.kill(signal);
      await exited;
    },
    async restart() {
      await node.kill();
      node.proc = startProcess(spec);
      const deadline = Date.now() + 10_000;
      while (!(await portOpen(spec.port))) {
        if (Date.now() > deadline) throw new Error(`nats-server ${spec.name} did not listen`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  return node;
}

/** One nats-server with JetStream. */
export async function startNats(): Promise<NatsCluster> {
  return startCluster(1);
}

/** `size` nats-servers routed into one JetStream cluster (size 3 tolerates one node down). */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  return startCluster(size);
}

async function startCluster(size: number): Promise<NatsCluster> {
  const root = mkdtempSync(join(tmpdir(), "falco-talon-nats-"));
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const clusterPorts =
    size > 1 ? await Promise.all(Array.from({ length: size }, () => freePort())) : undefined;
  const nodes = ports.map((port, i) =>
    makeNode({
      name: `n${i + 1}`,
      port,
      clusterPort: clusterPorts?.[i],
      routes: clusterPorts ? clusterPorts.filter((_, j) => j !== i) : [],
      storeDir: join(root, `n${i + 1}`),
    }),
  );
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill("SIGTERM")));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => n.restart()));
    await waitJetStream(nodes.map((n) => n.url).join(","), 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, url: nodes.map((n) => n.url).join(","), stop };
}

/** A JetStream queue replica with test-sized settings (short pulls, one stream replica). */
export function testQueueReplica(
  url: string,
  stream: string,
  extra: Partial<JetStreamQueueOptions> = {},
): Promise<JetStreamEventQueue> {
  return JetStreamEventQueue.connect({
    servers: [url],
    stream,
    partitions: 4,
    replicas: 1,
    ackWaitMs: 30_000,
    dedupWindowMs: 60_000,
    idempotencyTtlMs: 600_000,
    pullExpiresMs: 1000,
    ...extra,
  });
}

/**
 * The behaviour every UndoStore shares, run against MemoryUndoStore (src/undo/store.test.ts)
 * and KvUndoStore (test/nats/undo-store.test.ts) so the two stay alike. `open` gives an empty
 * store; the caller closes it.
 */
export function undoStoreContract(open: () => Promise<UndoStore>): void {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test("put, get and list round trip; list is oldest first", async () => {
    const store = await open();
    const later = undoAction(2, { time: "2026-01-01T10:00:02.000Z" });
    const first = undoAction(1, { time: "2026-01-01T10:00:01.000Z", revert_at: "2026-01-01T11:00:00.000Z" });
    await store.put(first);
    await store.put(later);
    assert.deepEqual(await store.get(first.action_id), first);
    assert.deepEqual(await store.get(later.action_id), later);
    assert.equal(await store.get(undoAction(3).action_id), undefined);
    assert.deepEqual(await store.list(), [first, later]);
  });

  test("a second put of the same action keeps one record and its revert", async () => {
    const store = await open();
    const a = undoAction(1);
    await store.put(a);
    await store.reverted(revertRecord(a, "success"));
    await store.put({ ...a, time: "2026-01-01T10:05:00.000Z" });
    const kept = await store.list();
    assert.equal(kept.length, 1);
    assert.equal(kept[0]!.revert?.status, "success");
  });

  test("due lists actions whose revert_at has come, until their revert settles", async () => {
    const store = await open();
    const at = Date.parse("2026-01-01T11:00:00.000Z");
    const expiring = undoAction(1, { revert_at: new Date(at).toISOString() });
    const later = undoAction(2, { revert_at: new Date(at + 60_000).toISOString() });
    const kept = undoAction(3);
    for (const a of [expiring, later, kept]) await store.put(a);
    assert.deepEqual(await store.due(at - 1), []);
    assert.deepEqual(await store.due(at), [expiring]);
    assert.deepEqual(
      (await store.due(at + 60_000)).map((a) => a.action_id),
      [expiring.action_id, later.action_id],
    );

    await store.reverted(revertRecord(expiring, "failure"));
    const retried = await store.due(at);
    assert.equal(retried.length, 1, "a failed revert is retried");
    assert.equal(retried[0]!.revert?.status, "failure");

    await store.reverted(revertRecord(expiring, "conflict"));
    await store.reverted(revertRecord(later, "success"));
    assert.deepEqual(await store.due(at + 60_000), [], "success and conflict settle the expiry");
  });

  test("a success is never overwritten by a later revert record", async () => {
    const store = await open();
    const a = undoAction(1, { revert_at: "2026-01-01T11:00:00.000Z" });
    await store.put(a);
    const success = revertRecord(a, "success");
    await store.reverted(success);
    await store.reverted(revertRecord(a, "failure"));
    assert.deepEqual((await store.get(a.action_id))?.revert, success);
    // A record for an action the store never kept changes nothing.
    await store.reverted(revertRecord(undoAction(9), "success"));
    assert.equal((await store.list()).length, 1);
  });

  test("claim: one of many concurrent callers wins, until the lease ends or a revert ends it", async () => {
    const store = await open();
    const a = undoAction(1, { revert_at: "2026-01-01T11:00:00.000Z" });
    await store.put(a);
    assert.equal(await store.claim(undoAction(9).action_id, "r1", 60_000), false, "unknown action");

    // A long lease, so a slow run cannot see it end while the callers race.
    const won = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.claim(a.action_id, `r${i}`, 60_000)),
    );
    assert.equal(won.filter(Boolean).length, 1);
    assert.equal(await store.claim(a.action_id, "r1", 60_000), false, "the lease is live");

    const short = undoAction(3, { revert_at: "2026-01-01T11:00:00.000Z" });
    await store.put(short);
    assert.equal(await store.claim(short.action_id, "r1", 200), true);
    assert.equal(await store.claim(short.action_id, "r2", 200), false);
    await sleep(300);
    assert.equal(await store.claim(short.action_id, "r2", 60_000), true, "the lease ended");

    // A failed revert clears the claim: the next expiry pass may try again at once.
    await store.reverted(revertRecord(a, "failure"));
    assert.equal(await store.claim(a.action_id, "r3", 60_000), true);
    await store.reverted(revertRecord(a, "success"));
    assert.equal(await store.claim(a.action_id, "r4", 60_000), false, "reverted");

    const conflicted = undoAction(2, { revert_at: "2026-01-01T11:00:00.000Z" });
    await store.put(conflicted);
    await store.reverted(revertRecord(conflicted, "conflict"));
    assert.equal(await store.claim(conflicted.action_id, "r1", 60_000), false, "settled by a conflict");
  });
}

/** A reversible action numbered `n` (its event id is `ev-<n>`). */
export function undoAction(n: number, extra: Partial<ReversibleAction> = {}): ReversibleAction {
  return {
    action_id: actionId(`ev-${n}`, "Terminal shell", "label the pod"),
    time: `2026-01-01T10:00:${String(n % 60).padStart(2, "0")}.000Z`,
    replica: "host-a:1",
    event_id: `ev-${n}`,
    rule: "Terminal shell",
    action: "label the pod",
    actionner: "kubernetes:label",
    target: `pod:default/web-${n}`,
    objects: { namespace: "default", pod: `web-${n}` },
    undo: { labels: { quarantine: null } },
    ...extra,
  };
}

export function revertRecord(a: ReversibleAction, status: RevertStatus): RevertRecord {
  return {
    action_id: a.action_id,
    time: new Date().toISOString(),
    trigger: "expiry",
    replica: "host-b:2",
    status,
    reverted: status === "success" ? ["label 'quarantine' removed"] : [],
    unchanged: [],
    conflicts: status === "conflict" ? ["label 'quarantine' changed since"] : [],
    ...(status === "failure" ? { error: "pod not found" } : {}),
  };
}
