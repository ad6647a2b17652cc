/**
 * End to end: undo and expiry of a reversible action through the real `falco-talon server`
 * process and the real API server — POST /actions/<id>/revert behind the token, `actions list`
 * and `revert` on the command line, and a `revert_after` that outlives the server that acted.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TOKEN = "revert-token-0123456789";
const run = promisify(execFile);

describe("undo and expiry (end to end)", () => {
  let cluster: TestCluster;
  let ns: string;
  let dir: string;

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "e2e-revert");
    await createPod(cluster.kube, ns, "web");
    await createPod(cluster.kube, ns, "api");
    dir = mkdtempSync(join(tmpdir(), "falco-talon-revert-"));
  });

  const config = (auditFile: string) => `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
audit:
  file: ${auditFile}
`;
  const rules = (revertAfter?: string) => ({
    "rules.yaml": `
- rule: Mark shells
  match:
    output_fields: [k8s.ns.name=${ns}]
  actions:
    - action: mark
      actionner: kubernetes:label
      parameters:
        labels: {suspicious: "true", app: "quarantined"}
${revertAfter ? `        revert_after: ${revertAfter}\n` : ""}`,
  });
  const start = (auditFile: string, revertAfter?: string) =>
    startServerProcess({ config: config(auditFile), rules: rules(revertAfter), env: { AUTH_TOKEN: TOKEN } });

  const post = (server: ServerProcess, pod: string, n: number) =>
    fetch(server.url, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        rule: "Terminal shell in container",
        priority: "Warning",
        output: `shell ${n} in ${pod}`,
        output_fields: { "k8s.pod.name": pod, "k8s.ns.name": ns },
      }),
    });
  const labels = async (pod: string) =>
    (await cluster.kube.core.readNamespacedPod({ name: pod, namespace: ns })).metadata?.labels ?? {};

  it("reverts over HTTP behind the token; a second revert is a no-op", async () => {
    const auditFile = join(dir, "http.jsonl");
    const server = await start(auditFile);
    try {
      assert.equal((await post(server, "web", 1)).status, 200);
      const acted = await server.waitForLog((l) => l.message === "action" && l.status === "success");
      const id = String(acted.action_id);
      assert.match(id, /^[0-9a-f]{20}$/);
      assert.deepEqual(await labels("web"), { app: "quarantined", suspicious: "true" });

      const listed = await fetch(`${server.url}/actions`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(listed.status, 200);
      const { actions } = (await listed.json()) as { actions: { action_id: string }[] };
      assert.deepEqual(
        actions.map((a) => a.action_id),
        [id],
      );

      const url = `${server.url}/actions/${id}/revert`;
      assert.equal((await fetch(url, { method: "POST" })).status, 401, "the token is required");
      assert.equal((await fetch(`${server.url}/actions`)).status, 401, "listing too");
      const auth = { Authorization: `Bearer ${TOKEN}` };
      const dry = await fetch(`${url}?dry_run=true`, { method: "POST", headers: auth });
      assert.equal(dry.status, 200);
      assert.equal(((await dry.json()) as { dry_run: boolean }).dry_run, true);
      assert.deepEqual(
        await labels("web"),
        { app: "quarantined", suspicious: "true" },
        "a dry run changes nothing",
      );

      const res = await fetch(url, { method: "POST", headers: auth });
      const body = (await res.json()) as { status: string; reverted: string[] };
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.status, "success");
      assert.equal(body.reverted.length, 2);
      assert.deepEqual(await labels("web"), { app: "web" }, "app restored, suspicious removed");

      const again = await fetch(url, { method: "POST", headers: auth });
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as { already_reverted: boolean }).already_reverted, true);

      assert.equal(
        (await fetch(`${server.url}/actions/nothex/revert`, { method: "POST", headers: auth })).status,
        400,
      );
      assert.equal(
        (await fetch(`${server.url}/actions/${"0".repeat(20)}/revert`, { method: "POST", headers: auth }))
          .status,
        404,
      );
      await server.waitForLog((l) => l.message === "revert" && l.status === "success");
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const entries = readFileSync(auditFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const reverts = entries.filter((e) => e.message === "revert");
    assert.equal(reverts.length, 1, "the no-op and the dry run are not audited as reverts");
    assert.equal(reverts[0]!.trigger, "manual");
  });

  it("lists and reverts from the command line, and reports a conflicting change", async () => {
    const auditFile = join(dir, "cli.jsonl");
    const server = await start(auditFile);
    let id: string;
    try {
      assert.equal((await post(server, "api", 2)).status, 200);
      id = String(
        (await server.waitForLog((l) => l.message === "action" && l.status === "success")).action_id,
      );
    } finally {
      assert.equal(await server.stop(), 0);
    }
    // Someone relabels `app` by hand after the action: the revert must leave it alone.
    await cluster.kube.core.patchNamespacedPod({
      name: "api",
      namespace: ns,
      body: [{ op: "replace", path: "/metadata/labels/app", value: "hand-made" }],
    });
    const configPath = join(dir, "cli-config.yaml");
    writeFileSync(configPath, config(auditFile).replace("$DIR/rules.yaml", join(dir, "none.yaml")));
    const cli = (...args: string[]) =>
      run(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args, "-c", configPath], {
        cwd: ROOT,
      }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
    const list = await cli("actions", "list", "--reversible");
    assert.equal(list.code, 0);
    assert.match(
      list.out,
      new RegExp(`${id}\\s.*Mark shells\\s+mark\\s+kubernetes:label\\s+pod:${ns}/api\\s+reversible`),
    );

    const reverted = await cli("revert", id);
    assert.equal(reverted.code, 3, reverted.out);
    assert.match(reverted.out, /: conflict/);
    assert.match(reverted.out, /left alone: .*'app'.*hand-made/);
    assert.deepEqual(await labels("api"), { app: "hand-made" }, "suspicious removed, app left alone");

    const afterList = await cli("actions", "list");
    assert.match(afterList.out, new RegExp(`${id}.*last revert conflict`));
  });

  it("reverts on revert_after in a new server when the one that acted has stopped", async () => {
    const auditFile = join(dir, "expiry.jsonl");
    await createPod(cluster.kube, ns, "db");
    const first = await start(auditFile, "4s");
    try {
      assert.equal((await post(first, "db", 3)).status, 200);
      const acted = await first.waitForLog((l) => l.message === "action" && l.status === "success");
      assert.ok(typeof acted.revert_at === "string");
    } finally {
      assert.equal(await first.stop(), 0);
    }
    assert.equal((await labels("db")).suspicious, "true", "still marked when the first server stops");
    const second = await start(auditFile, "4s");
    try {
      const reverted = await second.waitForLog((l) => l.message === "revert", 20_000);
      assert.equal(reverted.status, "success");
      assert.equal(reverted.trigger, "expiry");
      await waitFor("labels restored", async () => (await labels("db")).suspicious === undefined);
      assert.deepEqual(await labels("db"), { app: "db" });
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });
});
