/**
 * End to end: Bearer-token intake, per-rule cooldown and the audit trail across a restart
 * of the real `falco-talon server` process, against the real API server.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runAuditList } from "../../src/audit/cli.js";
import { createNamespace, createPod, getTestCluster, type TestCluster } from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

const TOKEN = "e2e-token-0123456789";

describe("audit trail (end to end)", () => {
  let cluster: TestCluster;
  let ns: string;
  let auditFile: string;

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "e2e-audit");
    await createPod(cluster.kube, ns, "nginx");
    auditFile = join(mkdtempSync(join(tmpdir(), "falco-talon-audit-")), "audit.jsonl");
  });

  const start = () =>
    startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
audit:
  file: ${auditFile}
`,
      rules: {
        "rules.yaml": `
- rule: Label shells
  cooldown_seconds: 300
  match:
    output_fields: [k8s.ns.name=${ns}]
  actions:
    - action: mark
      actionner: kubernetes:label
      parameters:
        labels: {suspicious: "true"}
`,
      },
      env: { AUTH_TOKEN: TOKEN },
    });

  const post = async (server: ServerProcess, n: number, token?: string) => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      body: JSON.stringify({
        rule: "Terminal shell in container",
        priority: "Warning",
        output: `shell ${n} in nginx`,
        output_fields: { "k8s.pod.name": "nginx", "k8s.ns.name": ns },
      }),
    });
    return { status: res.status, auth: res.headers.get("www-authenticate") };
  };

  it("refuses events without the token, audits actions and cooldown skips, and keeps the file across a restart", async () => {
    const first = await start();
    try {
      assert.deepEqual(await post(first, 0), { status: 401, auth: 'Bearer realm="falco-talon"' });
      assert.equal((await post(first, 0, "wrong")).status, 401);
      assert.equal((await post(first, 1, TOKEN)).status, 200);
      await first.waitForLog((l) => l.message === "action" && l.status === "success");
      assert.equal((await post(first, 2, TOKEN)).status, 200);
      const skipped = await first.waitForLog((l) => l.message === "action" && l.status === "ignored");
      assert.equal(skipped.reason, "cooldown");
    } finally {
      assert.equal(await first.stop(), 0);
    }

    // The cooldown is per process; the audit file is appended to, not truncated.
    const second = await start();
    try {
      assert.equal((await post(second, 3, TOKEN)).status, 200);
      await second.waitForLog((l) => l.message === "action" && l.status === "success");
    } finally {
      assert.equal(await second.stop(), 0);
    }

    const all = readFileSync(auditFile, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, string>);
    // Each matched event also has an `event` entry (for the console), before its actions.
    const events = all.filter((l) => l.message === "event");
    assert.equal(events.length, 3);
    for (const e of events) assert.equal(e.status, "matched");
    const lines = all.filter((l) => l.message !== "event");
    assert.deepEqual(
      lines.map((l) => [l.rule, l.action, l.actionner, l.target, l.status, l.reason]),
      [
        ["Label shells", "mark", "kubernetes:label", `pod:${ns}/nginx`, "success", undefined],
        ["Label shells", "mark", "kubernetes:label", `pod:${ns}/nginx`, "ignored", "cooldown"],
        ["Label shells", "mark", "kubernetes:label", `pod:${ns}/nginx`, "success", undefined],
      ],
    );
    assert.equal(lines[0]!.replica, `${lines[0]!.replica.split(":")[0]}:${first.proc.pid}`);
    assert.equal(lines[1]!.replica, lines[0]!.replica);
    assert.equal(lines[2]!.replica.endsWith(`:${second.proc.pid}`), true);
    assert.equal(new Set(lines.map((l) => l.event_id)).size, 3);
    // Each entry also carries its event's OTel trace id, the trace_id of the logs.
    for (const l of lines) assert.match(l.trace_id ?? "", /^[0-9a-f]{32}$/);
    assert.equal(new Set(lines.map((l) => l.trace_id)).size, 3);

    const out: string[] = [];
    assert.equal(
      await runAuditList({ file: auditFile, status: "success", json: true }, (l) => out.push(l)),
      0,
    );
    assert.equal(out.length, 2);
  });
});
