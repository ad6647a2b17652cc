// The syscall field table against libsinsp's: every field exists with its type and flags, arguments
// parse as libsinsp's filterchecks parse them (same error texts), and JSON events still evaluate.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFilter } from "../compiler.js";
import { parseCondition } from "../parser.js";
import { fieldTableFor } from "./index.js";
import { CONTAINER_PLUGIN_FIELD_SPECS, GENERIC_FIELD_SPECS, SYSCALL_FIELD_SPECS } from "./sinsp-fields.js";
import { type FalcoEventCtx, fieldTypeOf } from "./types.js";

const table = fieldTableFor("syscall");
const ALL_SPECS = [...GENERIC_FIELD_SPECS, ...SYSCALL_FIELD_SPECS, ...CONTAINER_PLUGIN_FIELD_SPECS];

const compile = (cond: string) => compileFilter(parseCondition(cond), table);
const compileError = (cond: string): string => {
  try {
    compile(cond);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`compiled: ${cond}`);
};
const ev = (payload: Record<string, unknown>): FalcoEventCtx => ({
  source: "syscall",
  timeNs: 1_700_000_000_000_000_000n,
  payload,
  num: 1n,
  hostname: "h",
});
const run = (cond: string, payload: Record<string, unknown>) => compile(cond).evaluate(ev(payload));

describe("the fields issue 18 named", () => {
  it("load, with libsinsp's types", () => {
    for (const cond of [
      "proc.ppid.duration > 1000",
      "fdlist.nums contains 3",
      "fdlist.names contains /etc",
      "fdlist.cips contains 10.0.0.1",
      "fdlist.sips = 10.0.0.2",
      "fdlist.cports contains 80",
      "fdlist.sports startswith 44",
      "evt.deltatime > 0",
      "evt.deltatime.s >= 1",
      "evt.deltatime.ns < 1000",
      "evt.asynctype = container",
      "evt.type.is.open = 1",
      "evt.type.is.execve exists",
    ]) {
      assert.doesNotThrow(() => compile(cond), cond);
    }
    assert.equal(table.lookup("proc.ppid.duration")?.type, "reltime");
    assert.equal(table.lookup("fdlist.nums")?.type, "string");
    assert.equal(table.lookup("evt.deltatime.ns")?.type, "reltime");
    assert.equal(table.lookup("evt.asynctype")?.type, "string");
    assert.equal(table.lookup("evt.type.is.open")?.type, "int");
  });
  it("type-check as Falco does", () => {
    assert.equal(
      compileError("proc.ppid.duration contains 1"),
      "filter error: 'contains' operator not supported for numeric filters",
    );
    assert.equal(
      compileError("evt.type.is.open startswith 1"),
      "filter error: 'startswith' operator not supported for numeric filters",
    );
    assert.equal(compileError("evt.deltatime.s = abc"), "abc is not a valid number");
  });
});

describe("every libsinsp field", () => {
  it("resolves with the type of its parameter type and its flags", () => {
    for (const spec of ALL_SPECS) {
      const def = table.lookup(spec.name);
      assert.ok(def, spec.name);
      assert.equal(def.type, fieldTypeOf(spec.ptype), spec.name);
      assert.equal(def.desc, spec.desc, spec.name);
      assert.equal(!!def.isList, spec.flags.includes("IS_LIST"), spec.name);
      assert.equal(!!def.noRhs, spec.flags.includes("NO_RHS"), spec.name);
      assert.equal(!!def.noTransformer, spec.flags.includes("NO_TRANSFORMER"), spec.name);
      assert.equal(!!def.filterOnly, spec.flags.includes("FILTER_ONLY"), spec.name);
      assert.equal(!!def.deprecated, spec.flags.includes("DEPRECATED"), spec.name);
    }
  });
  it("compiles in an `exists` check (with its argument where one is required)", () => {
    const needs: Record<string, string> = {
      "evt.arg": "evt.arg[0]",
      "evt.rawarg": "evt.rawarg.fd",
      "evt.around": "evt.around[1404996934793590564]",
      "evt.type.is": "evt.type.is.open",
      "thread.cgroup": "thread.cgroup.cpuacct",
      "container.mount": "container.mount[0]",
      "container.mount.source": "container.mount.source[/data]",
      "container.mount.dest": "container.mount.dest[/var/run/docker.sock]",
      "container.mount.mode": "container.mount.mode[0]",
      "container.mount.rdwr": "container.mount.rdwr[0]",
      "container.mount.propagation": "container.mount.propagation[0]",
      "container.label": "container.label[app]",
    };
    for (const spec of ALL_SPECS) {
      const f =
        needs[spec.name] ?? (/^k8s\.[a-z]+\.label$/.test(spec.name) ? `${spec.name}[app]` : spec.name);
      assert.doesNotThrow(() => compile(`${f} exists`), f);
    }
  });
  it("the generic ones have an extractor each", () => {
    const e = ev({ "evt.type": "open" });
    for (const spec of GENERIC_FIELD_SPECS.filter((s) => !/plugin|asynctype/.test(s.name))) {
      assert.notEqual(table.lookup(spec.name)!.extract(e, undefined), undefined, spec.name);
    }
  });
});

describe("arguments parse as libsinsp's filterchecks parse them", () => {
  const errors: [string, string][] = [
    // a field without argument syntax: the whole text names no field
    ["proc.name[1] = x", "filter_check called with nonexistent field proc.name[1]"],
    ["evt.num[1] = 1", "filter_check called with nonexistent field evt.num[1]"],
    ["evt.abspath[1] = /x", "filter_check called with nonexistent field evt.abspath[1]"],
    // ancestor indexes: a non-number is swallowed, then the text names no field
    ["proc.aname[x] = bash", "filter_check called with nonexistent field proc.aname[x]"],
    ["proc.args[a] = -c", "filter_check called with nonexistent field proc.args[a]"],
    // evt.arg: [N] or .name
    ["evt.arg = x", "filter syntax error: evt.arg"],
    ["evt.arg[x] = 1", "x is not a valid number"],
    ["evt.arg.nope = 1", "unknown event argument nope"],
    ["evt.arg.flagsx = 1", "filter_check called with nonexistent field evt.arg.flagsx"],
    ["evt.arg.flags[1] = 1", "filter_check called with nonexistent field evt.arg.flags[1]"],
    // evt.rawarg: .name only, typed like the parameter
    ["evt.rawarg = 1", "filter syntax error: evt.rawarg"],
    ["evt.rawarg[0] = 1", "evt.arg fields must be expressed explicitly"],
    ["evt.rawarg.res contains 1", "filter error: 'contains' operator not supported for numeric filters"],
    ["toupper(evt.rawarg.res) = -1", "field 'evt.rawarg.res' does not support transformers"],
    // dotted-only fields
    ["thread.cgroup = /", "filter syntax error: thread.cgroup"],
    ["thread.cgroup[cpuacct] = /", "filter syntax error: thread.cgroup[cpuacct]"],
    ["thread.cgroup.cpu1 = /", "filter_check called with nonexistent field thread.cgroup.cpu1"],
    ["evt.type.is = 1", "filter syntax error: evt.type.is"],
    ["evt.type.is[open] = 1", "filter syntax error: evt.type.is[open]"],
    ["evt.type.is.nope = 1", "filter_check called with nonexistent field evt.type.is.nope"],
    // fd.types: an index that does not parse is an error of its own
    ["fd.types[x] intersects (file)", "x is not a valid number"],
    ["evt.around = 1", "filter syntax error: evt.around"],
    // the container plugin's fields take plugin-style arguments
    [
      "container.label = x",
      "filter 'container.label': container.label requires an argument but none provided",
    ],
    [
      "container.id[1] = x",
      "filter 'container.id[1]': container.id does not allow nor require an argument but one is provided: 1",
    ],
    // Falco's %container.info is an output placeholder, not a field
    ["container.info = x", "filter_check called with nonexistent field container.info"],
    // fields libsinsp no longer has
    ["syslog.message = x", "filter_check called with nonexistent field syslog.message"],
    ["mesos.task.name = x", "filter_check called with nonexistent field mesos.task.name"],
    ["evtin.span.id = 1", "filter_check called with nonexistent field evtin.span.id"],
    ["span.id = 1", "filter_check called with nonexistent field span.id"],
  ];
  for (const [cond, msg] of errors) {
    it(`${cond} → ${msg}`, () => assert.equal(compileError(cond), msg));
  }
  it("accepts what libsinsp accepts", () => {
    for (const cond of [
      "proc.aname[2] = bash",
      "proc.apid[0] = 1",
      "proc.aexepath[-1] = /bin/sh",
      "proc.args[0] = -c",
      "proc.aargs contains base64",
      "proc.env[HOME] = /root",
      "proc.env contains HOME",
      "proc.aenv[PATH] exists",
      "evt.arg[0] = 3",
      "evt.arg.flags contains O_CREAT",
      "evt.arg.res_or_fd >= 0",
      "evt.rawarg.res < 0",
      "evt.rawarg.name startswith /etc",
      "evt.abspath.src = /a and evt.abspath.dst = /b and evt.abspath = /c",
      "thread.cgroup.cpuacct = /",
      "fd.types[3] intersects (ipv4)",
      "evt.around[1404996934793590564] = 1000",
      "container.mount.dest[/var/run/docker.sock] exists",
      "k8s.pod.label[app] = web",
    ]) {
      assert.doesNotThrow(() => compile(cond), cond);
    }
  });
  it("evt.rawarg.<param> has the parameter's type", () => {
    assert.equal(table.lookup("evt.rawarg.res")?.ptype, "ERRNO");
    assert.equal(table.lookup("evt.rawarg.res")?.type, "int");
    assert.equal(table.lookup("evt.rawarg.name")?.ptype, "FSPATH");
    assert.equal(table.lookup("evt.rawarg.name")?.type, "string");
    assert.equal(table.lookup("evt.rawarg.data")?.type, "bytebuf");
    assert.equal(table.lookup("evt.arg.res")?.type, "string");
  });
});

describe("JSON events", () => {
  it("evt.type.is.<name> is 1 for that event type, 0 for others", () => {
    assert.equal(run("evt.type.is.open = 1", { "evt.type": "open" }), true);
    assert.equal(run("evt.type.is.open = 0", { "evt.type": "execve" }), true);
    assert.equal(run("evt.type.is.open exists", {}), false);
  });
  it("ancestors, endpoints, dotted and new fields read the flat payload", () => {
    const p = {
      "proc.name": "sh",
      "proc.aname": ["bash", "sshd"],
      "fd.cip": "10.0.0.1",
      "fd.sip": "10.0.0.2",
      "evt.rawarg.res": -2,
      "thread.cgroup.cpuacct": "/kubepods",
      "proc.ppid.duration": 5_000_000_000,
      "fdlist.names": "/etc/passwd,/etc/shadow",
      "evt.asynctype": "container",
    };
    assert.equal(run("proc.aname = sshd and proc.aname[0] = sh and proc.aname[2] = sshd", p), true);
    assert.equal(run("fd.ip = 10.0.0.2 and fd.ip != 10.0.0.3", p), true);
    assert.equal(run("evt.rawarg.res < 0", p), true);
    assert.equal(run("thread.cgroup.cpuacct startswith /kube", p), true);
    assert.equal(run("proc.ppid.duration > 1000000000", p), true);
    assert.equal(run("fdlist.names contains shadow", p), true);
    assert.equal(run("evt.asynctype = container and evt.is_async = true", p), true);
    assert.equal(run("evt.is_async = false", { "evt.type": "open" }), true);
  });
});
