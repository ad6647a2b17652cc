/**
 * Real nats-server processes with JetStream for tests: one node, or a 3-node cluster with
 * routes. The Debian package is installed on first use (apt-get update + install); each node
 * listens on free 127.0.0.1 ports with its own temp store dir, and can be killed and restarted.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { JetStreamEventQueue, type JetStreamQueueOptions } from "../../src/queue/jetstream.js";

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
