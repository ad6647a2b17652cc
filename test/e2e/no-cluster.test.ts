// Without a kubeconfig and outside a cluster: the server still starts, warns once naming what it
// looked for, and every Kubernetes action fails with that same message (never `Invalid URL`).
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startServerProcess } from "../support/server.js";

test("no cluster: a startup warning and the same clear reason on each Kubernetes action", async () => {
  const home = mkdtempSync(join(tmpdir(), "falco-talon-home-"));
  const env: Record<string, string> = { HOME: home, KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "" };
  const server = await startServerProcess({
    config: "rules_files: [$DIR/rules.yaml]\naudit: {file: $DIR/audit.jsonl}\n",
    rules: {
      "rules.yaml": `
- action: Terminate
  actionner: kubernetes:terminate
- rule: Kill shells
  match: {rules: [Terminal shell in container]}
  actions: [{action: Terminate}]
`,
    },
    env,
  });
  try {
    const warning = await server.waitForLog((l) => l.message === "kubernetes");
    const message = String(warning.warning);
    assert.equal(warning.level, "warn");
    assert.match(message, /^no Kubernetes cluster configured: /);
    assert.match(message, /in-cluster service account/);
    assert.match(message, /KUBECONFIG/);
    assert.ok(message.includes(join(home, ".kube", "config")), message);
    const res = await server.post(
      JSON.stringify({
        rule: "Terminal shell in container",
        priority: "Warning",
        output: "shell",
        output_fields: { "k8s.ns.name": "default", "k8s.pod.name": "nginx" },
      }),
    );
    assert.equal(res.status, 200);
    const failed = await server.waitForLog((l) => l.message === "action" && l.error !== undefined);
    assert.equal(failed.error, message);
    assert.ok(!JSON.stringify(server.logs).includes("Invalid URL"));
  } finally {
    await server.stop();
  }
});
