/**
 * kubernetes:script — copies a script (inline `script`, or `file` on the engine host) into one
 * container over stdin and runs it with `shell`. The script lands in a mktemp file that is
 * removed afterwards. Event values reach the shell as variables assigned at the top of the script
 * (see src/templating/shell-template.ts), never as shell code; a script that uses a variable where
 * the shell would still evaluate it is rejected when rules load (a `file` is read and checked then).
 */
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { errorText } from "../../../error-text.js";
import { execInPod, pickContainer } from "../../../kube/exec.js";
import { podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionInput, ActionPlan, ActionResult } from "../../../plugins/types.js";
import { shellQuote } from "../../../templating/quote.js";
import { checkShellTemplate, renderShellTemplate } from "../../../templating/shell-template.js";
import type { TemplateVars } from "../../../templating/substitute.js";
import { commandOutcome, POD_EXEC_RULES } from "../command.js";
import { checkEventPod, eventPod, podObjects, podText, runOnPod } from "../pod.js";

/** Why `path` can't be used as a script file, or undefined when it can. */
function fileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `the file '${path}' is not a regular file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") return `the file '${path}' doesn't exist`;
    return `the file '${path}' can't be read (${code ?? String(err)})`;
  }
}

const parameters = z
  .object({
    script: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
    shell: z.string().min(1).default("/bin/sh"),
    /** The container to run in; default the pod's first container. */
    container: z.string().min(1).optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.script === undefined) === (p.file === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "exactly one of the parameters 'script' or 'file' is required",
      });
      return;
    }
    if (p.file !== undefined) {
      const problem = fileProblem(p.file);
      if (problem) {
        ctx.addIssue({ code: "custom", path: ["file"], message: problem });
        return;
      }
    }
    let text: string;
    try {
      text = p.script ?? readFileSync(p.file as string, "utf8");
    } catch (err) {
      ctx.addIssue({
        code: "custom",
        path: ["file"],
        message: `can't read the file '${p.file}': ${errorText(err)}`,
      });
      return;
    }
    for (const problem of checkShellTemplate(text)) {
      const message = p.file !== undefined ? `in the file '${p.file}': ${problem.message}` : problem.message;
      ctx.addIssue({ code: "custom", path: [p.file !== undefined ? "file" : "script"], message });
    }
  });
type Params = z.output<typeof parameters>;

/**
 * The wrapper run with `shell -c`: reads exactly `size` bytes of stdin into a private temp file
 * (no EOF needed), runs it, removes it and exits with the script's code.
 */
export function scriptWrapper(shell: string, size: number): string {
  return [
    `f=$(mktemp "\${TMPDIR:-/tmp}/falco-talon-script.XXXXXX") || exit 125`,
    `head -c ${size} > "$f" && ${shellQuote(shell)} "$f" </dev/null`,
    "rc=$?",
    'rm -f "$f"',
    "exit $rc",
  ].join("\n");
}

/**
 * What is sent to the container: the argv of the wrapper, and on its stdin the script with the
 * event's variables assigned at its top (references rewritten to them).
 */
export function scriptPayload(
  shell: string,
  script: string,
  vars: TemplateVars,
): { command: string[]; stdin: Buffer } {
  const stdin = Buffer.from(renderShellTemplate(script, vars), "utf8");
  return { command: [shell, "-c", scriptWrapper(shell, stdin.length)], stdin };
}

/** The dry-run plan: the pod, the command line and the script sent on stdin, without any API call. */
export async function scriptPlan(input: ActionInput<Params>): Promise<ActionPlan> {
  const { parameters: p } = input;
  const ref = podRefFromEvent(input.event);
  const { command, stdin } = scriptPayload(p.shell, await scriptText(p), input.vars);
  const objects = podObjects(ref);
  if (p.container !== undefined) objects["container"] = p.container;
  const where = p.container !== undefined ? ` in the container '${p.container}' of` : " in";
  return {
    objects,
    plan: `exec ${JSON.stringify(command)} with a ${stdin.length}-byte script on stdin${where} ${podText(ref)}`,
    details: { command, script: stdin.toString("utf8") },
  };
}

async function scriptText(p: Params): Promise<string> {
  if (p.script !== undefined) return p.script;
  try {
    return await readFile(p.file as string, "utf8");
  } catch (err) {
    throw new Error(`can't read the file '${p.file}': ${errorText(err)}`);
  }
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "script",
    description: "Run a script in a container of the pod",
    source: "syscall",
    continue: true,
    useContext: true,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: POD_EXEC_RULES,
    },
    example: `- action: Collect forensics
  actionner: kubernetes:script
  parameters:
    shell: /bin/sh
    script: |
      ps -ef
      echo "rule: \${RULE}"
`,
  },
  parameters,
  checks: checkEventPod,
  plan: scriptPlan,
  run: (input): Promise<ActionResult> =>
    runOnPod(input, async (ref, objects) => {
      const { parameters: p, vars, env } = input;
      const { command, stdin } = scriptPayload(p.shell, await scriptText(p), vars);
      const kube = await env.kube();
      const pod = await eventPod(input);
      const container = pickContainer(pod, p.container);
      objects["container"] = container;
      const result = await execInPod(kube, {
        namespace: ref.namespace,
        pod: ref.name,
        container,
        command,
        stdin,
        signal: env.signal,
      });
      return commandOutcome(result, objects);
    }),
});
