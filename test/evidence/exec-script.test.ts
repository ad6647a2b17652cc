/** kubernetes:exec and kubernetes:script against the real API server (kwok runs execs locally). */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import exec from "../../src/actionners/kubernetes/exec/index.js";
import script from "../../src/actionners/kubernetes/script/index.js";
import {
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  makePluginEnv,
  type TestCluster,
  waitForPodRunning,
} from "../support/k8s.js";
import { createTwoContainerPod, podEvent, runWithVars } from "./support.js";

describe("kubernetes:exec and kubernetes:script", () => {
  let c: TestCluster;
  let ns: string;
  let scratch: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "exec");
    scratch = mkdtempSync(join(tmpdir(), "talon-exec-"));
    await createPod(c.kube, ns, "target", c.nodeNames[0]);
    await createTwoContainerPod(c.kube, ns, "duo", c.nodeNames[0] as string);
    await waitForPodRunning(c.kube, ns, "target");
    await waitForPodRunning(c.kube, ns, "duo");
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("returns stdout with ANSI escapes stripped", async () => {
    const env = makePluginEnv(c.kube);
    const r = await runWithVars(exec, env, podEvent("target", ns), {
      command: "printf '\\033[31mred\\033[0m plain\\n'; echo done",
    });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.output, "red plain\ndone\n");
    assert.deepEqual(r.objects, { pod: "target", namespace: ns, container: "main" });
  });

  it("reports the exit code and stderr on failure", async () => {
    const env = makePluginEnv(c.kube);
    const r = await runWithVars(exec, env, podEvent("target", ns), {
      command: "echo partial; echo 'something broke' >&2; exit 3",
    });
    assert.equal(r.status, "failure");
    assert.equal(r.error, "the command exited with code 3: something broke");
    assert.equal(r.output, "partial\n");
  });

  it("runs in the named container only, and rejects an unknown one", async () => {
    const env = makePluginEnv(c.kube);
    const r = await runWithVars(exec, env, podEvent("duo", ns), {
      command: "echo once",
      container: "second",
    });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.output, "once\n");
    assert.equal(r.objects["container"], "second");
    const d = await runWithVars(exec, env, podEvent("duo", ns), { command: "echo x" });
    assert.equal(d.objects["container"], "first");
    const bad = await runWithVars(exec, env, podEvent("duo", ns), { command: "echo x", container: "nope" });
    assert.equal(bad.status, "failure");
    assert.match(bad.error ?? "", /the container 'nope' doesn't exist in the pod 'duo'.*first, second/);
  });

  it("fails the check for a missing pod", async () => {
    const env = makePluginEnv(c.kube);
    await assert.rejects(
      runWithVars(exec, env, podEvent("ghost", ns), { command: "id" }),
      new RegExp(`the pod 'ghost' in the namespace '${ns}' doesn't exist`),
    );
  });

  // Hostile event values: each must come back as literal text and create no file.
  const hostile = (marker: string) => [
    "$(id)",
    "`id`",
    `'; touch ${marker}; '`,
    `$(touch ${marker})`,
    `"; touch ${marker}; "`,
    `line one\ntouch ${marker}\nline three`,
    "$HOME ${PATH} \\ back\\slash",
  ];

  it("exec: substitutes event fields shell-quoted, so injection attempts stay literal", async () => {
    const env = makePluginEnv(c.kube);
    for (const value of hostile(join(scratch, `marker-${randomUUID()}`))) {
      const marker = /touch (\S+)/.exec(value)?.[1];
      const event = podEvent("target", ns, { "proc.cmdline": value, "fd.name": value });
      // Unquoted, double-quoted and single-quoted uses of the variables.
      const r = await runWithVars(exec, env, event, {
        command: `printf '%s|' \${PROC_CMDLINE} "\${FD_NAME}" '$PROC_CMDLINE'`,
      });
      assert.equal(r.status, "success", r.error);
      assert.equal(r.output, `${value}|${value}|${value}|`);
      if (marker) assert.equal(existsSync(marker), false, `marker ${marker} was created`);
    }
  });

  it("script: substitutes event fields shell-quoted, so injection attempts stay literal", async () => {
    const env = makePluginEnv(c.kube);
    for (const value of hostile(join(scratch, `marker-${randomUUID()}`))) {
      const marker = /touch (\S+)/.exec(value)?.[1];
      const event = podEvent("target", ns, { "proc.cmdline": value });
      const r = await runWithVars(script, env, event, {
        script: `#!/bin/sh\nprintf '%s|' \${PROC_CMDLINE}\nprintf '%s|' "\${PROC_CMDLINE}"\n`,
      });
      assert.equal(r.status, "success", r.error);
      assert.equal(r.output, `${value}|${value}|`);
      if (marker) assert.equal(existsSync(marker), false, `marker ${marker} was created`);
    }
  });

  it("script: runs an inline script over stdin, leaves no temp file, keeps the exit code", async () => {
    const env = makePluginEnv(c.kube);
    const tmp = mkdtempSync(join(scratch, "tmp-"));
    // A stand-in shell that points mktemp at our folder, so the temp file can be seen and checked.
    writeFileSync(join(tmp, "sh"), `#!/bin/sh\nTMPDIR='${tmp}' exec /bin/sh "$@"\n`, { mode: 0o755 });
    const r = await runWithVars(script, env, podEvent("target", ns), {
      shell: join(tmp, "sh"),
      // No `$name` of its own: Talon's substitution expands every `$NAME` (unknown ones to "").
      script: `ls ${tmp}\nread -r line || echo "stdin is empty"\necho "last line"\n`,
    });
    assert.equal(r.status, "success", r.error);
    assert.match(r.output ?? "", /^falco-talon-script\.\w{6}\nsh\nstdin is empty\nlast line\n$/);
    assert.deepEqual(readdirSync(tmp), ["sh"], "the temp script file was removed");
    const f = await runWithVars(script, env, podEvent("target", ns), {
      shell: join(tmp, "sh"),
      script: "echo before\necho oops >&2\nexit 7\n",
    });
    assert.equal(f.status, "failure");
    assert.equal(f.error, "the command exited with code 7: oops");
    assert.equal(f.output, "before\n");
    assert.deepEqual(readdirSync(tmp), ["sh"]);
  });

  it("script: runs a file from the engine host", async () => {
    const env = makePluginEnv(c.kube);
    const file = join(scratch, "collect.sh");
    writeFileSync(file, 'echo "rule=${RULE}"\necho "pod=${K8S_POD_NAME}"\n');
    const r = await runWithVars(script, env, podEvent("target", ns), { file });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.output, "rule=Test rule\npod=target\n");
  });

  it("script: a large script is copied whole", async () => {
    const env = makePluginEnv(c.kube);
    const lines = Array.from({ length: 20_000 }, (_, i) => `: line ${i} ${"x".repeat(40)}`);
    const r = await runWithVars(script, env, podEvent("target", ns), {
      script: `${lines.join("\n")}\necho end-of-large-script\n`,
    });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.output, "end-of-large-script\n");
  });
});
