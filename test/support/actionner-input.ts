/**
 * Inputs for an actionner's unit tests (the index.test.ts beside each actionner): a Falco
 * event for a pod, an env whose any use of the cluster fails the test (a plan or a parameter
 * check sends no request), and the actionner's parameters parsed from raw YAML values.
 */
import type { z } from "zod";
import { decodeEvent } from "../../src/events/decode.js";
import type { FalcoEvent } from "../../src/events/event.js";
import type { ActionInput, Actionner, PluginEnv } from "../../src/plugins/types.js";
import type { TemplateVars } from "../../src/templating/substitute.js";

/** An event of rule `R` for the pod `web-1` in `prod`, with more output fields if given. */
export function podEvent(extraFields: Record<string, unknown> = {}): FalcoEvent {
  return decodeEvent(
    JSON.stringify({
      rule: "R",
      output_fields: { "k8s.pod.name": "web-1", "k8s.ns.name": "prod", ...extraFields },
    }),
  );
}

/** Any use of the cluster fails the test. */
export const noClusterEnv = {
  async kube() {
    throw new Error("the plan sent a request");
  },
} as unknown as PluginEnv;

/** `path: message` of each problem zod finds with the parameters. */
export function parameterIssues(actionner: Pick<Actionner, "parameters">, raw: unknown): string[] {
  const r = actionner.parameters.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

export function actionInput<S extends z.ZodType>(
  actionner: Actionner<S>,
  raw: unknown,
  opts: { event?: FalcoEvent; vars?: TemplateVars } = {},
): ActionInput<z.output<S>> {
  return {
    event: opts.event ?? podEvent(),
    parameters: actionner.parameters.parse(raw),
    vars: opts.vars ?? new Map(),
    rule: "R",
    action: "a",
    env: noClusterEnv,
  };
}
