// The evt.type values accepted are exactly libsinsp's: event-table names, syscall names and the
// container plugin's async events.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isKnownEvttype, unknownEvttypes } from "./evttypes.js";
import { EVENT_TABLE_NAMES, EVENT_TYPE_NAMES } from "./fields/event-table.js";
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
