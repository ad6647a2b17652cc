/**
 * API calls reuse keep-alive connections (src/kube/client.ts reuseConnections): client-node
 * alone opens a new TCP + TLS connection per call.
 */
import assert from "node:assert/strict";
import type * as http from "node:http";
import { before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { reuseConnections } from "../../src/kube/client.js";
import { getTestCluster, type TestCluster } from "../support/k8s.js";

/** Counts the connections an agent opens. */
function countConnections(agent: http.Agent): () => number {
  let opened = 0;
  const target = agent as unknown as { createConnection: (...args: unknown[]) => unknown };
  const original = target.createConnection.bind(agent);
  target.createConnection = (...args: unknown[]) => {
    opened++;
    return original(...args);
  };
  return () => opened;
}

describe("Kubernetes API connections", () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await getTestCluster();
  });

  it("30 sequential calls share one keep-alive connection", async () => {
    const config = new k8s.KubeConfig();
    config.loadFromFile(cluster.kubeconfigPath);
    const pool = reuseConnections(config);
    const core = config.makeApiClient(k8s.CoreV1Api);
    await core.listNamespace();
    assert.equal(pool.agents().length, 1);
    const opened = countConnections(pool.agents()[0]!);
    for (let i = 0; i < 30; i++) await core.readNamespace({ name: "default" });
    assert.equal(pool.agents().length, 1, "one agent per TLS identity");
    assert.ok(opened() <= 1, `opened ${opened()} connections for 30 calls`);
  });

  it("concurrent calls open a bounded number of connections and then reuse them", async () => {
    const config = new k8s.KubeConfig();
    config.loadFromFile(cluster.kubeconfigPath);
    const pool = reuseConnections(config);
    const core = config.makeApiClient(k8s.CoreV1Api);
    await core.listNamespace();
    const opened = countConnections(pool.agents()[0]!);
    await Promise.all(Array.from({ length: 8 }, () => core.readNamespace({ name: "default" })));
    const afterBurst = opened();
    assert.ok(afterBurst <= 8, `opened ${afterBurst}`);
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 8 }, () => core.readNamespace({ name: "default" })));
    }
    assert.ok(opened() <= afterBurst + 1, `opened ${opened() - afterBurst} more after the first burst`);
  });

  it("a token change keeps the agent (tokens are headers); other TLS settings get their own agent", async () => {
    const config = new k8s.KubeConfig();
    config.loadFromFile(cluster.kubeconfigPath);
    const pool = reuseConnections(config);
    const core = config.makeApiClient(k8s.CoreV1Api);
    await core.listNamespace();
    const user = config.getCurrentUser()!;
    const server = config.getCurrentCluster()!;
    config.loadFromClusterAndUser(server, { ...user, token: "not-a-valid-token" });
    await assert.rejects(core.listNamespace(), /401|Unauthorized/);
    assert.equal(pool.agents().length, 1);
    config.loadFromClusterAndUser({ ...server, skipTLSVerify: true, caData: undefined }, user);
    await core.listNamespace();
    assert.equal(pool.agents().length, 2);
  });
});
