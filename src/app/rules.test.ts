import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import pino from "pino";
import type { RuleSet } from "../rules/types.js";
import { loadValidRules, watchRules } from "./rules.js";

const rule = (name: string) => `
- action: Label ${name}
  actionner: kubernetes:label
  parameters:
    labels:
      seen: "${name.replace(/\W+/g, "-")}"
- rule: ${name}
  match:
    rules: [Terminal shell in container]
  actions:
    - action: Label ${name}
`;

/** Writes one ConfigMap version the way the kubelet does: a timestamped folder, then an atomic `..data` swap. */
function publishConfigMap(dir: string, version: number, files: Record<string, string>): void {
  const versionDir = `..2026_11_23_12_00_0${version}.000000001`;
  mkdirSync(join(dir, versionDir));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, versionDir, name), text);
  symlinkSync(versionDir, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join("..data", name), join(dir, name));
    } catch {
      // the file's link exists from an earlier version
    }
  }
}

describe("watchRules with a rules folder (ConfigMap volume)", () => {
  test("a ConfigMap update that changes one file and adds another goes live whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "talon-rules-cm-"));
    publishConfigMap(dir, 1, { "10-first.yaml": rule("First") });
    const initial = await loadValidRules([dir]);
    assert.deepEqual(initial.errors, []);
    assert.deepEqual(
      initial.ruleset!.rules.map((r) => r.name),
      ["First"],
    );

    const reloaded: RuleSet[] = [];
    let wake = () => {};
    const stop = watchRules({
      files: [dir],
      logger: pino({ level: "silent" }),
      debounceMs: 50,
      pollMs: 200,
      load: (f) => loadValidRules(f),
      onReload: (rs) => {
        reloaded.push(rs);
        wake();
      },
    });
    try {
      const next = new Promise<void>((r) => {
        wake = r;
      });
      publishConfigMap(dir, 2, { "10-first.yaml": rule("First v2"), "20-second.yaml": rule("Second") });
      await Promise.race([
        next,
        new Promise((_, reject) => setTimeout(() => reject(new Error("no reload within 5 s")), 5000)),
      ]);
      assert.deepEqual(
        reloaded.at(-1)!.rules.map((r) => r.name),
        ["First v2", "Second"],
      );
    } finally {
      stop();
    }
  });

  test("an invalid file in the folder keeps the previous rules in force", async () => {
    const dir = mkdtempSync(join(tmpdir(), "talon-rules-cm-"));
    publishConfigMap(dir, 1, { "10-first.yaml": rule("First") });
    const reloaded: RuleSet[] = [];
    const loadFailures: string[][] = [];
    const stop = watchRules({
      files: [dir],
      logger: pino({ level: "silent" }),
      debounceMs: 50,
      pollMs: 100,
      load: async (f) => {
        const result = await loadValidRules(f);
        if (!result.ruleset) loadFailures.push(result.errors);
        return result;
      },
      onReload: (rs) => {
        reloaded.push(rs);
      },
    });
    try {
      writeFileSync(join(dir, "30-broken.yaml"), "- rule: Broken\n  continue: maybe\n");
      const deadline = Date.now() + 5000;
      while (loadFailures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(loadFailures.length, 1);
      assert.ok(
        loadFailures[0]!.some((e) => e.startsWith(`${join(dir, "30-broken.yaml")}:2:`)),
        loadFailures[0]!.join("\n"),
      );
      assert.deepEqual(reloaded, []);
    } finally {
      stop();
    }
  });
});
