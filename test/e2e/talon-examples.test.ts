/**
 * Talon's own example rules files load unchanged: `rules.yaml` plus the
 * `rules_override.yaml` that re-declares `Terminate Pod`. Checked through the real CLI and
 * through loadRules + validateRules with the real plug-in registries.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import { builtinPlugins } from "../../src/app/plugins.js";
import { loadRules, validateRules } from "../../src/rules/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const FIXTURES = join(import.meta.dirname, "fixtures", "talon-examples");
const RULES = join(FIXTURES, "rules.yaml");
const OVERRIDE = join(FIXTURES, "rules_override.yaml");

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, RULES_FILES: "" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe("Talon's example rules files", () => {
  // `rules check` runs the outputs' checks as the server does: the example's local:file
  // destination must exist.
  before(() => mkdirSync("/tmp/falco-talon", { recursive: true }));

  it("`falco-talon rules check -r rules.yaml -r rules_override.yaml` passes", () => {
    const r = cli("rules", "check", "-r", RULES, "-r", OVERRIDE);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^rules file valid$/m);
    assert.doesNotMatch(r.out, /invalid rules/);
  });

  it("load and validate against the real actionners, outputs and contexts", async () => {
    const loaded = loadRules([RULES, OVERRIDE]);
    assert.deepEqual(loaded.problems, []);
    assert.ok(loaded.ruleset);
    assert.deepEqual(await validateRules(loaded.ruleset, builtinPlugins), []);
    assert.deepEqual(
      loaded.ruleset.rules.map((r) => r.name),
      [
        "Suspicious outbound connection",
        "Terminal shell in container",
        "Delete unknown namespace",
        "Calico netpol on suspicious connection",
        "Test invoke lambda",
        "Capture the traffic",
        "Investigate the pod",
      ],
    );
  });

  it("the merged `Terminate Pod` carries the override's parameters", () => {
    const { ruleset } = loadRules([RULES, OVERRIDE]);
    assert.ok(ruleset);
    const definitions = ruleset.actions.filter((a) => a.name === "Terminate Pod");
    assert.equal(definitions.length, 1, "same-name definitions merge into one");
    const expected = { ignore_daemonsets: true, ignore_statefulsets: true, grace_period_seconds: 2 };
    assert.equal(definitions[0]!.actionner, "kubernetes:terminate");
    assert.deepEqual(definitions[0]!.parameters, expected);

    // The rule referencing it gets the merged parameters, and the actionner's schema agrees.
    const rule = ruleset.rules.find((r) => r.name === "Investigate the pod");
    const action = rule?.actions.find((a) => a.name === "Terminate Pod");
    assert.ok(action);
    assert.equal(action.actionner, "kubernetes:terminate");
    assert.deepEqual(action.parameters, expected);
    assert.equal(action.continue, false);
    const terminate = builtinPlugins.findActionner("kubernetes:terminate");
    assert.ok(terminate);
    const parsed = terminate.parameters.parse(action.parameters) as Record<string, unknown>;
    assert.equal(parsed.grace_period_seconds, 2);
    assert.equal(parsed.ignore_daemonsets, true);
    assert.equal(parsed.ignore_statefulsets, true);
  });

  it("without the override, rules.yaml's own parameters stand", () => {
    const { ruleset } = loadRules([RULES]);
    assert.ok(ruleset);
    const terminate = ruleset.actions.find((a) => a.name === "Terminate Pod");
    assert.deepEqual(terminate?.parameters, {
      ignore_daemonsets: false,
      ignore_statefulsets: true,
      grace_period_seconds: 20,
    });
  });

  it("`rules print` shows the override's parameters in the merged rules", () => {
    const r = cli("rules", "print", "-r", RULES, "-r", OVERRIDE);
    assert.equal(r.code, 0, r.out + r.err);
    const investigate = r.out.split("- rule: Investigate the pod")[1];
    assert.ok(investigate, r.out);
    assert.match(investigate, /grace_period_seconds: 2\b/);
    assert.match(investigate, /ignore_daemonsets: true/);
  });
});
