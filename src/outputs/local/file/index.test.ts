import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { configSchema } from "../../../config/schema.js";
import type { PluginEnv } from "../../../plugins/types.js";
import localFile, { destinationFile, expandEnv } from "./index.js";

const env: PluginEnv = {
  config: configSchema.parse({}),
  logger: pino({ level: "silent" }),
  kube: async () => {
    throw new Error("no cluster in this test");
  },
  signal: new AbortController().signal,
};

describe("local:file", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "talon-local-file-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("requires a destination", () => {
    assert.equal(localFile.parameters.safeParse({}).success, false);
    assert.equal(localFile.parameters.safeParse({ destination: "" }).success, false);
    assert.equal(localFile.parameters.safeParse({ destination: "/tmp" }).success, true);
  });

  it("checks that the folder exists", async () => {
    const missing = join(dir, "missing");
    await assert.rejects(localFile.checks({ destination: missing }, env), {
      message: `folder '${missing}' does not exist`,
    });
    await localFile.checks({ destination: dir }, env);
    const file = join(dir, "plain-file");
    await writeFile(file, "x");
    await assert.rejects(localFile.checks({ destination: file }, env), /is not a folder/);
  });

  it("expands environment variables in the destination", () => {
    assert.equal(expandEnv("${BASE}/talon/$SUB", { BASE: "/var", SUB: "x" }), "/var/talon/x");
    assert.equal(destinationFile("/a/b///", "k"), "/a/b/k");
  });

  it("writes <destination>/<key> with mode 0600", async () => {
    const bytes = Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0, 1, 2, 3]);
    const result = await localFile.run({
      artifact: { name: "/etc/passwd", objects: { namespace: "default", pod: "nginx" }, bytes },
      parameters: { destination: `${dir}/` },
      env,
    });
    assert.equal(result.status, "success", result.error);
    const written = (await readdir(dir)).filter((f) => f.endsWith("_default_nginx__etc_passwd"));
    assert.equal(written.length, 1);
    const file = join(dir, written[0]!);
    assert.match(written[0]!, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z_default_nginx__etc_passwd$/);
    assert.deepEqual(await readFile(file), bytes);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(result.objects, { file: "/etc/passwd", destination: file });
    assert.equal(result.output, `the file 'passwd' has been copied to '${file}'`);
  });

  it("reports a failure (without throwing) when the folder vanished", async () => {
    const result = await localFile.run({
      artifact: { name: "log", objects: { hostname: "node-1" }, bytes: Buffer.from("hello") },
      parameters: { destination: join(dir, "gone") },
      env,
    });
    assert.equal(result.status, "failure");
    assert.match(result.error ?? "", /ENOENT/);
  });
});
