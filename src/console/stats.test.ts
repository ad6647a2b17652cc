import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newConsoleEvent } from "./fold.js";
import { computeStats, MAX_BUCKETS } from "./stats.js";

describe("console stats", () => {
  it("counts events by priority and actions by status per bucket", () => {
    const t0 = Date.parse("2026-01-02T10:00:00Z");
    const mk = (offsetS: number, priority: string, statuses: string[]) => {
      const e = newConsoleEvent(`e${offsetS}`, new Date(t0 + offsetS * 1000).toISOString(), "r");
      e.event.priority = priority;
      e.actions = statuses.map((status) => ({
        rule: "r",
        action: "a",
        actionner: "k:x",
        target: "t",
        status,
        time: new Date(t0 + offsetS * 1000 + 500).toISOString(),
        outputs: [],
        notifications: [],
        reversible: false,
      }));
      return e;
    };
    const s = computeStats(
      [
        mk(5, "Warning", ["success"]),
        mk(65, "Warning", ["failure", "success"]),
        mk(70, "Critical", []),
        mk(-5, "Warning", ["success"]),
      ],
      { since: t0, until: t0 + 180_000, bucketSeconds: 60 },
    );
    assert.deepEqual(s.times, [t0 / 1000, t0 / 1000 + 60, t0 / 1000 + 120]);
    assert.deepEqual(s.by_priority, { Warning: [1, 1, 0], Critical: [0, 1, 0] });
    assert.deepEqual(s.by_action_status, { success: [1, 1, 0], failure: [0, 1, 0] });
  });

  it("never makes more than MAX_BUCKETS buckets", () => {
    const s = computeStats([], { since: 0, until: 10_000_000_000, bucketSeconds: 1 });
    assert.equal(s.times.length, MAX_BUCKETS);
  });
});
