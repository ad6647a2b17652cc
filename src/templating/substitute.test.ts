import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeEvent } from "../events/decode.js";
import { buildVars, shellQuote, substitute } from "./substitute.js";

const sh = (cmd: string) => execFileSync("/bin/sh", ["-c", cmd], { encoding: "utf8" });

describe("buildVars", () => {
  it("exports Talon's variable names from the event only", () => {
    const e = decodeEvent(
      JSON.stringify({
        rule: "R",
        priority: "Warning",
        hostname: "h",
        tags: ["a", "b"],
        output_fields: { "fd.name": "/etc/x", "proc.aname[2]": "bash", "proc.pid": 1234567 },
        context: { "node.hostname": "n1", "falco-talon.rule": "TR" },
      }),
    );
    const v = buildVars(e);
    assert.equal(v.get("FD_NAME"), "/etc/x");
    assert.equal(v.get("PROC_ANAME_2"), "bash");
    assert.equal(v.get("PROC_PID"), "1234567");
    assert.equal(v.get("NODE_HOSTNAME"), "n1");
    assert.equal(v.get("FALCO-TALON_RULE"), "TR");
    assert.equal(v.get("TAGS"), "a,b");
    assert.equal(v.get("HOSTNAME"), "h");
    assert.equal(v.get("PATH"), undefined, "the process environment is never visible");
  });
});

describe("substitute", () => {
  const vars = new Map([
    ["A", "x y"],
    ["EVIL", "$(touch /tmp/pwned)"],
    ["Q", "'; rm -rf /"],
  ]);
  it("raw mode inserts values and unknown variables become empty", () => {
    assert.equal(substitute("a=${A} b=$A c=${NOPE}.", vars, { mode: "raw" }), "a=x y b=x y c=.");
  });
  it("shell mode keeps hostile values inert in every quoting context", () => {
    for (const tpl of ["echo ${EVIL}", 'echo "${EVIL}"', "echo '${EVIL}'", "echo $EVIL"]) {
      assert.equal(sh(substitute(tpl, vars, { mode: "shell" })), "$(touch /tmp/pwned)\n", tpl);
    }
    assert.equal(sh(substitute("echo ${Q}", vars, { mode: "shell" })), "'; rm -rf /\n");
    assert.equal(sh(substitute("printf '%s|' ${A}", vars, { mode: "shell" })), "x y|");
  });
  it("property: any value round-trips through sh as one literal word", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }).filter((s) => !s.includes("\0")),
        (value) => {
          const v = new Map([["V", value]]);
          for (const tpl of ["printf %s ${V}", 'printf %s "${V}"', "printf %s '${V}'"]) {
            assert.equal(sh(substitute(tpl, v, { mode: "shell" })), value);
          }
          // Inside "…" a ' is a plain character.
          assert.equal(sh(substitute("printf %s \"'$V'\"", v, { mode: "shell" })), `'${value}'`);
          // Command substitution drops trailing newlines: a `.` keeps them.
          for (const tpl of [
            'printf %s "$(printf %s. $V)"',
            'printf %s "`printf %s. \\"$V\\"`"',
            'set -- "`printf %s. $V`"; printf %s "$1"',
          ]) {
            assert.equal(sh(substitute(tpl, v, { mode: "shell" })), `${value}.`, tpl);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
  it('shell mode: the value of `echo "seen $(basename ${FD_NAME})"` stays data', () => {
    const text = substitute(
      'echo "seen $(basename ${FD_NAME})"',
      new Map([["FD_NAME", "x; touch /tmp/pwned"]]),
      {
        mode: "shell",
      },
    );
    assert.equal(
      text,
      `__talon_FD_NAME='x; touch /tmp/pwned'\necho "seen $(basename "\${__talon_FD_NAME}")"`,
    );
    assert.equal(sh(text), "seen pwned\n", "basename got the whole value as one argument");
  });
  it("shell mode refuses a template that would evaluate a value, and a NUL byte", () => {
    assert.throws(() => substitute("eval $A", vars, { mode: "shell" }), /the variable A .*'eval'/);
    assert.throws(
      () => substitute("echo $A", new Map([["A", "a\0b"]]), { mode: "shell" }),
      /the value of the variable A contains a NUL byte/,
    );
  });
  it("raw mode keeps Talon's expansion of every form", () => {
    assert.equal(
      substitute("$1|${X:-y}|$$|${FALCO-TALON_RULE}", new Map([["FALCO-TALON_RULE", "r"]]), { mode: "raw" }),
      "|||r",
    );
  });
  it("shellQuote quotes single quotes", () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});
