/** Helpers for the evidence-collecting actionner tests (exec, script, log, download, tcpdump, sysdig). */
import { dirname, join } from "node:path";
import type { z } from "zod";
import type { FalcoEvent } from "../../src/events/event.js";
import type { KubeClient } from "../../src/kube/client.js";
import type { Actionner, ActionResult, PluginEnv } from "../../src/plugins/types.js";
import { buildVars } from "../../src/templating/substitute.js";
import { KUBECONFIG_ENV, makeEvent } from "../support/k8s.js";

/** Like runActionner, but with the event's real substitution variables (as the pipeline builds them). */
export async function runWithVars<S extends z.ZodType>(
  actionner: Actionner<S>,
  env: PluginEnv,
  event: FalcoEvent,
  rawParameters: unknown = {},
): Promise<ActionResult> {
  const parameters = actionner.parameters.parse(rawParameters) as z.output<S>;
  const input = { event, parameters, vars: buildVars(event), rule: "Test rule", action: "test", env };
  await actionner.checks(input);
  return actionner.run(input);
}

export const podEvent = (pod: string, ns: string, extra: Record<string, unknown> = {}) =>
  makeEvent({ "k8s.pod.name": pod, "k8s.ns.name": ns, ...extra });

/**
 * kwok runs pods/exec as local processes in RUN/rootfs (scripts/k8s/up.sh); RUN is the folder
 * of the test kubeconfig.
 */
export function clusterRootfs(): string {
  const kubeconfig = process.env[KUBECONFIG_ENV] ?? "";
  if (kubeconfig === "") throw new Error(`${KUBECONFIG_ENV} is unset`);
  return join(dirname(kubeconfig), "rootfs");
}

/** A pod with two containers, `first` and `second`, on the given node. */
export async function createTwoContainerPod(kube: KubeClient, namespace: string, name: string, node: string) {
  return kube.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app: name } },
      spec: {
        nodeName: node,
        containers: [
          { name: "first", image: "registry.local/fake:1" },
          { name: "second", image: "registry.local/fake:1" },
        ],
      },
    },
  });
}
