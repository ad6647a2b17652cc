import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldTableFor } from "./fields/index.js";
import { compileOutput } from "./output.js";

const ev = (payload: unknown) => ({ source: "k8s_audit", timeNs: 0n, payload, num: 1n, hostname: "h" });

test("output templates: widths, <NA>, lists, arguments, transformers", () => {
  const out = compileOutput(
    "u=%ka.user.name/%5ka.verb| %3ka.target.name c=%ka.response.code imgs=%ka.req.pod.containers.image s=%jevt.value[/stage] up=%toupper(ka.verb) missing=%ka.target.namespace)",
    fieldTableFor("k8s_audit"),
  );
  const r = out.render(
    ev({
      auditID: "x",
      stage: "ResponseComplete",
      verb: "get",
      user: { username: "bob" },
      objectRef: { name: "abcdef" },
      responseStatus: { code: 200 },
      requestObject: {
        spec: {
          containers: [
            { name: "a", image: "i1" },
            { name: "b", image: "i2" },
          ],
        },
      },
    }),
  );
  assert.equal(r.text, "u=bob/get  | abc c=200 imgs=(i1,i2) s=ResponseComplete up=GET missing=<NA>)");
  assert.deepEqual(r.fields, {
    "ka.user.name": "bob",
    "ka.verb": "get",
    "ka.target.name": "abcdef",
    "ka.response.code": "200",
    "ka.req.pod.containers.image": ["i1", "i2"],
    "jevt.value[/stage]": "ResponseComplete",
    "ka.target.namespace": null,
  });
});

test("output template errors", () => {
  assert.throws(() => compileOutput("x %", fieldTableFor("k8s_audit")), /formatting cannot end with a %/);
  assert.throws(
    () => compileOutput("x %nope.field y", fieldTableFor("k8s_audit")),
    /invalid formatting token nope.field y/,
  );
  assert.throws(() => compileOutput("%proc.name", fieldTableFor("k8s_audit")), /invalid formatting token/);
});

test("syscall numeric fields are numbers in output_fields", () => {
  const out = compileOutput("%proc.name (pid=%proc.pid)", fieldTableFor("syscall"));
  const r = out.render({
    source: "syscall",
    timeNs: 0n,
    payload: { "proc.name": "cat", "proc.pid": 42 },
    num: 1n,
    hostname: "",
  });
  assert.equal(r.text, "cat (pid=42)");
  assert.deepEqual(r.fields, { "proc.name": "cat", "proc.pid": 42 });
});
