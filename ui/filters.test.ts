import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { durationSeconds, filtersFrom, statsWindow, toQuery } from "./filters.js";

describe("timeline filters", () => {
  it("reads the known filters from a URL query, trimmed, empty ones dropped", () => {
    assert.deepEqual(filtersFrom("?priority=Critical&pod=%20web%20&q=&namespace=&other=1"), {
      priority: "Critical",
      pod: "web",
    });
  });

  it("writes them back in a stable order, with extra parameters", () => {
    const q = toQuery({ q: "shell", priority: "Warning", since: "1h" }, { limit: "50" });
    assert.equal(q.toString(), "priority=Warning&since=1h&q=shell&limit=50");
    assert.equal(toQuery(filtersFrom(q.toString())).toString(), "priority=Warning&since=1h&q=shell");
  });

  it("durations", () => {
    assert.equal(durationSeconds("90s"), 90);
    assert.equal(durationSeconds("15m"), 900);
    assert.equal(durationSeconds("6h"), 21_600);
    assert.equal(durationSeconds("7d"), 604_800);
    assert.equal(durationSeconds("2026-12-01T10:00:00Z"), undefined);
    assert.equal(durationSeconds("5w"), undefined);
  });

  it("the charts' window: about 30 buckets over the since filter, 1h by default", () => {
    assert.deepEqual(statsWindow({}), { since: "1h", bucket: 120 });
    assert.deepEqual(statsWindow({ since: "15m" }), { since: "15m", bucket: 30 });
    assert.deepEqual(statsWindow({ since: "5m" }), { since: "5m", bucket: 10 });
    assert.deepEqual(statsWindow({ since: "7d" }), { since: "7d", bucket: 20_160 });
    const iso = new Date(Date.now() - 2 * 3600_000).toISOString();
    assert.equal(statsWindow({ since: iso }).bucket, 240);
    assert.equal(statsWindow({ since: "not a time" }).bucket, 120);
  });
});
