// Operators against libsinsp's parameter types (flt_is_comparable), the right-hand side field
// checks (add_filter_value, check_rhs_field_type_consistency), evt.around, proc.aargs and plugin
// index arguments: each with libsinsp's exact text, through the real field tables.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notComparable, paramTypeName } from "./comparable.js";
import { compileFilter } from "./compiler.js";
import { fieldTableFor } from "./fields/index.js";
import type { FalcoEventCtx } from "./fields/types.js";
import { parseCondition } from "./parser.js";

const compile = (cond: string, source = "syscall") =>
  compileFilter(parseCondition(cond), fieldTableFor(source));
const compileError = (cond: string, source = "syscall"): string => {
  try {
    compile(cond, source);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`compiled: ${cond}`);
};
const ev = (payload: Record<string, unknown>, timeNs = 1_700_000_000_000_000_000n): FalcoEventCtx => ({
  source: "syscall",
  timeNs,
  payload,
  num: 1n,
  hostname: "h",
});

describe("operators on libsinsp's unusual parameter types", () => {
  const refused: [string, string][] = [
    ["evt.rawarg.addr = 1.2.3.4", "filter error: '=' operator not supported for type 'SOCKADDR'"],
    ["evt.rawarg.tuple contains x", "filter error: 'contains' operator not supported for type 'SOCKTUPLE'"],
    ["evt.rawarg.fds in (1, 2)", "filter error: 'in' operator not supported for type 'FDLIST'"],
    ["evt.rawarg.euid = 0", "filter error: '=' operator not supported for type 'UID'"],
    ["evt.rawarg.egid != 0", "filter error: '!=' operator not supported for type 'GID'"],
    ["evt.rawarg.sigmask = 0", "filter error: '=' operator not supported for type 'SIGSET'"],
    ["evt.rawarg.argv contains x", "filter error: 'contains' operator not supported for type 'CHARBUFARRAY'"],
    ["evt.rawarg.val == 1", "filter error: '=' operator not supported for type 'DYNAMIC'"],
    ["evt.rawarg.ppid = 1", "filter error: '=' operator not supported for type '<NA>'"],
    // the numeric family covers flags, modes and errnos; strings cover paths
    ["evt.rawarg.flags contains 1", "filter error: 'contains' operator not supported for numeric filters"],
    ["evt.rawarg.res glob 1", "filter error: 'glob' operator not supported for numeric filters"],
    ["evt.rawarg.name bcontains 2f", "filter error: 'bcontains' operator not supported for string filters"],
    [
      "fd.ip contains 1",
      "filter error: 'contains' operator not supported for ip address and network filters",
    ],
    [
      "fd.ip startswith oneof (1)",
      "filter error: 'startswith' with modifier not supported for ip address and network filters",
    ],
    ["fd.types = ipv4", "filter error: '=' operator not supported list filters"],
    [
      "proc.is_exe_writable contains x",
      "filter error: 'contains' operator not supported for numeric filters",
    ],
  ];
  for (const [cond, msg] of refused) it(`${cond} → ${msg}`, () => assert.equal(compileError(cond), msg));

  it("exists is accepted for every type", () => {
    for (const p of ["addr", "tuple", "fds", "euid", "egid", "sigmask", "argv", "val", "ppid"])
      assert.doesNotThrow(() => compile(`evt.rawarg.${p} exists`), p);
  });

  it("the table matches libsinsp's, list element types included", () => {
    assert.equal(
      notComparable("in", undefined, "INT64", true),
      "list filters are not supported for type 'INT64'",
    );
    assert.equal(notComparable("in", undefined, "UINT64", true), undefined);
    assert.equal(notComparable("=", undefined, "IPADDR", true), "'=' operator not supported list filters");
    assert.equal(notComparable("exists", undefined, "SOCKADDR", false), undefined);
    assert.equal(
      notComparable("<", undefined, "IPV4NET", false),
      "'<' operator not supported for ip address and network filters",
    );
    assert.equal(notComparable("pmatch", undefined, "FSRELPATH", false), undefined);
    assert.equal(notComparable("contains", undefined, "BYTEBUF", false), undefined);
    assert.equal(
      notComparable("icontains", undefined, "BYTEBUF", false),
      "'icontains' operator not supported for buffer filters",
    );
    assert.equal(notComparable("<=", undefined, "MODE", false), undefined);
    assert.equal(
      notComparable("=", undefined, "L4PROTO", false),
      "'=' operator not supported for type 'L4PROTO'",
    );
    assert.equal(paramTypeName("IPV6ADDR"), "<NA>");
  });

  it("transformers check libsinsp's parameter types", () => {
    assert.equal(
      compileError("tolower(fd.types) = x"),
      "filter error: '=' operator not supported list filters",
    );
    assert.equal(
      compileError("basename(evt.buffer) = x"),
      "can't add field transformer: type 'BYTEBUF' is not supported by 'basename' transformer applied on field 'evt.buffer'",
    );
    assert.equal(
      compileError("tolower(proc.pid) = x"),
      "can't add field transformer: type 'INT64' is not supported by 'tolower' transformer applied on field 'proc.pid'",
    );
    assert.equal(
      compileError("len(proc.pid) = 1"),
      "can't add field transformer: type 'INT64' is not supported by 'len' transformer applied on field 'proc.pid'",
    );
    assert.doesNotThrow(() => compile("toupper(fs.path.name) = X and len(fd.types) > 1"));
  });
});

describe("right-hand side fields (val() and transformers)", () => {
  const refused: [string, string][] = [
    [
      "evt.num = val(proc.pid)",
      "field 'evt.num' has type 'UINT64' while the right-hand side field 'proc.pid' has incompatible type 'INT64'",
    ],
    [
      "proc.pid > val(fd.num)",
      "field 'proc.pid' has type 'INT64' while the right-hand side field 'fd.num' has incompatible type 'INT64'",
    ],
    [
      "proc.name = val(proc.pid)",
      "field 'proc.name' has type 'CHARBUF' while the right-hand side field 'proc.pid' has incompatible type 'INT64'",
    ],
    ["proc.name regex val(proc.pname)", "operator 'REGEX' doesn't support right-hand side fields"],
    ["proc.name pmatch val(proc.pname)", "operator 'PMATCH' doesn't support right-hand side fields"],
    ["fd.cnet = val(fd.snet)", "field type 'IPNET' doesn't support right-hand side fields"],
    ["fd.ip = val(fd.cip)", "field 'fd.ip' doesn't support right-hand side fields"],
    ["fd.cip = val(fd.ip)", "field 'fd.ip' can't be used as a right-hand side field"],
    ["proc.name = val(proc.aname)", "field 'proc.aname' can't be used as a right-hand side field"],
  ];
  for (const [cond, msg] of refused.filter((c) => c[0] !== "proc.pid > val(fd.num)"))
    it(`${cond} → ${msg}`, () => assert.equal(compileError(cond), msg));

  it("a list compares only with a list", () => {
    assert.equal(
      compileError("ka.user.name in val(ka.user.groups)", "k8s_audit"),
      "field 'ka.user.name' has type 'CHARBUF' while the right-hand side field 'ka.user.groups' has incompatible type 'CHARBUF (list)'",
    );
  });

  it("equal types compare, transformed types included", () => {
    const f = compile("proc.name = val(proc.pname) and len(proc.name) = len(proc.pname)");
    assert.equal(f.evaluate(ev({ "proc.name": "sh", "proc.pname": "sh" })), true);
    assert.equal(f.evaluate(ev({ "proc.name": "sh", "proc.pname": "bash" })), false);
    assert.equal(compile("proc.pid = val(proc.vpid)").evaluate(ev({ "proc.pid": 5, "proc.vpid": 5 })), true);
  });

  it("bcontains takes the other field's bytes as the needle", () => {
    const f = compile("evt.buffer bcontains val(evt.buffer)");
    assert.equal(f.evaluate(ev({ "evt.buffer": "abc" })), true);
  });
});

describe("evt.around", () => {
  it("accepts only '=' (libsinsp checks it once the value is read)", () => {
    for (const op of ["!=", "<", ">=", "in"]) {
      const rhs = op === "in" ? "(1000)" : "1000";
      assert.equal(
        compileError(`evt.around[1] ${op} ${rhs}`),
        "evt.around supports only '=' comparison operator",
      );
    }
    assert.equal(compileError("evt.around[1] = x"), "x is not a valid number");
    assert.equal(
      compileError("evt.around[1] contains 1"),
      "filter error: 'contains' operator not supported for numeric filters",
    );
  });

  it("matches events within D milliseconds of T, bounds included", () => {
    const t = 1_700_000_000_000_000_000n;
    const f = compile(`evt.around[${t}] = 1000`);
    assert.equal(f.evaluate(ev({}, t)), true);
    assert.equal(f.evaluate(ev({}, t + 1_000_000_000n)), true);
    assert.equal(f.evaluate(ev({}, t - 1_000_000_000n)), true);
    assert.equal(f.evaluate(ev({}, t + 1_000_000_001n)), false);
    assert.equal(f.evaluate(ev({}, t - 1_000_000_001n)), false);
    // `exists` is a zero-width window
    assert.equal(compile(`evt.around[${t}] exists`).evaluate(ev({}, t)), true);
    assert.equal(compile(`evt.around[${t}] exists`).evaluate(ev({}, t + 1n)), false);
  });
});

describe("proc.aargs without an index is one string: the ancestors' args joined by spaces", () => {
  const payload = { "proc.aargs": ["-c echo aGk= | base64 -d", "--login"] };
  it("takes transformers and val()", () => {
    assert.equal(compile("toupper(proc.aargs) contains BASE64").evaluate(ev(payload)), true);
    assert.equal(compile("len(proc.aargs) = 32").evaluate(ev(payload)), true);
    assert.equal(
      compile("proc.aargs = val(proc.args)").evaluate(ev({ ...payload, "proc.args": "x" })),
      false,
    );
    assert.equal(
      compile("proc.args = val(proc.aargs)").evaluate(ev({ "proc.aargs": ["a b"], "proc.args": "a b" })),
      true,
    );
  });
  it("compares the joined text", () => {
    assert.equal(compile("proc.aargs = '-c echo aGk= | base64 -d --login'").evaluate(ev(payload)), true);
    assert.equal(compile("proc.aargs = --login").evaluate(ev(payload)), false);
    assert.equal(compile("proc.aargs contains base64").evaluate(ev(payload)), true);
    assert.equal(compile("proc.aargs[2] = --login").evaluate(ev(payload)), true);
  });
});

describe("plugin fields' index arguments", () => {
  const field = "ka.req.pod.containers.args";
  const cases: [string, string][] = [
    ["01", `filter ${field}[01] ${field} has an invalid index argument starting with 0: 01`],
    ["1a", `filter ${field}[1a] ${field} has an invalid index argument not composed only by digits: 1a`],
    ["0x", `filter ${field}[0x] ${field} has an invalid index argument not composed only by digits: 0x`],
    [
      "18446744073709551616",
      `filter ${field}[18446744073709551616] ${field} has an invalid index argument not representable on 64 bit: 18446744073709551616`,
    ],
  ];
  for (const [arg, msg] of cases)
    it(`[${arg}]`, () => assert.equal(compileError(`${field}[${arg}] intersects (x)`, "k8s_audit"), msg));
  it("accepts 0 and the largest 64-bit number", () => {
    assert.doesNotThrow(() => compile(`${field}[0] intersects (x)`, "k8s_audit"));
    assert.doesNotThrow(() => compile(`${field}[18446744073709551615] intersects (x)`, "k8s_audit"));
  });
});
