import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FilterError, matchesFilter, parseFilter, parseTime } from "./filter.js";
import { newConsoleEvent } from "./fold.js";
import type { ConsoleEvent } from "./types.js";

function ev(over: Partial<ConsoleEvent["event"]>, actions: Partial<ConsoleEvent["actions"][number]>[] = []) {
  const e = newConsoleEvent("id-1", "2026-01-02T10:00:00.000Z", "r");
  e.event = { ...e.event, rule: "Shell", priority: "Warning", output: "a shell in web", ...over };
  e.event.output_fields = { "k8s.ns.name": "prod", "k8s.pod.name": "web", ...over.output_fields };
  e.matches = [{ rule: "Label shells", reasons: [] }];
  e.actions = actions.map((a) => ({
    rule: "Label shells",
    action: "mark",
    actionner: "kubernetes:label",
    target: "pod:prod/web",
    status: "success",
    time: "2026-01-02T10:00:01.000Z",
    outputs: [],
    notifications: [],
    reversible: false,
    ...a,
  }));
  return e;
}

const q = (s: string) => parseFilter(new URLSearchParams(s), Date.parse("2026-01-02T10:30:00Z"));

describe("console filters", () => {
  const e = ev({}, [{ status: "failure", error: "pod not found" }]);

  it("each filter narrows", () => {
    assert.equal(matchesFilter(e, q("")), true);
    for (const yes of [
      "priority=warning,error",
      "falco_rule=Shell",
      "rule=Label shells",
      "namespace=prod",
      "pod=web",
      "actionner=kubernetes:label",
      "status=FAILURE",
      "since=2026-01-02T09:00:00Z&until=2026-01-02T11:00:00Z",
      "since=1h",
      "q=NOT FOUND",
      "q=web",
    ])
      assert.equal(matchesFilter(e, q(yes)), true, yes);
    for (const no of [
      "priority=critical",
      "falco_rule=shell",
      "rule=Other",
      "namespace=dev",
      "pod=api",
      "actionner=kubernetes:terminate",
      "status=success",
      "since=2026-01-02T10:00:01Z",
      "until=2026-01-02T10:00:00Z",
      "since=10m",
      "q=nothing like it",
    ])
      assert.equal(matchesFilter(e, q(no)), false, no);
  });

  it("a bad value is an error naming the parameter", () => {
    assert.throws(
      () => q("since=yesterday"),
      (err: Error) => err instanceof FilterError && /^since:/.test(err.message),
    );
    assert.throws(() => q(`q=${"x".repeat(501)}`), /q: longer than 500/);
    assert.equal(parseTime("t", "1767348000000"), 1767348000000);
    assert.equal(parseTime("t", "90s", 100_000), 10_000);
  });
});
