import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFilter } from "./compiler.js";
import { type FalcoEventCtx, type FieldDef, MapFieldTable } from "./fields/types.js";
import { parseCondition } from "./parser.js";

// A small field table: values come from the event's flat payload (missing key = missing value).
const field = (name: string, type: FieldDef["type"], extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  ...extra,
  extract: (ev) => (ev.payload as Record<string, never>)[name],
});
const table = new MapFieldTable([
  field("proc.name", "string"),
  field("fd.name", "string"),
  field("fd.directory", "string"),
  field("proc.pid", "int"),
  field("fd.types", "string", { isList: true }),
  field("proc.cmdargs", "string", { isList: true }),
  field("fd.sip", "ipaddr"),
  field("fd.ip", "ipaddr", { multi: true }),
]);

const ev = (payload: Record<string, unknown>): FalcoEventCtx => ({
  source: "syscall",
  timeNs: 0n,
  payload,
  num: 1n,
  hostname: "h",
});
const run = (cond: string, payload: Record<string, unknown>) =>
  compileFilter(parseCondition(cond), table).evaluate(ev(payload));
const compileError = (cond: string): string => {
  try {
    compileFilter(parseCondition(cond), table);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`compiled: ${cond}`);
};

describe("multivalue transformers (Falco 0.44)", () => {
  const file = { "fd.name": "/tmp/x", "fd.directory": "/tmp", "proc.pid": 42n };

  it("join: separator then list; list items are fields, transformers, strings or numbers", () => {
    assert.equal(run('join("-", (fd.name, fd.directory)) = /tmp/x-/tmp', file), true);
    assert.equal(run('join(",", (proc.pid, 7, "a")) = "42,7,a"', file), true);
    assert.equal(run('join("->", (toupper(fd.name))) = /TMP/X', file), true);
    assert.equal(run('join(",", ()) = ""', file), true);
    // a list field's values are spliced into the list
    assert.equal(run('join(":", (fd.types, "z")) = "a:b:z"', { "fd.types": ["a", "b"] }), true);
    // any missing item makes the whole value missing
    assert.equal(run('join("-", (fd.name, proc.name)) exists', file), false);
  });

  it("concat: two or more strings", () => {
    assert.equal(run('concat(fd.directory, "/", "y") = /tmp/y', file), true);
    assert.equal(run('len(concat("aaa", "bbb")) = 6', file), true);
    assert.equal(run("concat(fd.name, proc.name) exists", file), false);
  });

  it("getopt: options and values as a list, or one option's last value with [opt]", () => {
    const args = { "proc.cmdargs": ["-n", "-t", "v1", "-t", "v2", "file", "-x"] };
    assert.equal(run('getopt(proc.cmdargs, "nt:") intersects (v1)', args), true);
    // scanning stops at the first non-option: -x is never seen
    assert.equal(run('getopt(proc.cmdargs, "nt:x") intersects (x)', args), false);
    assert.equal(run('getopt(proc.cmdargs, "nt:")[t] = v2', args), true);
    assert.equal(run('getopt(proc.cmdargs, "nt:")[n] = n', args), true);
    // an absent option is a missing value, not ""
    assert.equal(run('getopt(proc.cmdargs, "nt:q")[q] exists', args), false);
    // the result is a list: only in/intersects/exists, unless one option is selected
    assert.equal(
      compileError('getopt(proc.cmdargs, "n") = n'),
      "filter error: '=' operator not supported list filters",
    );
  });

  it("argument errors carry libsinsp's texts", () => {
    assert.equal(compileError('join("-") = foo'), "unknown field transfomer 'join'");
    assert.equal(
      compileError('join("-", "a", "b") = foo'),
      "join() requires exactly 2 arguments: separator and list",
    );
    assert.equal(
      compileError('join(fd.types, ("a", "b")) = foo'),
      "join() first argument (separator) must be a single value, not a list",
    );
    assert.equal(compileError('join("a", "b") = foo'), "join() second argument must be a list");
    assert.equal(compileError('concat(proc.pid, "a") = foo'), "concat() arguments must be strings");
    assert.equal(compileError('concat(fd.types, "a") = foo'), "concat() arguments must be strings");
    assert.equal(compileError('getopt("x", "n") intersects (n)'), "getopt() first argument must be a list");
    assert.equal(
      compileError('getopt(("-n"), ("n")) intersects (n)'),
      "getopt() second argument (optstring) must be a single value",
    );
    assert.equal(
      compileError('getopt(("-n"), "n")[""] = n'),
      "getopt() field argument must be a single option character",
    );
    assert.equal(
      compileError('getopt(("-n"), "n")[nt] = n'),
      "getopt() field argument must be a single option character",
    );
    assert.equal(compileError("tolower(fd.name, fd.directory) = x"), "unknown multivalue transformer");
    // libsinsp checks a transformed argument by its field's type: len() of a string is still a string
    assert.equal(run('concat(len(fd.name), "") = 6', file), true);
    // a multivalue result is not a list argument for another multivalue transformer
    assert.equal(compileError('join("-", getopt(("-n"), "n")) = n'), "join() second argument must be a list");
  });
});

describe("oneof / anyof / allof modifiers (Falco 0.44)", () => {
  const p = { "proc.name": "myexe", "proc.pid": 42n, "fd.sip": { v6: false, n: 0x7f000001n } };

  it("count the list values the operator matches: exactly one, at least one, all", () => {
    assert.equal(run("proc.name == oneof (myexe, myexe)", p), false);
    assert.equal(run("proc.name == anyof (myexe, myexe)", p), true);
    assert.equal(run("proc.name contains allof (my, exe)", p), true);
    assert.equal(run("proc.name != oneof (myexe, bash)", p), true);
    assert.equal(run("proc.name glob anyof (x*, *exe)", p), true);
    assert.equal(run("proc.pid = oneof (1, 42)", p), true);
    assert.equal(run("fd.sip != allof (10.0.0.1, 10.0.0.2)", p), true);
    for (const m of ["oneof", "anyof", "allof"]) {
      assert.equal(run(`proc.name == ${m} ()`, p), false, `${m} of nothing`);
      assert.equal(run(`proc.name != ${m} ()`, p), false, `!= ${m} of nothing`);
    }
    // a missing value never matches
    assert.equal(run("proc.name != allof (a)", {}), false);
  });

  it("values are type-checked like the operator's own", () => {
    assert.equal(compileError("proc.pid = oneof (1, x)"), "x is not a valid number");
    assert.equal(
      compileError("fd.sip contains anyof (127.0.0.1)"),
      "filter error: 'contains' with modifier not supported for ip address and network filters",
    );
  });

  it("per-endpoint fields ignore the modifier and compare with the first value, as libsinsp does", () => {
    const ips = { "fd.ip": [{ v6: false, n: 0x7f000001n }] };
    assert.equal(run("fd.ip == allof (127.0.0.1, 10.0.0.1)", ips), true);
    assert.equal(run("fd.ip == anyof (10.0.0.1, 127.0.0.1)", ips), false);
  });
});

describe("value hints (libsinsp's compiler warnings)", () => {
  const warnings = (cond: string) => compileFilter(parseCondition(cond), table).warnings;
  it("a value naming a field or looking like a transformer call, list values included", () => {
    assert.deepEqual(warnings("proc.name in (a, fd.name)"), [
      "'fd.name' may be a valid field misused as a const string value",
    ]);
    assert.deepEqual(warnings('proc.name = "join(-, (a, b))"'), [
      "'join(-, (a, b))' may be a valid field transformer misused as a const string value",
    ]);
    assert.deepEqual(warnings('proc.name == oneof (x, "getopt(a)")'), [
      "'getopt(a)' may be a valid field transformer misused as a const string value",
    ]);
    assert.deepEqual(warnings("proc.name = cat"), []);
  });
});
