import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { lazyKubeClient } from "./client.js";

const dir = mkdtempSync(join(tmpdir(), "falco-talon-kube-client-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A kubeconfig naming an unreachable server: building a client makes no request. */
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`;

describe("lazyKubeClient", () => {
  it("builds one client for concurrent first calls and shares it", async () => {
    const path = join(dir, "ok.yaml");
    writeFileSync(path, KUBECONFIG);
    const kube = lazyKubeClient(path);
    const [a, b] = await Promise.all([kube(), kube()]);
    assert.equal(a, b);
    assert.equal(await kube(), a);
    assert.equal(a.config.getCurrentCluster()?.server, "https://127.0.0.1:1");
  });

  it("rejects with the source's message when the kubeconfig file is missing, and retries", async () => {
    const path = join(dir, "later.yaml");
    const kube = lazyKubeClient(path);
    await assert.rejects(kube(), {
      message: `no Kubernetes cluster: the kubeconfig file '${path}' doesn't exist`,
    });
    writeFileSync(path, KUBECONFIG);
    assert.equal((await kube()).config.getCurrentContext(), "c");
  });

  it("says the configuration could not be loaded when the file is broken", async () => {
    const path = join(dir, "broken.yaml");
    writeFileSync(path, "clusters: [\n");
    await assert.rejects(lazyKubeClient(path)(), /^Error: can't load the Kubernetes configuration: /);
  });
});
