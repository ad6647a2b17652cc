/**
 * The console's file server: the built folder's files by exact name, index.html for client
 * routes, nothing outside the folder whatever the path, and the in-memory build when the
 * folder is missing (retried after a failure).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { consoleAssets, type UiFiles } from "./assets.js";

const root = mkdtempSync(join(tmpdir(), "console-assets-"));
after(() => rmSync(root, { recursive: true, force: true }));

const dir = join(root, "ui");
mkdirSync(join(dir, "assets"), { recursive: true });
writeFileSync(join(dir, "index.html"), "<!doctype html><title>index</title>");
writeFileSync(join(dir, "assets", "app-ABCD1234.js"), "console.log(1)");
writeFileSync(join(dir, "assets", "app-WXYZ9876.css"), "body{}");
writeFileSync(join(dir, "robots.txt"), "no");
writeFileSync(join(root, "secret.txt"), "outside the UI folder");

describe("consoleAssets from a built folder", () => {
  const assets = consoleAssets({ dir });

  it("serves index.html for the empty path, not cacheable forever", async () => {
    const a = await assets.get("");
    assert.equal(a?.body.toString(), "<!doctype html><title>index</title>");
    assert.equal(a?.type, "text/html; charset=utf-8");
    assert.equal(a?.immutable, false);
  });

  it("serves hashed files with their type, immutable", async () => {
    const js = await assets.get("assets/app-ABCD1234.js");
    assert.equal(js?.body.toString(), "console.log(1)");
    assert.equal(js?.type, "text/javascript; charset=utf-8");
    assert.equal(js?.immutable, true);
    const css = await assets.get("assets/app-WXYZ9876.css?v=1");
    assert.equal(css?.type, "text/css; charset=utf-8");
    const txt = await assets.get("robots.txt");
    assert.equal(txt?.immutable, false);
  });

  it("answers client routes with index.html", async () => {
    for (const path of ["events/42", "rules", "rehearse?from=7", "events/a%2Fb", "/rules"]) {
      assert.match((await assets.get(path))?.body.toString() ?? "", /<title>index/, path);
    }
  });

  it("a missing file under assets/ is missing, not index.html", async () => {
    assert.equal(await assets.get("assets/app-OLDHASH1.js"), undefined);
  });

  it("never reaches outside the folder", async () => {
    for (const path of [
      "../secret.txt",
      "assets/../../secret.txt",
      "..%2Fsecret.txt",
      "%2e%2e/secret.txt",
      "/../secret.txt",
      "..\\secret.txt",
      "assets/../index.html",
      `${root}/secret.txt`,
    ]) {
      const a = await assets.get(path);
      assert.notEqual(a?.body.toString(), "outside the UI folder", path);
      if (a) assert.match(a.body.toString(), /<title>index/, path);
    }
  });
});

describe("consoleAssets without a built folder", () => {
  it("builds once, on the first request", async () => {
    let builds = 0;
    const files: UiFiles = new Map([
      ["index.html", Buffer.from("built index")],
      ["assets/app-QQQQ1111.js", Buffer.from("x")],
    ]);
    const assets = consoleAssets({
      dir: join(root, "missing"),
      build: async () => {
        builds++;
        return files;
      },
    });
    assert.equal(builds, 0);
    const [a, b] = await Promise.all([assets.get(""), assets.get("assets/app-QQQQ1111.js")]);
    assert.equal(a?.body.toString(), "built index");
    assert.equal(b?.immutable, true);
    await assets.get("rules");
    assert.equal(builds, 1);
  });

  it("tries the build again after a failure", async () => {
    let builds = 0;
    const assets = consoleAssets({
      dir: join(root, "missing"),
      build: async () => {
        builds++;
        if (builds === 1) throw new Error("esbuild failed");
        return new Map([["index.html", Buffer.from("second try")]]);
      },
    });
    await assert.rejects(assets.get(""), /esbuild failed/);
    assert.equal((await assets.get(""))?.body.toString(), "second try");
  });

  it("with an explicit folder and no builder, serves nothing", async () => {
    const assets = consoleAssets({ dir: join(root, "missing") });
    assert.equal(await assets.get(""), undefined);
    assert.equal(await assets.get("rules"), undefined);
  });
});

describe("consoleAssets from the source tree", () => {
  it("bundles ui/ with the build script when dist/ui is absent or serves dist/ui", async () => {
    const assets = consoleAssets();
    const index = await assets.get("");
    assert.ok(index, "index.html");
    const script = /src="\/ui\/(assets\/app-[A-Z0-9]+\.js)"/.exec(index.body.toString())?.[1];
    assert.ok(script, index.body.toString());
    const js = await assets.get(script);
    assert.equal(js?.immutable, true);
    assert.ok((js?.body.length ?? 0) > 1000);
  });
});
