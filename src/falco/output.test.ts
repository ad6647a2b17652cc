import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { JsonNumber } from "../events/event.js";
import { fieldTableFor } from "./fields/index.js";
import { compileOutput, exactInteger } from "./output.js";
import { languageOf } from "./releases.js";

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

test("output template errors: Falco 0.42's formatter names the token, 0.44's always says the same", () => {
  const k8s = fieldTableFor("k8s_audit");
  const old = languageOf("0.42");
  assert.throws(
    () => compileOutput("x %", k8s),
    /^FalcoCompileError: invalid formatting syntax: formatting cannot end with a %$/,
  );
  assert.throws(
    () => compileOutput("x %12", k8s),
    /^FalcoCompileError: invalid formatting syntax: formatting cannot end with a number$/,
  );
  assert.throws(
    () => compileOutput("x %nope.field y", k8s, old),
    /^FalcoCompileError: invalid formatting token nope.field y$/,
  );
  assert.throws(() => compileOutput("%proc.name", k8s, old), /invalid formatting token/);
  for (const bad of ["x %nope.field y", "%proc.name", "%join(',', ka.verb)"])
    assert.throws(
      () => compileOutput(bad, k8s),
      /^FalcoCompileError: unknown filter: unexpected token after '$/,
      bad,
    );
  const sys = fieldTableFor("syscall");
  assert.throws(
    () => compileOutput("a %evt.arg.nope", sys),
    /^FalcoCompileError: unknown filter: unexpected token after '$/,
  );
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

test("ns time fields keep every digit in the text and in output_fields", () => {
  // a double rounds this to 1795435200123456800
  const timeNs = 1795435200123456789n;
  const out = compileOutput(
    "t=%evt.time ts=%evt.time.s iso=%evt.time.iso8601 dt=%evt.datetime raw=%evt.rawtime s=%evt.rawtime.s ns=%evt.rawtime.ns",
    fieldTableFor("syscall"),
  );
  const r = out.render({ source: "syscall", timeNs, payload: {}, num: 1n, hostname: "" });
  // evt.time and evt.datetime are in local time
  const d = new Date(1795435200123);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const hms = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const ymd = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  assert.equal(
    r.text,
    `t=${hms}.123456789 ts=${hms} iso=2026-11-23T12:00:00.123456789+0000 dt=${ymd} ${hms}.123456789` +
      " raw=1795435200123456789 s=1795435200 ns=123456789",
  );
  const raw = r.fields["evt.rawtime"];
  assert.ok(raw instanceof JsonNumber);
  assert.equal(raw.raw, "1795435200123456789");
  assert.equal(r.fields["evt.rawtime.s"], 1795435200);
  assert.equal(r.fields["evt.rawtime.ns"], 123456789);
  assert.equal(r.fields["evt.time"], `${hms}.123456789`);
  assert.equal(r.fields["evt.time.iso8601"], "2026-11-23T12:00:00.123456789+0000");
  assert.equal(r.fields["evt.datetime"], `${ymd} ${hms}.123456789`);
});

test("exactInteger: a number when a double holds it, else the exact digits", () => {
  assert.equal(exactInteger(42n), 42);
  assert.equal(exactInteger(-(2n ** 53n)), -(2 ** 53));
  const big = exactInteger(2n ** 53n + 1n);
  assert.ok(big instanceof JsonNumber);
  assert.equal(big.raw, "9007199254740993");
});

describe("output fields are checked as Falco 0.42's formatter checks them", () => {
  const table = fieldTableFor("syscall");
  const outputError = (format: string): string => {
    try {
      compileOutput(format, table, languageOf("0.42"));
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail(`compiled: ${format}`);
  };
  it("a filter-only field is refused, quoting the format from the field on", () => {
    assert.equal(outputError("conn %fd.ip"), "fd.ip is filter only and cannot be used as a display field");
    assert.equal(
      outputError("conn %fd.port (%proc.name)"),
      "fd.port (%proc.name) is filter only and cannot be used as a display field",
    );
    assert.equal(
      outputError("%evt.around[1]"),
      "evt.around[1] is filter only and cannot be used as a display field",
    );
  });
  it("0.44's formatter displays filter-only fields", () => {
    assert.doesNotThrow(() => compileOutput("conn %fd.ip", table));
  });
  it("each field's argument rules apply", () => {
    assert.equal(outputError("a %evt.arg.nope"), "unknown event argument nope");
    assert.equal(outputError("a %evt.rawarg.nope b"), "unknown event argument nope b");
    assert.equal(outputError("a %evt.arg b"), "filter syntax error: evt.arg b");
  });
  it("a field name is matched as the longest known prefix, the rest is text", () => {
    for (const lang of [languageOf("0.42"), languageOf("0.44")]) {
      const out = compileOutput("%proc.namex %evt.arg.flagsy", table, lang);
      const r = out.render({
        source: "syscall",
        timeNs: 0n,
        payload: { "proc.name": "sh", "evt.arg.flags": "F" },
        num: 1n,
        hostname: "h",
      });
      assert.equal(r.text, "shx Fy");
    }
  });
  it("a field without arguments leaves `[…]` as text; container.info stays a placeholder", () => {
    const out = compileOutput("%proc.name[1] %container.info %evt.arg.flags %proc.aname[2]", table);
    const ev = {
      source: "syscall",
      timeNs: 0n,
      payload: { "proc.name": "bash", "evt.arg.flags": "O_RDONLY", "proc.aname[2]": "sshd" },
      num: 1n,
      hostname: "h",
    };
    assert.equal(out.render(ev).text, "bash[1] <NA> O_RDONLY sshd");
  });
});

describe("multivalue transformers in outputs (Falco 0.44)", () => {
  const table = fieldTableFor("syscall");
  const ev = (payload: Record<string, unknown>) => ({
    source: "syscall",
    timeNs: 0n,
    payload,
    num: 1n,
    hostname: "h",
  });
  it("render as a filter computes them; output_fields has the fields they read", () => {
    const out = compileOutput(
      "chain=%join(' > ', fd.types) who=%concat(user.name, '@', proc.name) o=%getopt(('-v', '-o', proc.pname), 'o:')[o] all=%getopt(('-v', '-o', proc.pname), 'vo:') end",
      table,
    );
    const r = out.render(
      ev({
        "fd.types": ["ipv4", "file"],
        "user.name": "root",
        "proc.name": "curl",
        "proc.pname": "out.txt",
      }),
    );
    assert.equal(r.text, "chain=ipv4 > file who=root@curl o=out.txt all=(v,o,out.txt) end");
    assert.deepEqual(r.fields, {
      "fd.types": ["ipv4", "file"],
      "user.name": "root",
      "proc.name": "curl",
      "proc.pname": "out.txt",
    });
    assert.deepEqual(out.fieldKeys, ["fd.types", "user.name", "proc.name", "proc.pname"]);
  });
  it("a missing input renders <NA>; a transformer that does not compile is 0.44's one error", () => {
    const out = compileOutput("%concat(user.name, proc.name)", table);
    assert.equal(out.render(ev({ "user.name": "root" })).text, "<NA>");
    assert.throws(
      () => compileOutput("%join(',')", table),
      /^FalcoCompileError: unknown filter: unexpected token after '$/,
    );
  });
  it("before 0.44 they are not transformers: an unknown formatting token", () => {
    assert.throws(
      () => compileOutput("%join(',', proc.aname)", table, languageOf("0.43")),
      /^FalcoCompileError: invalid formatting token join/,
    );
  });
});
