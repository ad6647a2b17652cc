import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import { buildVars } from "../../../templating/substitute.js";
import script, { scriptPayload, scriptWrapper } from "./index.js";

const event = decodeEvent(
  JSON.stringify({
    rule: "R",
    output_fields: { "k8s.pod.name": "web-1", "k8s.ns.name": "prod", "proc.cmdline": "sh -c 'id'" },
  }),
);
const dir = mkdtempSync(join(tmpdir(), "talon-script-unit-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function input(raw: unknown): ActionInput<ReturnType<typeof script.parameters.parse>> {
  const env = {} as PluginEnv;
  return {
    event,
    parameters: script.parameters.parse(raw),
    vars: buildVars(event),
    rule: "R",
    action: "a",
    env,
  };
}

describe("kubernetes:script", () => {
  it("validates parameters", () => {
    assert.throws(() => script.parameters.parse({}), /exactly one of the parameters 'script' or 'file'/);
    assert.throws(
      () => script.parameters.parse({ script: "id", file: "/etc/hostname" }),
      /exactly one of the parameters 'script' or 'file'/,
    );
    assert.throws(
      () => script.parameters.parse({ file: join(dir, "missing.sh") }),
      /the file '.*missing\.sh' doesn't exist/,
    );
    assert.throws(() => script.parameters.parse({ file: dir }), /is not a regular file/);
    assert.equal(script.parameters.parse({ script: "id" }).shell, "/bin/sh");
  });
  it("scriptPayload: the wrapper argv and the script with its assignments on stdin", () => {
    const p = scriptPayload("/bin/bash", "#!/bin/bash\necho $PROC_CMDLINE\n", buildVars(event));
    const text = `#!/bin/bash\n__talon_PROC_CMDLINE='sh -c '\\''id'\\'''\necho "\${__talon_PROC_CMDLINE}"\n`;
    assert.equal(p.stdin.toString("utf8"), text);
    assert.deepEqual(p.command, ["/bin/bash", "-c", scriptWrapper("/bin/bash", Buffer.byteLength(text))]);
  });
  it("plan: objects and the exact command line, from a file read at plan time", async () => {
    const file = join(dir, "collect.sh");
    writeFileSync(file, "echo $PROC_CMDLINE\n");
    const p = await script.plan?.(input({ file }));
    assert.deepEqual(p?.objects, { pod: "web-1", namespace: "prod" });
    const body = `__talon_PROC_CMDLINE='sh -c '\\''id'\\'''\necho "\${__talon_PROC_CMDLINE}"\n`;
    const argv = ["/bin/sh", "-c", scriptWrapper("/bin/sh", Buffer.byteLength(body))];
    assert.equal(
      p?.plan,
      `exec ${JSON.stringify(argv)} with a ${Buffer.byteLength(body)}-byte script on stdin in the pod 'web-1' in the namespace 'prod'`,
    );
    assert.deepEqual(p?.details, { command: argv, script: body });
  });
  it("the parameters schema checks inline scripts and files at load", () => {
    const inline = script.parameters.safeParse({ script: "echo ok\nlet n=$PROC_PID\n" });
    assert.deepEqual(inline.error?.issues[0]?.path, ["script"]);
    assert.match(
      inline.error?.issues[0]?.message ?? "",
      /the variable PROC_PID \(line 2, column 7\) .*'let'/,
    );
    const file = join(dir, "bad.sh");
    writeFileSync(file, "cat <<'EOF'\n$FD_NAME\nEOF\n");
    const fromFile = script.parameters.safeParse({ file });
    assert.deepEqual(fromFile.error?.issues[0]?.path, ["file"]);
    assert.match(
      fromFile.error?.issues[0]?.message ?? "",
      /in the file '.*bad\.sh': the variable FD_NAME .*quoted delimiter/,
    );
  });
});
