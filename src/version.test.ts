import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { buildInfo, checkoutCommit, findGitDir, readGitCommit } from "./version.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const OTHER = "89abcdef0123456789abcdef0123456789abcdef";

describe("version: the git commit", () => {
  test("HEAD through a loose ref, a packed ref, or detached", () => {
    const root = mkdtempSync(join(tmpdir(), "talon-git-"));
    const git = join(root, ".git");
    mkdirSync(join(git, "refs", "heads"), { recursive: true });
    writeFileSync(join(git, "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(git, "refs", "heads", "main"), `${SHA}\n`);
    mkdirSync(join(root, "src", "deep"), { recursive: true });
    assert.equal(findGitDir(join(root, "src", "deep")), git);
    assert.equal(readGitCommit(git), SHA);
    assert.equal(checkoutCommit(join(root, "src", "deep")), SHA);

    writeFileSync(join(git, "HEAD"), "ref: refs/heads/packed\n");
    writeFileSync(join(git, "packed-refs"), `# pack-refs with: peeled\n${OTHER} refs/heads/packed\n`);
    assert.equal(readGitCommit(git), OTHER);

    writeFileSync(join(git, "HEAD"), `${SHA}\n`);
    assert.equal(readGitCommit(git), SHA);
  });

  test("a worktree's .git file is followed", () => {
    const root = mkdtempSync(join(tmpdir(), "talon-wt-"));
    const real = join(root, "real-git");
    mkdirSync(join(real, "refs", "heads"), { recursive: true });
    writeFileSync(join(real, "HEAD"), "ref: refs/heads/wt\n");
    writeFileSync(join(real, "refs", "heads", "wt"), `${OTHER}\n`);
    const checkout = join(root, "checkout");
    mkdirSync(checkout);
    writeFileSync(join(checkout, ".git"), `gitdir: ${real}\n`);
    assert.equal(checkoutCommit(checkout), OTHER);
  });

  test("outside a checkout the commit is unknown, unless stamped", () => {
    const outside = mkdtempSync(join(tmpdir(), "talon-nogit-"));
    // tmpdir is not inside a git checkout on the test machines
    if (findGitDir(outside) === undefined) assert.equal(checkoutCommit(outside), undefined);
    assert.equal(buildInfo({ FALCO_TALON_GIT_COMMIT: "stamped" }).GitCommit, "stamped");
    assert.match(buildInfo({}).GitCommit, /^[0-9a-f]{40}$/, "this test runs from the repository checkout");
  });
});
