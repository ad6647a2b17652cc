import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveArtifact, safeName } from "./artifacts.js";

describe("artifact resolution", () => {
  let root = "";
  let dir = "";
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "artifacts-"));
    dir = join(root, "out");
    await mkdir(dir);
    await writeFile(join(dir, "a.pcap"), "x");
    await writeFile(join(root, "secret"), "s");
    await symlink(join(root, "secret"), join(dir, "link"));
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "sub", "deep"), "d");
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("serves a recorded file inside a local:file folder", async () => {
    assert.deepEqual(await resolveArtifact("a.pcap", [join(dir, "a.pcap")], [dir]), {
      ok: true,
      path: join(dir, "a.pcap"),
      name: "a.pcap",
    });
    assert.equal((await resolveArtifact("a.pcap", [join(dir, "a.pcap")], [`${dir}/`])).ok, true);
  });

  it("refuses traversal, unrecorded names, files outside the folders, symlinks and sub-folders", async () => {
    for (const bad of ["", ".", "..", "../secret", "a/b", "x\u0000", "..a"])
      assert.equal(safeName(bad), false, bad);
    const status = async (name: string, recorded: string[], folders = [dir]) => {
      const r = await resolveArtifact(name, recorded, folders);
      return r.ok ? 200 : r.status;
    };
    assert.equal(await status("../secret", [join(root, "secret")]), 400);
    assert.equal(await status("a.pcap", []), 404, "not recorded");
    assert.equal(await status("secret", [join(root, "secret")]), 404, "recorded but outside the folders");
    assert.equal(await status("secret", [join(dir, "..", "secret")]), 404, "a recorded path with ..");
    assert.equal(await status("link", [join(dir, "link")]), 404, "a symlink out of the folder");
    assert.equal(await status("deep", [join(dir, "sub", "deep")]), 404, "only files directly in the folder");
    assert.equal(await status("a.pcap", ["a.pcap"]), 404, "a relative record");
    assert.equal(await status("gone", [join(dir, "gone")]), 404);
    assert.equal(await status("a.pcap", [join(dir, "a.pcap")], []), 404, "no local:file folder in force");
  });
});
