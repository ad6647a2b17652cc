import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import type { Config } from "../config/schema.js";
import type { Actionner, ActionnerInfo, ContextProvider, Output, PluginEnv } from "../plugins/types.js";
import { formatProblem, loadRulesFromSources } from "./load.js";
import type { RuleSet } from "./types.js";
import { type RuleRegistry, validateRules } from "./validate.js";

function info(category: string, name: string, over: Partial<ActionnerInfo> = {}): ActionnerInfo {
  return {
    category,
    name,
    description: "stub",
    source: "any",
    continue: true,
    useContext: false,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: [],
    permissions: {},
    example: "",
    ...over,
  };
}

function stubActionner(i: ActionnerInfo, parameters: z.ZodType): Actionner {
  return {
    info: i,
    parameters,
    async checks() {},
    async run() {
      return { status: "success", objects: {} };
    },
  };
}

const actionners: Actionner[] = [
  stubActionner(
    info("kubernetes", "terminate", { continue: false }),
    z.object({ grace_period_seconds: z.number().int().min(0).optional() }),
  ),
  stubActionner(info("kubernetes", "label"), z.object({ labels: z.record(z.string(), z.string()) })),
  stubActionner(
    info("kubernetes", "download", { allowOutput: true, requireOutput: true }),
    z.object({ file: z.string() }),
  ),
];

/** Counts checks() calls so the test can see they are de-duplicated. */
let fileChecks = 0;
const localFile: Output = {
  info: { category: "local", name: "file", description: "stub", permissions: {}, example: "" },
  parameters: z.object({ destination: z.string() }),
  async checks(p: { destination: string }) {
    fileChecks++;
    if (!existsSync(p.destination)) throw new Error(`folder '${p.destination}' does not exist`);
  },
  async run() {
    return { status: "success", objects: {} };
  },
};

const k8snode: ContextProvider = {
  info: { name: "k8snode", description: "stub", permissions: {} },
  async fetch() {
    return {};
  },
};

const registry: RuleRegistry = {
  findActionner: (n) => actionners.find((a) => `${a.info.category}:${a.info.name}` === n),
  findOutput: (n) => (n === "local:file" ? localFile : undefined),
  findContext: (n) => (n === "k8snode" ? k8snode : undefined),
};

const env: Omit<PluginEnv, "signal"> = {
  config: {} as Config,
  logger: pino({ level: "silent" }),
  async kube() {
    throw new Error("no cluster in this test");
  },
};

function ruleset(text: string): RuleSet {
  const r = loadRulesFromSources([{ file: "r.yaml", text }]);
  assert.deepEqual(r.problems.map(formatProblem), []);
  return r.ruleset!;
}

async function problems(text: string, withEnv = true): Promise<string[]> {
  return (await validateRules(ruleset(text), registry, withEnv ? env : undefined)).map(formatProblem);
}

describe("validateRules: conformance with Talon's tests", () => {
  test("4: an unknown actionner is rejected", async () => {
    const found = await validateRules(
      ruleset("- rule: R\n  actions:\n    - action: A\n      actionner: tests:missing\n"),
      registry,
      env,
    );
    assert.deepEqual(found.map(formatProblem), ["r.yaml:4:18: unknown actionner 'tests:missing'"]);
    assert.equal(found[0]!.rule, "R");
    assert.equal(found[0]!.action, "A");
    assert.equal(found[0]!.actionner, "tests:missing");
  });

  test("5: an unknown output target is rejected", async () => {
    const found = await validateRules(
      ruleset(`- rule: R
  actions:
    - action: Download
      actionner: kubernetes:download
      parameters:
        file: /tmp/demo.log
      output:
        target: tests:missing
        parameters:
          destination: /tmp
`),
      registry,
      env,
    );
    assert.deepEqual(found.map(formatProblem), ["r.yaml:8:17: unknown target 'tests:missing'"]);
    assert.equal(found[0]!.outputTarget, "tests:missing");
  });
});

describe("validateRules", () => {
  test("valid rules give no problem", async () => {
    assert.deepEqual(
      await problems(`- action: Label
  actionner: kubernetes:label
  parameters:
    labels: {suspicious: "true"}
- rule: R
  actions:
    - action: Label
    - action: Download
      actionner: kubernetes:download
      parameters: {file: /etc/passwd}
      output: {target: local:file, parameters: {destination: /tmp}}
      additional_contexts: [k8snode]
`),
      [],
    );
  });

  test("parameter errors name the path and point at the parameter node", async () => {
    assert.deepEqual(
      await problems(`- action: Label
  actionner: kubernetes:label
  parameters:
    labels:
      suspicious: true
- rule: R
  actions:
    - action: Label
    - action: Kill
      actionner: kubernetes:terminate
      parameters:
        grace_period_seconds: -1
    - action: Kill2
      actionner: kubernetes:terminate
      parameters: {grace_period_seconds: "2"}
`),
      [
        "r.yaml:5:19: parameters.labels.suspicious: expected a string, got true",
        "r.yaml:12:31: parameters.grace_period_seconds: expected a number >= 0, got -1",
        "r.yaml:15:42: parameters.grace_period_seconds: expected a number, got '2'",
      ],
    );
  });

  test("a rule's override points at the rule, a missing parameter at the parameters map", async () => {
    assert.deepEqual(
      await problems(`- action: Label
  actionner: kubernetes:label
  parameters:
    labels: {a: "1"}
- rule: R
  actions:
    - action: Label
      parameters:
        labels: {b: 2}
    - action: Download
      actionner: kubernetes:download
      parameters: {other: x}
      output: {target: local:file, parameters: {destination: /tmp}}
    - action: Download2
      actionner: kubernetes:download
      output: {target: local:file, parameters: {destination: /tmp}}
`),
      [
        "r.yaml:9:21: parameters.labels.b: expected a string, got 2",
        "r.yaml:12:19: parameters.file: is required (expected a string)",
        "r.yaml:12:20: unknown key 'parameters.other' for kubernetes:download",
        "r.yaml:14:7: parameters.file: is required (expected a string)",
      ],
    );
  });

  test("outputs: required, parameters required and validated, checks() run once per target+parameters", async () => {
    fileChecks = 0;
    const text = `- rule: R
  actions:
    - action: NoOutput
      actionner: kubernetes:download
      parameters: {file: /f}
    - action: NoParams
      actionner: kubernetes:download
      parameters: {file: /f}
      output: {target: local:file}
    - action: BadParams
      actionner: kubernetes:download
      parameters: {file: /f}
      output: {target: local:file, parameters: {destination: [a]}}
    - action: Missing
      actionner: kubernetes:download
      parameters: {file: /f}
      output: {target: local:file, parameters: {destination: /nonexistent/dir}}
    - action: MissingAgain
      actionner: kubernetes:download
      parameters: {file: /f}
      output: {target: local:file, parameters: {destination: /nonexistent/dir}}
`;
    assert.deepEqual(await problems(text), [
      "r.yaml:3:7: an output is required",
      "r.yaml:9:15: missing parameters for the output",
      "r.yaml:13:62: output.parameters.destination: expected a string, got a list",
      "r.yaml:17:15: output 'local:file': folder '/nonexistent/dir' does not exist",
      "r.yaml:21:15: output 'local:file': folder '/nonexistent/dir' does not exist",
    ]);
    assert.equal(fileChecks, 1);
    // Without an env, checks() are not run.
    assert.equal((await problems(text, false)).length, 3);
  });

  test("unknown contexts are rejected", async () => {
    assert.deepEqual(
      await problems(`- rule: R
  actions:
    - action: A
      actionner: kubernetes:terminate
      additional_contexts: [k8snode, gcp]
`),
      ["r.yaml:5:38: unknown context 'gcp'"],
    );
  });

  test("every problem of every rule is reported", async () => {
    const found = await problems(`- rule: R1
  actions:
    - action: A
      actionner: tests:one
    - action: B
      actionner: tests:two
- rule: R2
  actions:
    - action: C
      actionner: kubernetes:download
      parameters: {file: /f}
`);
    assert.deepEqual(found, [
      "r.yaml:4:18: unknown actionner 'tests:one'",
      "r.yaml:6:18: unknown actionner 'tests:two'",
      "r.yaml:9:7: an output is required",
    ]);
  });
});

describe("validateRules: strict parameters", () => {
  const strictRegistry: RuleRegistry = {
    ...registry,
    findActionner: (n) =>
      n === "kubernetes:networkpolicy"
        ? stubActionner(
            info("kubernetes", "networkpolicy"),
            z.object({ allow_cidr: z.array(z.string()).default([]) }),
          )
        : n === "kubernetes:annotation"
          ? stubActionner(
              info("kubernetes", "annotation"),
              z.object({
                annotations: z.record(z.string(), z.string()),
                level: z.enum(["pod", "node"]).default("pod"),
              }),
            )
          : registry.findActionner(n),
    findNotifier: (n) => (n === "slack" ? ({ info: { name: "slack" } } as never) : undefined),
    names: () => ({
      actionners: ["kubernetes:terminate", "kubernetes:label"],
      outputs: ["local:file"],
      contexts: ["k8snode", "aws"],
      notifiers: ["slack", "webhook"],
    }),
  };

  test("unknown keys of actionner and output parameters are errors at the key, with a hint", async () => {
    const text = `- action: Kill
  actionner: kubernetes:terminate
  parameters:
    grace_period_second: 20
- rule: R
  notifiers: [slak]
  actions:
    - action: Kill
    - action: Kill again
      actionner: kubernetes:terminate
      parameters: {ignoreDaemonsets: true}
    - action: Save
      actionner: kubernetes:download
      parameters: {file: /f}
      output: {target: local:file, parameters: {destination: /tmp, destinaton: /tmp}}
    - action: Note
      actionner: kubernetes:annotation
      parameters: {annotations: {a: b}, level: container}
    - action: Oops
      actionner: kubernetes:terminat
      additional_contexts: [awss]
`;
    const out = (await validateRules(ruleset(text), strictRegistry)).map(formatProblem);
    assert.deepEqual(out, [
      "r.yaml:4:5: unknown key 'parameters.grace_period_second' for kubernetes:terminate, did you mean 'grace_period_seconds'?",
      "r.yaml:6:15: unknown notifier 'slak', did you mean 'slack'?",
      "r.yaml:11:20: unknown key 'parameters.ignoreDaemonsets' for kubernetes:terminate",
      "r.yaml:15:68: unknown key 'output.parameters.destinaton' for local:file, did you mean 'destination'?",
      "r.yaml:18:48: parameters.level: invalid value 'container', expected one of: pod, node",
      "r.yaml:20:18: unknown actionner 'kubernetes:terminat', did you mean 'kubernetes:terminate'?",
      "r.yaml:21:29: unknown context 'awss', did you mean 'aws'?",
    ]);
  });

  test("a definition referenced by several rules reports its problems once", async () => {
    const text = `- action: Kill
  actionner: kubernetes:terminate
  parameters: {grace_period_seconds: -1}
- rule: A
  actions: [{action: Kill}]
- rule: B
  actions: [{action: Kill}]
- rule: C
  actions: [{action: Kill}]
`;
    assert.deepEqual((await validateRules(ruleset(text), strictRegistry)).map(formatProblem), [
      "r.yaml:3:38: parameters.grace_period_seconds: expected a number >= 0, got -1",
    ]);
  });

  test("Talon's example-only keys are accepted with a warning", async () => {
    const warnings: import("./types.js").RuleProblem[] = [];
    const text = `- rule: R
  actions:
    - action: Block
      actionner: kubernetes:networkpolicy
      parameters:
        allow: [10.0.0.0/8]
`;
    assert.deepEqual(await validateRules(ruleset(text), strictRegistry, undefined, warnings), []);
    assert.deepEqual(warnings.map(formatProblem), [
      "r.yaml:6:9: unknown key 'parameters.allow' is ignored by kubernetes:networkpolicy (kept for Talon's examples), use 'allow_cidr'",
    ]);
  });
});
