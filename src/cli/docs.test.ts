import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { generateDocs } from "./docs.js";

const ROOT = resolve(import.meta.dirname, "../../docs/reference");

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name)) : [relative(ROOT, join(dir, d.name))],
  );
}

describe("generated plug-in docs", () => {
  it("docs/reference matches the code (run `npm run docs` after changing a plug-in)", () => {
    const pages = generateDocs();
    assert.deepEqual(listFiles(ROOT).sort(), [...pages.keys()].sort());
    for (const [file, text] of pages) assert.equal(readFileSync(join(ROOT, file), "utf8"), text, file);
  });

  it("documents every parameter with its default", () => {
    const page = generateDocs().get("actionners/kubernetes-terminate.md")!;
    assert.match(page, /\| `grace_period_seconds` \| integer \| no \| `0` \|/);
    assert.match(page, /## Permissions[\s\S]*pods/);
  });
});
