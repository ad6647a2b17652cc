/**
 * A Pipeline over stub plug-ins for the unit tests beside src/pipeline: `tests:*` actionners
 * (terminate, label, fail, ignore, badcheck, capture, ctx, badname, planned, stuck), the
 * `recorder` notifier, the `testctx` context and the real local:file output; it records calls,
 * inputs, notifications, logs, metrics and audit entries.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { z } from "zod";
import type { AuditRecord } from "../../src/audit/log.js";
import { configSchema } from "../../src/config/schema.js";
import { decodeEvent } from "../../src/events/decode.js";
import type { FalcoEvent } from "../../src/events/event.js";
import { InvalidNameError } from "../../src/kube/names.js";
import { Metrics } from "../../src/metrics/metrics.js";
import localFile from "../../src/outputs/local/file/index.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import type { OutcomeWatcher } from "../../src/pipeline/report.js";
import type { PluginLookup } from "../../src/plugins/lookup.js";
import type {
  ActionInput,
  Actionner,
  ActionnerInfo,
  ActionResult,
  ContextProvider,
  Notification,
  Notifier,
  Output,
} from "../../src/plugins/types.js";
import { loadRulesFromSources } from "../../src/rules/index.js";

export interface Harness {
  pipeline: Pipeline;
  calls: string[];
  inputs: ActionInput<unknown>[];
  notifications: Notification[];
  logs: Record<string, unknown>[];
  metrics: Metrics;
  /** Action, output and revert entries. */
  audits: AuditRecord[];
  /** `event` entries (one per matched event). */
  eventAudits: AuditRecord[];
  done(): Promise<void>;
}

function stubActionner(
  name: string,
  opts: {
    continue?: boolean;
    useContext?: boolean;
    requireOutput?: boolean;
    allowOutput?: boolean;
    run?: (input: ActionInput<unknown>) => Promise<ActionResult> | ActionResult;
    checks?: () => Promise<void>;
    plan?: Actionner["plan"];
  },
  calls: string[],
  inputs: ActionInput<unknown>[],
): Actionner {
  return {
    info: stubActionnerInfo(name, opts),
    parameters: z.object({ n: z.number().default(1) }).loose(),
    checks: async () => {
      calls.push(`checks:${name}`);
      await opts.checks?.();
    },
    ...(opts.plan ? { plan: opts.plan } : {}),
    run: async (input) => {
      calls.push(`run:${name}`);
      inputs.push(input);
      return opts.run
        ? opts.run(input)
        : { status: "success", output: `${name} done`, objects: { pod: "p1" } };
    },
  };
}

/** The `info` of a stub actionner in tests (category `tests`). */
export function stubActionnerInfo(
  name: string,
  opts: Partial<Pick<ActionnerInfo, "continue" | "useContext" | "allowOutput" | "requireOutput">> = {},
): ActionnerInfo {
  return {
    category: "tests",
    name,
    description: "stub",
    source: "any",
    continue: opts.continue ?? true,
    useContext: opts.useContext ?? false,
    allowOutput: opts.allowOutput ?? false,
    requireOutput: opts.requireOutput ?? false,
    requiredOutputFields: [],
    permissions: {},
    example: "",
  };
}

export function harness(
  rulesYaml: string,
  configOverrides: Record<string, unknown> = {},
  extra: { watcher?: OutcomeWatcher } = {},
): Harness {
  const calls: string[] = [];
  const inputs: ActionInput<unknown>[] = [];
  const notifications: Notification[] = [];
  const logs: Record<string, unknown>[] = [];
  const actionners = [
    stubActionner("terminate", { continue: false }, calls, inputs),
    stubActionner("label", {}, calls, inputs),
    stubActionner("fail", { run: () => ({ status: "failure", error: "boom", objects: {} }) }, calls, inputs),
    stubActionner(
      "ignore",
      { run: () => ({ status: "ignored", output: "skipped", objects: {} }) },
      calls,
      inputs,
    ),
    stubActionner(
      "badcheck",
      { checks: async () => Promise.reject(new Error("no such pod")) },
      calls,
      inputs,
    ),
    stubActionner(
      "capture",
      {
        requireOutput: true,
        run: () => ({
          status: "success",
          objects: { pod: "p1", namespace: "ns" },
          data: {
            name: "payload.txt",
            objects: { pod: "p1", namespace: "ns" },
            bytes: Buffer.from("payload"),
          },
        }),
      },
      calls,
      inputs,
    ),
    stubActionner("ctx", { useContext: true }, calls, inputs),
    stubActionner(
      "badname",
      {
        checks: async () =>
          Promise.reject(
            new InvalidNameError("invalid pod name '..' in k8s.pod.name: not a DNS-1123 subdomain"),
          ),
        plan: () => {
          throw new InvalidNameError("invalid pod name '..' in k8s.pod.name: not a DNS-1123 subdomain");
        },
      },
      calls,
      inputs,
    ),
    stubActionner(
      "planned",
      {
        plan: (input) => ({
          objects: { pod: String(input.event.output_fields["k8s.pod.name"]), namespace: "default" },
          plan: 'set labels {"quarantine":"true"} on the pod',
          details: { labels: { quarantine: "true" } },
        }),
      },
      calls,
      inputs,
    ),
    stubActionner("stuck", { run: () => new Promise<ActionResult>(() => {}) }, calls, inputs),
  ];
  const notifier: Notifier = {
    info: { name: "recorder", description: "", permissions: {}, example: "" },
    parameters: z.object({ fail: z.boolean().default(false) }),
    send: async (n, settings) => {
      if ((settings as { fail: boolean }).fail) throw new Error("receiver down");
      notifications.push(n);
    },
  };
  const context: ContextProvider = {
    info: { name: "testctx", description: "", permissions: {} },
    fetch: async () => ({ "node.hostname": "node-1", "node.empty": "" }),
  };
  const plugins: PluginLookup = {
    findActionner: (n) => actionners.find((a) => `${a.info.category}:${a.info.name}` === n),
    findOutput: (n) => (n === "local:file" ? (localFile as Output) : undefined),
    findNotifier: (n) => (n === "recorder" ? notifier : undefined),
    findContext: (n) => (n === "testctx" ? context : undefined),
  };
  const loaded = loadRulesFromSources([{ file: "rules.yaml", text: rulesYaml }]);
  assert.deepEqual(loaded.problems, [], "rules load");
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const logger = pino({ messageKey: "message", level: "debug" }, sink);
  const config = configSchema.parse({ default_notifiers: ["recorder"], ...configOverrides });
  const metrics = new Metrics();
  const audits: AuditRecord[] = [];
  const eventAudits: AuditRecord[] = [];
  const pipeline = new Pipeline({
    audit: { record: (r) => (r.message === "event" ? eventAudits : audits).push(r), close: () => {} },
    config,
    logger,
    metrics,
    rules: () => loaded.ruleset!,
    kube: async () => {
      throw new Error("no cluster in unit tests");
    },
    plugins,
    ...extra,
  });
  return {
    pipeline,
    calls,
    inputs,
    notifications,
    logs,
    metrics,
    audits,
    eventAudits,
    done: async () => {
      assert.equal(await pipeline.stop(5000), true);
    },
  };
}

export const event = (extra: Record<string, unknown> = {}): FalcoEvent =>
  decodeEvent(
    JSON.stringify({
      rule: "Terminal shell in container",
      priority: "Warning",
      output: "shell in nginx",
      output_fields: { "k8s.pod.name": "nginx", "k8s.ns.name": "default" },
      ...extra,
    }),
  );
