/** Rehearsal: matches, misses and plans, and nothing run (stub actionners record any call). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import { stubActionnerInfo } from "../../test/support/pipeline.js";
import { configSchema } from "../config/schema.js";
import { EventDecodeError } from "../events/decode.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { Actionner } from "../plugins/types.js";
import { loadRulesFromSources } from "../rules/index.js";
import { rehearse } from "./rehearse.js";

const calls: string[] = [];
const stub = (name: string, extra: Partial<Actionner> = {}, info = {}): Actionner => ({
  info: { ...stubActionnerInfo(name, info) },
  parameters: z.object({ n: z.number().default(1) }).strict(),
  checks: async () => {
    calls.push(`${name}:checks`);
  },
  run: async () => {
    calls.push(`${name}:run`);
    return { status: "success", objects: {} };
  },
  ...extra,
});
const actionners = [
  stub("planned", {
    plan: (input) => ({
      objects: { pod: String(input.event.output_fields["k8s.pod.name"]) },
      plan: `label the pod ${String(input.event.output_fields["k8s.pod.name"])}`,
    }),
  }),
  stub("plain"),
  stub("stop", {}, { continue: false }),
];
const plugins: PluginLookup = {
  findActionner: (n) => actionners.find((a) => `tests:${a.info.name}` === n),
  findOutput: () => undefined,
  findNotifier: () => undefined,
  findContext: () => undefined,
};
const ruleset = loadRulesFromSources([
  {
    file: "rules.yaml",
    text: `
- rule: First
  match:
    rules: [Terminal shell in container]
  actions:
    - action: plan it
      actionner: tests:planned
    - action: generic
      actionner: tests:plain
      parameters: {n: 3}
      output: {target: local:file, parameters: {destination: /tmp}}
    - action: halt
      actionner: tests:stop
    - action: never reached
      actionner: tests:plain
- rule: Critical only
  match:
    priority: Critical
  actions:
    - action: x
      actionner: tests:plain
- rule: Stopper
  continue: false
  match:
    rules: [Terminal shell in container]
  actions:
    - action: y
      actionner: tests:plain
- rule: After the stop
  actions:
    - action: z
      actionner: tests:plain
`,
  },
]).ruleset!;
const deps = {
  rules: () => ruleset,
  plugins,
  env: {
    config: configSchema.parse({}),
    logger: pino({ level: "silent" }),
    kube: async () => {
      throw new Error("no cluster here");
    },
  },
};
const shell = {
  rule: "Terminal shell in container",
  priority: "Warning",
  output: "shell",
  output_fields: { "k8s.pod.name": "web", "k8s.ns.name": "default" },
};

describe("rehearse", () => {
  it("shows the matches, the misses with the failed criterion, and each plan; runs nothing", async () => {
    calls.length = 0;
    const r = await rehearse(shell, deps);
    assert.deepEqual(calls, [], "no check, no run");
    assert.equal(r.event.rule, "Terminal shell in container");
    assert.deepEqual(
      r.matches.map((m) => [m.rule, m.origin]),
      [
        ["First", "rules.yaml:2:3"],
        ["Stopper", "rules.yaml:22:3"],
      ],
    );
    const miss = Object.fromEntries(r.misses.map((m) => [m.rule, m.reasons.filter((x) => !x.held)]));
    assert.deepEqual(miss["Critical only"], [
      { criterion: "priority", expected: "Critical", actual: "Warning", held: false },
    ]);
    assert.deepEqual(miss["After the stop"], [
      {
        criterion: "continue",
        expected: "no earlier matching rule with continue: false",
        actual: "Stopper",
        held: false,
      },
    ]);
    assert.deepEqual(r.plans, [
      {
        rule: "First",
        action: "plan it",
        actionner: "tests:planned",
        plan: "label the pod web",
        objects: { pod: "web" },
      },
      {
        rule: "First",
        action: "generic",
        actionner: "tests:plain",
        plan: 'run tests:plain with parameters {"n":3}, then send the result to local:file',
      },
      { rule: "First", action: "halt", actionner: "tests:stop", plan: "run tests:stop with parameters {}" },
      { rule: "Stopper", action: "y", actionner: "tests:plain", plan: "run tests:plain with parameters {}" },
    ]);
  });

  it("a dry_run: server rule never runs an actionner that has no server-side dry run", async () => {
    calls.length = 0;
    const server = loadRulesFromSources([
      {
        file: "s.yaml",
        text: `
- rule: S
  dry_run: server
  actions:
    - action: a
      actionner: tests:plain
`,
      },
    ]).ruleset!;
    const r = await rehearse(shell, { ...deps, rules: () => server });
    assert.deepEqual(calls, []);
    assert.equal(r.plans[0]!.server_dry_run?.status, "unsupported");
  });

  it("refuses a body that is not an event", async () => {
    await assert.rejects(rehearse([1], deps), EventDecodeError);
    await assert.rejects(rehearse({ tags: "x" }, deps), /tags/);
  });
});
