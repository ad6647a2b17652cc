/** kubernetes:log and kubernetes:download against the real API server (kwok serves logs and execs). */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import download from "../../src/actionners/kubernetes/download/index.js";
import log from "../../src/actionners/kubernetes/log/index.js";
import localFile from "../../src/outputs/local/file/index.js";
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

// kwok serves every container's log from one CRI file (scripts/k8s/up.sh).
const LINE1 = "line one from the fake container";
const LINE2 = "line two from the fake container";

describe("kubernetes:log and kubernetes:download", () => {
  let c: TestCluster;
  let ns: string;
  let scratch: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "evidence");
    scratch = mkdtempSync(join(tmpdir(), "talon-download-"));
    await createPod(c.kube, ns, "target", c.nodeNames[0]);
    await createTwoContainerPod(c.kube, ns, "duo", c.nodeNames[0] as string);
    await waitForPodRunning(c.kube, ns, "target");
    await waitForPodRunning(c.kube, ns, "duo");
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("log: returns the tail of one container as the `log` artifact", async () => {
    const env = makePluginEnv(c.kube);
    const r = await runWithVars(log, env, podEvent("target", ns), { tail_lines: 1 });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.output, `the logs for the pod 'target' in the namespace '${ns}' have been downloaded`);
    assert.equal(r.data?.name, "log");
    assert.deepEqual(r.data?.objects, { pod: "target", namespace: ns });
    assert.equal(r.data?.bytes.toString(), `${LINE2}\n`);
    const all = await runWithVars(log, env, podEvent("target", ns), {});
    assert.equal(all.data?.bytes.toString(), `${LINE1}\n${LINE2}\n`);
  });

  it("log: every container by default, or the named one", async () => {
    const env = makePluginEnv(c.kube);
    const r = await runWithVars(log, env, podEvent("duo", ns), { tail_lines: 1 });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.data?.bytes.toString(), `==> first <==\n${LINE2}\n\n==> second <==\n${LINE2}\n`);
    const one = await runWithVars(log, env, podEvent("duo", ns), { tail_lines: 2, container: "second" });
    assert.equal(one.data?.bytes.toString(), `${LINE1}\n${LINE2}\n`);
    assert.equal(one.objects["container"], "second");
    const bad = await runWithVars(log, env, podEvent("duo", ns), { container: "third" });
    assert.equal(bad.status, "failure");
    assert.match(bad.error ?? "", /the container 'third' doesn't exist/);
  });

  it("download: a binary file with all 256 byte values comes back byte-identical", async () => {
    const bytes = Buffer.alloc(256 * 64);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
    // Every byte value, including NUL, CR, LF, 0x1b and invalid UTF-8 sequences.
    const all = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), bytes]);
    const file = join(scratch, "blob.bin");
    writeFileSync(file, all);
    const env = makePluginEnv(c.kube);
    // The path comes from an event field through substitution.
    const r = await runWithVars(download, env, podEvent("target", ns, { "fd.name": file }), {
      file: "${FD_NAME}",
    });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.output, `the file '${file}' has been downloaded`);
    assert.equal(r.data?.name, file);
    assert.deepEqual(r.data?.objects, { pod: "target", namespace: ns, file });
    assert.ok(r.data && Buffer.compare(r.data.bytes, all) === 0, "byte-identical");

    // Through the local:file output: the key is Talon's `<ts>_<ns>_<pod>_<name>` and the bytes are intact.
    const dest = mkdtempSync(join(scratch, "out-"));
    await localFile.checks({ destination: dest }, env);
    const out = await localFile.run({ artifact: r.data!, parameters: { destination: dest }, env });
    assert.equal(out.status, "success", out.error);
    const [stored] = readdirSync(dest);
    const suffix = `_${ns}_target_${file.replaceAll("/", "_")}`;
    assert.ok(stored?.endsWith(suffix), `${stored} ends with ${suffix}`);
    assert.match(stored ?? "", /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ_/);
    assert.equal(Buffer.compare(readFileSync(join(dest, stored!)), all), 0);
  });

  it("download: a path with shell characters is read literally", async () => {
    const file = join(scratch, "we'ird $(id) `id`; name");
    writeFileSync(file, "literal\n");
    const env = makePluginEnv(c.kube);
    const r = await runWithVars(download, env, podEvent("target", ns, { "fd.name": file }), {
      file: "${FD_NAME}",
    });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.data?.bytes.toString(), "literal\n");
  });

  it("download: a missing file fails with cat's error for each container", async () => {
    const env = makePluginEnv(c.kube);
    const missing = join(scratch, "nope");
    const r = await runWithVars(download, env, podEvent("duo", ns), { file: missing });
    assert.equal(r.status, "failure");
    assert.equal(r.data, undefined);
    assert.match(
      r.error ?? "",
      new RegExp(
        `^can't download the file '${missing}': first: the command exited with code 1: cat: .*No such file or directory; second: `,
      ),
    );
  });
});
