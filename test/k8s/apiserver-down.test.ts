/**
 * Failure path: the API server goes away. The engine reports a clear failure, keeps serving,
 * and acts again once the API server is back. A TCP proxy in front of the real API server
 * plays the outage (the shared test cluster itself keeps running for other tests).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}
  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", () => r()));
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("API server outage", () => {
  let cluster: TestCluster;
  let server: ServerProcess;
  let proxy: TcpProxy;
  let ns: string;

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "outage");
    await createPod(cluster.kube, ns, "web");
    const original = readFileSync(cluster.kubeconfigPath, "utf8");
    const m = /server: "?https:\/\/127\.0\.0\.1:(\d+)"?/.exec(original);
    assert.ok(m, "kubeconfig server URL");
    proxy = new TcpProxy({ host: "127.0.0.1", port: Number(m[1]) }, await freePort());
    await proxy.start();
    const kubeconfig = join(tmpdir(), `outage-kubeconfig-${process.pid}`);
    writeFileSync(kubeconfig, original.replace(`127.0.0.1:${m[1]}`, `127.0.0.1:${proxy.port}`));
    server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${kubeconfig}
`,
      rules: {
        "rules.yaml": `
- rule: Label
  actions:
    - action: Mark
      actionner: kubernetes:label
      parameters:
        labels:
          marked: "yes"
`,
      },
    });
  });

  after(async () => {
    await server?.stop();
    await proxy?.stop();
  });

  const post = (output: string) =>
    server.post(
      JSON.stringify({
        rule: "Anything",
        priority: "Warning",
        output,
        output_fields: { "k8s.ns.name": ns, "k8s.pod.name": "web" },
      }),
    );

  it("fails the action clearly while the API server is unreachable, without crashing", async () => {
    await proxy.stop();
    assert.equal((await post("during the outage")).status, 200);
    const failed = await server.waitForLog((l) => l.message === "action" && l.rule === "Label", 90_000);
    assert.match(
      String(failed.error),
      /ECONNREFUSED|connect|socket|fetch failed|timed out/i,
      JSON.stringify(failed),
    );
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it("acts again once the API server is back", async () => {
    await proxy.start();
    assert.equal((await post("after the outage")).status, 200);
    await waitFor(
      "the label",
      async () => {
        const pod = await cluster.kube.core.readNamespacedPod({ name: "web", namespace: ns });
        return pod.metadata?.labels?.marked === "yes";
      },
      60_000,
    );
  });
});
