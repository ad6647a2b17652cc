/**
 * kubernetes:download — fetches a file from the event's pod and hands it to
 * the output. The path is substituted as plain text and passed as one argv entry of `cat`
 * (no shell), and stdout is kept as raw bytes, so any file comes back byte-identical.
 */
import { z } from "zod";
import { execFailure, execInPod, pickContainer } from "../../../kube/exec.js";
import { podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult } from "../../../plugins/types.js";
import { substitute } from "../../../templating/substitute.js";
import { POD_EXEC_RULES } from "../command.js";
import { containerName } from "../params.js";
import { checkEventPod, eventPod, podText, runOnPod } from "../pod.js";

const parameters = z.object({
  file: z.string().trim().min(1, "parameter 'file' is required"),
  /** The container to read from; default each container in turn until one has the file. */
  container: containerName.optional(),
});

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "download",
    description: "Download a file from the pod",
    source: "syscall",
    continue: true,
    useContext: false,
    allowOutput: true,
    requireOutput: true,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: POD_EXEC_RULES,
    },
    example: `- action: Download the modified file
  actionner: kubernetes:download
  parameters:
    file: "\${FD_NAME}"
  output:
    target: local:file
    parameters:
      destination: /var/lib/falco-talon/downloads
`,
  },
  parameters,
  checks: checkEventPod,
  plan({ event, parameters: p, vars }): ActionPlan {
    const ref = podRefFromEvent(event);
    const file = substitute(p.file, vars, { mode: "raw" });
    return {
      objects: { pod: ref.name, namespace: ref.namespace, file },
      plan: `download the file '${file}' from ${p.container ? `the container '${p.container}'` : "the first container that has it"} of ${podText(ref)}`,
      details: { command: ["cat", "--", file], ...(p.container ? { container: p.container } : {}) },
    };
  },
  run: (input): Promise<ActionResult> =>
    runOnPod(input, async (ref, objects) => {
      const { parameters: p, vars, env } = input;
      const file = substitute(p.file, vars, { mode: "raw" });
      if (file.trim() === "") throw new Error(`the file path '${p.file}' is empty after substitution`);
      objects["file"] = file;
      const kube = await env.kube();
      const pod = await eventPod(input);
      const containers =
        p.container !== undefined
          ? [pickContainer(pod, p.container)]
          : (pod.spec?.containers ?? []).map((c) => c.name);
      const errors: string[] = [];
      for (const container of containers) {
        const result = await execInPod(kube, {
          namespace: ref.namespace,
          pod: ref.name,
          container,
          command: ["cat", "--", file],
          signal: env.signal,
        });
        const error = execFailure(result);
        if (error) {
          errors.push(`${container}: ${error}`);
          continue;
        }
        return {
          status: "success",
          output: `the file '${file}' has been downloaded`,
          objects: { ...objects, container },
          data: {
            name: file,
            objects: { pod: ref.name, namespace: ref.namespace, file },
            bytes: result.stdout,
          },
        };
      }
      return {
        status: "failure",
        error: `can't download the file '${file}': ${errors.join("; ") || "no containers"}`,
        objects,
      };
    }),
});
