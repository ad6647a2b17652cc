/**
 * kubernetes:exec — runs `command` with `shell -c` in one container of the event's pod.
 * Event values reach the shell as variables defined before the command (see
 * src/templating/shell-template.ts), never as shell code; a command that uses a variable where
 * the shell would still evaluate it (arithmetic, eval, sh -c...) is rejected when rules load.
 */
import { z } from "zod";
import { execInPod, pickContainer } from "../../../kube/exec.js";
import { podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionInput, ActionPlan, ActionResult } from "../../../plugins/types.js";
import { checkShellTemplate, renderShellTemplate } from "../../../templating/shell-template.js";
import type { TemplateVars } from "../../../templating/substitute.js";
import { commandOutcome, POD_EXEC_RULES } from "../command.js";
import { checkEventPod, eventPod, podObjects, podText, runOnPod } from "../pod.js";

const parameters = z
  .object({
    command: z.string().trim().min(1, "parameter 'command' is required"),
    shell: z.string().min(1).default("/bin/sh"),
    /** The container to run in; default the pod's first container. */
    container: z.string().min(1).optional(),
  })
  .superRefine((p, ctx) => {
    for (const problem of checkShellTemplate(p.command)) {
      ctx.addIssue({ code: "custom", path: ["command"], message: problem.message });
    }
  });
type Params = z.output<typeof parameters>;

/** The exact argv exec'd in the container: `[shell, "-c", <assignments + rewritten command>]`. */
export function execArgv(shell: string, command: string, vars: TemplateVars): string[] {
  return [shell, "-c", renderShellTemplate(command, vars)];
}

/** The dry-run plan: the pod and the command line, without any API call. */
export function execPlan(input: ActionInput<Params>): ActionPlan {
  const { parameters: p } = input;
  const ref = podRefFromEvent(input.event);
  const argv = execArgv(p.shell, p.command, input.vars);
  const objects = podObjects(ref);
  if (p.container !== undefined) objects["container"] = p.container;
  const where = p.container !== undefined ? ` in the container '${p.container}' of` : " in";
  return {
    objects,
    plan: `exec ${JSON.stringify(argv)}${where} ${podText(ref)}`,
    details: { command: argv },
  };
}

export default defineActionner({
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
  checks: checkEventPod,
  plan: execPlan,
  run: (input): Promise<ActionResult> =>
    runOnPod(input, async (ref, objects) => {
      const { parameters: p, vars, env } = input;
      const command = execArgv(p.shell, p.command, vars);
      const kube = await env.kube();
      const pod = await eventPod(input);
      const container = pickContainer(pod, p.container);
      objects["container"] = container;
      const result = await execInPod(kube, {
        namespace: ref.namespace,
        pod: ref.name,
        container,
        command,
        signal: env.signal,
      });
      return commandOutcome(result, objects);
    }),
});
