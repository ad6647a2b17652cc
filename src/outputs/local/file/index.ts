/** local:file — stores artifacts on the local file system. */
import { stat, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { z } from "zod";
import { errorText } from "../../../error-text.js";
import { defineOutput } from "../../../plugins/define.js";
import { substitute } from "../../../templating/substitute.js";
import { buildObjectKey } from "../../key.js";

const parameters = z.object({
  /** Folder receiving the artifacts; `$VAR`/`${VAR}` are expanded from the process environment. */
  destination: z.string().min(1, "destination is required"),
});

type Parameters = z.output<typeof parameters>;

/** Expands environment variables in operator-provided configuration (read only; never from events). */
export function expandEnv(value: string, environment: NodeJS.ProcessEnv = process.env): string {
  const vars = new Map<string, string>();
  for (const [k, v] of Object.entries(environment)) if (v !== undefined) vars.set(k, v);
  return substitute(value, vars, { mode: "raw" });
}

/** `<destination without trailing slashes>/<key>`. */
export function destinationFile(destination: string, key: string): string {
  return `${destination.replace(/\/+$/, "")}/${key}`;
}

async function checkFolder(destination: string): Promise<void> {
  const folder = expandEnv(destination);
  const info = await stat(folder).catch(() => undefined);
  if (info === undefined) throw new Error(`folder '${folder}' does not exist`);
  if (!info.isDirectory()) throw new Error(`'${folder}' is not a folder`);
}

export default defineOutput({
  info: {
    category: "local",
    name: "file",
    description: "Store on local file system",
    permissions: {},
    example: `- action: Get logs of the pod
  actionner: kubernetes:log
  parameters:
    tail_lines: 200
  output:
    target: local:file
    parameters:
      destination: /var/logs/falco-talon/
`,
  },
  parameters,
  async checks(params: Parameters) {
    await checkFolder(params.destination);
  },
  async run({ artifact, parameters: params }) {
    const file = destinationFile(expandEnv(params.destination), buildObjectKey(artifact, new Date()));
    const objects = { file: artifact.name, destination: file };
    try {
      // `wx` never overwrites an existing artifact; the mode applies at creation.
      await writeFile(file, artifact.bytes, { mode: 0o600, flag: "wx" });
    } catch (err) {
      return { status: "failure", error: errorText(err), objects };
    }
    return {
      status: "success",
      output: `the file '${basename(artifact.name)}' has been copied to '${file}'`,
      objects,
    };
  },
});
