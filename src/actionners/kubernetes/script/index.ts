/**
 * kubernetes:script — copies a script (inline `script`, or `file` on the engine host) into one
 * container over stdin and runs it with `shell` (talon.md §4.5). The script lands in a mktemp
 * file that is removed afterwards; event values are substituted shell-quoted.
 */
import { accessSync, constants, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { kubeErrorMessage } from "../../../kube/call.js";
import { commandOutcome, execInPod, POD_EXEC_RULES, pickContainer } from "../../../kube/exec.js";
import { podRefFromEvent } from "../../../kube/pods.js";
import type { Actionner, ActionResult } from "../../../plugins/types.js";
import { shellQuote, substitute } from "../../../templating/substitute.js";
import { eventPod } from "../pod.js";

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
      if (problem) ctx.addIssue({ code: "custom", path: ["file"], message: problem });
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

async function scriptText(p: Params): Promise<string> {
  if (p.script !== undefined) return p.script;
  try {
    return await readFile(p.file as string, "utf8");
  } catch (err) {
    throw new Error(`can't read the file '${p.file}': ${(err as Error).message}`);
  }
}

const script: Actionner<typeof parameters> = {
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
  async checks(input) {
    await eventPod(input);
  },
  async run(input): Promise<ActionResult> {
    const { event, parameters: p, vars, env } = input;
    const ref = podRefFromEvent(event);
    const objects: Record<string, string> = { pod: ref.name, namespace: ref.namespace };
    try {
      const text = substitute(await scriptText(p), vars, { mode: "shell" });
      const body = Buffer.from(text, "utf8");
      const kube = env.kube();
      const pod = await eventPod(input);
      const container = pickContainer(pod, p.container);
      objects["container"] = container;
      const result = await execInPod(kube, {
        namespace: ref.namespace,
        pod: ref.name,
        container,
        command: [p.shell, "-c", scriptWrapper(p.shell, body.length)],
        stdin: body,
        signal: env.signal,
      });
      return commandOutcome(result, objects);
    } catch (err) {
      return { status: "failure", error: kubeErrorMessage(err), objects };
    }
  },
};

export default script;
