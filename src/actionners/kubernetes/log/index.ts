/**
 * kubernetes:log — the last `tail_lines` log lines of one container or of every container of
 * the event's pod. Returned as the `log` artifact: printed in the action's log
 * line when no output is set, else handed to the output.
 */
import { z } from "zod";
import { callOptions, kubeCall, requestOptions } from "../../../kube/call.js";
import { pickContainer } from "../../../kube/exec.js";
import { podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult } from "../../../plugins/types.js";
import { containerName } from "../params.js";
import { checkEventPod, eventPod, podText, runOnPod } from "../pod.js";

// Talon: any value ≤ 0 means the default, 20.
const tailLines = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\s*-?\d+\s*$/, "expected an integer")
      .transform(Number),
  ])
  .pipe(z.number().int())
  .transform((n) => (n <= 0 ? 20 : n));

const parameters = z.object({
  tail_lines: tailLines.default(20),
  /** One container; default every container of the pod. */
  container: containerName.optional(),
});

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "log",
    description: "Get the logs of the pod's containers",
    source: "syscall",
    continue: true,
    useContext: false,
    allowOutput: true,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      ],
    },
    example: `- action: Get logs of the pod
  actionner: kubernetes:log
  parameters:
    tail_lines: 200
  output:
    target: local:file
    parameters:
      destination: /var/lib/falco-talon/logs
`,
  },
  parameters,
  checks: checkEventPod,
  plan({ event, parameters: p }): ActionPlan {
    const ref = podRefFromEvent(event);
    return {
      objects: {
        pod: ref.name,
        namespace: ref.namespace,
        ...(p.container ? { container: p.container } : {}),
      },
      plan: `read the last ${p.tail_lines} log lines of ${p.container ? `the container '${p.container}'` : "every container"} of ${podText(ref)}`,
      details: { tail_lines: p.tail_lines, ...(p.container ? { container: p.container } : {}) },
    };
  },
  run: (input): Promise<ActionResult> =>
    runOnPod(input, async (ref, objects) => {
      const { parameters: p, env } = input;
      const kube = await env.kube();
      const pod = await eventPod(input);
      const containers =
        p.container !== undefined
          ? [pickContainer(pod, p.container)]
          : (pod.spec?.containers ?? []).map((c) => c.name);
      if (containers.length === 0) throw new Error(`the pod '${ref.name}' has no containers`);
      const parts: string[] = [];
      for (const container of containers) {
        const text = await kubeCall(
          `get logs ${ref.namespace}/${ref.name}/${container}`,
          (signal) =>
            kube.core.readNamespacedPodLog(
              { name: ref.name, namespace: ref.namespace, container, tailLines: p.tail_lines },
              requestOptions(signal),
            ),
          callOptions(env),
        );
        const body = String(text ?? "");
        // With several containers each block is headed by its container's name.
        parts.push(containers.length > 1 ? `==> ${container} <==\n${body}` : body);
      }
      if (p.container !== undefined) objects["container"] = p.container;
      return {
        status: "success",
        output: `the logs for the pod '${ref.name}' in the namespace '${ref.namespace}' have been downloaded`,
        objects,
        data: {
          name: "log",
          objects: { pod: ref.name, namespace: ref.namespace },
          bytes: Buffer.from(parts.join(parts.length > 1 ? "\n" : ""), "utf8"),
          contentType: "text/plain; charset=utf-8",
        },
      };
    }),
});
