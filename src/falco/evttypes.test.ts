// The evt.type values accepted are exactly libsinsp's: event-table names, syscall names and the
// container plugin's async events.
import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import {
  EvttypeSearchError,
  evttypeCodes,
  isKnownEvttype,
  matchesTooManyEvttypes,
  unknownEvttypes,
} from "./evttypes.js";
import { EVENT_CODE_NAMES, EVENT_TABLE_NAMES, EVENT_TYPE_NAMES } from "./fields/event-table.js";
import { parseCondition } from "./parser.js";

test("event-table, syscall, tracepoint and async event names are known", () => {
  for (const name of [
    "open",
    "openat2",
    "execve",
    "procexit",
    "switch",
    "container",
    "asyncevent",
    "pluginevent",
    "syscall",
    "NA",
    "page_fault_user",
    "sched_process_exit",
    "statmount",
    "container_removed",
  ]) {
    assert.ok(isKnownEvttype(name), name);
  }
  for (const name of EVENT_TABLE_NAMES) assert.ok(isKnownEvttype(name), name);
});

test("names libsinsp does not accept are unknown", () => {
  // `sysctl` is `_sysctl`; `user`/`group`/`container_json` were never evt.type values
  for (const name of ["some_invalid_event", "sysctl", "user", "group", "container_json", "OPEN", ""]) {
    assert.equal(isKnownEvttype(name), false, name);
  }
});

test("the list has no duplicates and the event table is part of it", () => {
  assert.equal(new Set(EVENT_TYPE_NAMES).size, EVENT_TYPE_NAMES.length);
  const all = new Set(EVENT_TYPE_NAMES);
  for (const n of EVENT_TABLE_NAMES) assert.ok(all.has(n), n);
});

test("unknownEvttypes lists the unknown evt.type values of a condition once, in order", () => {
  const cond = parseCondition(
    "evt.type in (open, nope, execve) and not evt.type = nope2 or evt.type != nope and evt.type = container",
  );
  assert.deepEqual(unknownEvttypes(cond), ["nope", "nope2"]);
});

describe("the event codes a condition matches, as libsinsp's event-code search counts them", () => {
  const codes = (cond: string) => evttypeCodes(parseCondition(cond)).size;
  it("an event-table name counts every code of that name (enter, exit, versions)", () => {
    assert.equal(EVENT_CODE_NAMES.length, 454);
    assert.equal(codes("evt.type = open"), 2);
    assert.equal(codes("evt.type = execve"), 16);
    assert.equal(codes("evt.type in (open, openat, openat2)"), 2 + 4 + 2);
    // NA is the name of the unknown events, from code 2 on
    assert.equal(codes("evt.type = NA"), EVENT_CODE_NAMES.slice(2).filter((n) => n === "NA").length);
  });
  it("a syscall without an event of its own counts the two generic codes, once; async events one", () => {
    assert.equal(codes("evt.type = mlock2"), 2);
    assert.equal(codes("evt.type = _llseek"), 2);
    assert.equal(codes("evt.type in (_llseek, statmount, open)"), 4);
    assert.equal(codes("evt.type = container_removed"), 1);
    // "syscall" names only the generic codes 0 and 1, which a name lookup skips
    assert.equal(codes("evt.type = syscall"), 0);
    assert.equal(codes("syscall.type = open"), 2);
  });
  it("and/or intersect and unite, negation is pushed to the leaves, other checks match all", () => {
    assert.equal(codes("proc.name = x"), 454);
    assert.equal(codes("not proc.name = x"), 454);
    assert.equal(codes("evt.type = open and proc.name = x"), 2);
    assert.equal(codes("evt.type = open or proc.name = x"), 454);
    assert.equal(codes("evt.type != open"), 452);
    assert.equal(codes("not evt.type = open"), 452);
    assert.equal(codes("not evt.type != open"), 2);
    assert.equal(codes("not (evt.type = open or evt.type = close)"), 450);
    assert.equal(codes("evt.type = open and evt.type = close"), 0);
    assert.equal(codes("evt.type exists"), 454);
    assert.equal(codes("not evt.type exists"), 0);
    assert.equal(codes("evt.type intersects (open)"), 454);
    assert.equal(codes("evt.type = oneof (open)"), 454);
    assert.equal(codes("evt.type[1] = open"), 454);
  });
  it("evt.num checks with a known outcome (every event number is at least 1)", () => {
    assert.equal(codes("evt.num = 0"), 0);
    assert.equal(codes("evt.num < 1"), 0);
    assert.equal(codes("evt.num in (0, 0)"), 0);
    assert.equal(codes("not evt.num = 0"), 454);
    assert.equal(codes("evt.num >= 1 and evt.type = open"), 2);
    assert.equal(codes("evt.num > 0 and not evt.num = 0"), 454);
    assert.equal(codes("evt.num = -1"), 454);
    assert.equal(codes("evt.type = open and evt.num = 0"), 0);
  });
  it("evt.type against a field or through a transformer is refused, with libsinsp's texts", () => {
    assert.throws(() => codes("evt.type = val(proc.name)"), EvttypeSearchError);
    assert.throws(() => codes("evt.type = val(proc.name)"), {
      message:
        "right-hand field comparisons on `evt.type`/`syscall.type` checks are not supported by event code search",
    });
    assert.throws(
      () => codes("tolower(evt.type) = open"),
      /event code search does not support `evt.type` checks with transformers/,
    );
    assert.equal(codes("tolower(evt.type) contains open"), 454);
  });
  it("more than 100 codes matches too many evt.type values; none (never true) does not", () => {
    assert.equal(matchesTooManyEvttypes(parseCondition("evt.type != open")), true);
    assert.equal(matchesTooManyEvttypes(parseCondition("proc.name = x and evt.type != open")), true);
    assert.equal(matchesTooManyEvttypes(parseCondition("evt.num = 0")), false);
    assert.equal(matchesTooManyEvttypes(parseCondition("evt.type = some_invalid_event")), false);
    assert.equal(matchesTooManyEvttypes(parseCondition("evt.type in (open, execve)")), false);
  });
});
