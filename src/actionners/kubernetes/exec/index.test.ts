import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import { buildVars } from "../../../templating/substitute.js";
import exec, { execArgv } from "./index.js";

const event = decodeEvent(
  JSON.stringify({
    rule: "R",
    output_fields: { "k8s.pod.name": "web-1", "k8s.ns.name": "prod", "fd.name": "x; touch /tmp/pwned" },
  }),
);

function input(raw: unknown): ActionInput<ReturnType<typeof exec.parameters.parse>> {
  const env = {} as PluginEnv;
  return {
    event,
    parameters: exec.parameters.parse(raw),
    vars: buildVars(event),
    rule: "R",
    action: "a",
    env,
  };
}

describe("kubernetes:exec", () => {
  it("validates parameters", () => {
    assert.deepEqual(exec.parameters.parse({ command: "id" }), { command: "id", shell: "/bin/sh" });
    assert.throws(() => exec.parameters.parse({}));
    assert.throws(() => exec.parameters.parse({ command: "  " }), /command/);
  });
  it("a blank command is refused with its own message", () => {
    const r = exec.parameters.safeParse({ command: "  " });
    assert.deepEqual(
      r.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      ["command: parameter 'command' is required"],
    );
  });
  it("execArgv: the values are assigned first and the command refers to them", () => {
    assert.deepEqual(execArgv("/bin/sh", 'echo "seen $(basename ${FD_NAME})"', buildVars(event)), [
      "/bin/sh",
      "-c",
      `__talon_FD_NAME='x; touch /tmp/pwned'\necho "seen $(basename "\${__talon_FD_NAME}")"`,
    ]);
  });
  it("plan: the pod, the container when set, and the exact argv, without any API call", async () => {
    const p = await exec.plan?.(input({ command: "cat $FD_NAME", container: "app" }));
    const argv = ["/bin/sh", "-c", `__talon_FD_NAME='x; touch /tmp/pwned'\ncat "\${__talon_FD_NAME}"`];
    assert.deepEqual(p, {
      objects: { pod: "web-1", namespace: "prod", container: "app" },
      plan: `exec ${JSON.stringify(argv)} in the container 'app' of the pod 'web-1' in the namespace 'prod'`,
      details: { command: argv },
    });
    const q = await exec.plan?.(input({ command: "id", shell: "/bin/bash" }));
    assert.deepEqual(q?.objects, { pod: "web-1", namespace: "prod" });
    assert.equal(q?.plan, `exec ["/bin/bash","-c","id"] in the pod 'web-1' in the namespace 'prod'`);
  });
  it("the parameters schema refuses a command that would evaluate a value, at 'command'", () => {
    const r = exec.parameters.safeParse({ command: "eval $FD_NAME" });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ["command"]);
    assert.match(r.error?.issues[0]?.message ?? "", /the variable FD_NAME \(line 1, column 6\) .*'eval'/);
  });
});
