import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { checkShellTemplate, renderShellTemplate, shellAssignments } from "./shell-template.js";

const sh = (cmd: string) => execFileSync("/bin/sh", ["-c", cmd], { encoding: "utf8" });

describe("renderShellTemplate", () => {
  const vars = new Map([
    ["FD_NAME", "x; touch /tmp/pwned"],
    ["FALCO-TALON_RULE", "it's"],
  ]);
  it("assigns each variable used, once, before the rewritten template", () => {
    assert.equal(
      renderShellTemplate("echo $FD_NAME ${FALCO-TALON_RULE} $FD_NAME $NOPE", vars),
      "__talon_FD_NAME='x; touch /tmp/pwned'\n__talon_0_FALCO_TALON_RULE='it'\\''s'\n__talon_NOPE=''\n" +
        'echo "${__talon_FD_NAME}" "${__talon_0_FALCO_TALON_RULE}" "${__talon_FD_NAME}" "${__talon_NOPE}"',
    );
  });
  it("keeps a #! line first", () => {
    assert.equal(
      renderShellTemplate("#!/bin/bash\necho $FD_NAME\n", vars).split("\n")[1],
      "__talon_FD_NAME='x; touch /tmp/pwned'",
    );
    assert.equal(renderShellTemplate("echo hi", vars), "echo hi", "no variable, nothing added");
  });
  it("does not export the values (a child process does not see them)", () => {
    assert.equal(
      sh(renderShellTemplate("env | grep -c __talon; printf '|%s' $FD_NAME", vars)),
      "0\n|x; touch /tmp/pwned",
    );
  });
  it("throws on problems and NUL bytes, naming the variable", () => {
    assert.throws(
      () => renderShellTemplate("echo $(( $FD_NAME ))", vars),
      /unsafe shell template: the variable FD_NAME/,
    );
    assert.throws(
      () => shellAssignments([["V", "__talon_V"]], new Map([["V", "\0"]])),
      /variable V contains a NUL byte/,
    );
  });
});

describe("checkShellTemplate", () => {
  it("reports line and column and the variable", () => {
    const [p] = checkShellTemplate("ok\nlet n=$N\n");
    assert.deepEqual(
      { variable: p?.variable, line: p?.line, column: p?.column },
      { variable: "N", line: 2, column: 7 },
    );
  });
});
