import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isShellIdentifier, readDollar, ShellVarNames } from "./refs.js";

describe("readDollar", () => {
  const at = (s: string) => readDollar(s, s.indexOf("$"));
  it("reads $NAME and ${NAME} as Talon does", () => {
    assert.deepEqual(at("$FD_NAME/x"), { kind: "var", name: "FD_NAME", length: 8 });
    assert.deepEqual(at("a${FD_NAME}b"), { kind: "var", name: "FD_NAME", length: 10 });
    assert.deepEqual(at("${FALCO-TALON_RULE}"), { kind: "var", name: "FALCO-TALON_RULE", length: 19 });
    assert.deepEqual(at("${K8S_POD_LABEL_APP_KUBERNETES_IO/NAME}").kind, "var");
    assert.deepEqual(at("$_x"), { kind: "var", name: "_x", length: 3 });
  });
  it("leaves shell special parameters to the shell", () => {
    for (const s of ["$1", "$?", "$$", "$#", "$@", "$*", "$!", "$-", "$0", "${1}", "${10}", "${#}", "${?}"]) {
      assert.equal(at(s).kind, "special", s);
    }
    assert.deepEqual(at("$10"), { kind: "special", length: 2 }, "$10 is $1 then 0, in Go and in sh");
  });
  it("leaves a $ that starts no name alone", () => {
    for (const s of ["$(id)", "$((1))", "$'x'", '$"x"', "$ ", "$", "$[1]"])
      assert.equal(at(s).kind, "none", s);
  });
  it("rejects ${…} that is not a plain name, and unterminated or empty ${}", () => {
    for (const s of ["${X:-d}", "${#X}", "${X%.*}", "${a[$X]}", "${x:$X}", "${!X}", "${X Y}", "${}", "${X"]) {
      const r = at(s);
      assert.equal(r.kind, "bad", s);
    }
  });
});

describe("ShellVarNames", () => {
  it("prefixes identifiers and maps other names to unique identifiers", () => {
    const n = new ShellVarNames();
    assert.equal(n.shellName("FD_NAME"), "__talon_FD_NAME");
    assert.equal(n.shellName("FALCO-TALON_RULE"), "__talon_0_FALCO_TALON_RULE");
    assert.equal(n.shellName("FALCO_TALON-RULE"), "__talon_1_FALCO_TALON_RULE");
    assert.equal(n.shellName("FALCO-TALON_RULE"), "__talon_0_FALCO_TALON_RULE");
    assert.equal(n.shellName("PATH"), "__talon_PATH", "an event can never set PATH");
    for (const [, v] of n.entries()) assert.ok(isShellIdentifier(v));
    assert.deepEqual(
      n.entries().map(([k]) => k),
      ["FD_NAME", "FALCO-TALON_RULE", "FALCO_TALON-RULE", "PATH"],
    );
  });
});
