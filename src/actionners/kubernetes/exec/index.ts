/**
 * kubernetes:exec — runs `command` with `shell -c` in one container of the event's pod
 * (talon.md §4.4). Event values are substituted shell-quoted, so they stay literal text.
 */
import { z } from "zod";
import { kubeErrorMessage } from "../../../kube/call.js";
import { commandOutcome, execInPod, POD_EXEC_RULES, pickContainer } from "../../../kube/exec.js";
import { podRefFromEvent } from "../../../kube/pods.js";
import type { Actionner, ActionResult } from "../../../plugins/types.js";
import { substitute } from "../../../templating/substitute.js";
import { eventPod } from "../pod.js";

const parameters = z.object({
  command: z.string().trim().min(1, "parameter 'command' is required"),
  shell: z.string().min(1).default("/bin/sh"),
  /** The container to run in; default the pod's first container. */
  container: z.string().min(1).optional(),
});

const exec: Actionner<typeof parameters> = {
  info: {
    category: "kubernetes",
    name: "exec",
    description: "Exec a command in a container of the pod",
    source: "syscall",
    continue: true,
    useContext: true,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: POD_EXEC_RULES,
    },
    example: `- action: Print the process tree
  actionner: kubernetes:exec
  parameters:
    shell: /bin/sh
    command: ps -ef; echo "offending process: \${PROC_NAME}"
`,
  },
  parameters,
  async checks(input) {
    await eventPod(input);
  },
  async run(input): Promise<ActionResult> {
    const { event, parameters: p, vars, env } = input;
    const ref = podRefFromEvent(event);
    const objects: Record<string, string> = { pod: ref.name, namespace: ref.namespace };
    try {
      const kube = env.kube();
      const pod = await eventPod(input);
      const container = pickContainer(pod, p.container);
      objects["container"] = container;
      const command = substitute(p.command, vars, { mode: "shell" });
      const result = await execInPod(kube, {
        namespace: ref.namespace,
        pod: ref.name,
        container,
        command: [p.shell, "-c", command],
        signal: env.signal,
      });
      return commandOutcome(result, objects);
    } catch (err) {
      return { status: "failure", error: kubeErrorMessage(err), objects };
    }
  },
};

export default exec;
