import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Deduplicator } from "./dedup.js";

describe("Deduplicator", () => {
  const at = () => {
    const clock = { t: 1_000 };
    return { clock, d: new Deduplicator(5_000, () => clock.t) };
  };

  it("a key seen inside the window is a duplicate; after it, it is new again", () => {
    const { clock, d } = at();
    assert.equal(d.isDuplicate("a"), false);
    clock.t += 4_999;
    assert.equal(d.isDuplicate("a"), true);
    clock.t += 1;
    assert.equal(d.isDuplicate("a"), false, "the window is counted from the first sight");
    clock.t += 4_999;
    assert.equal(d.isDuplicate("a"), true);
  });

  it("a window of 0 remembers nothing", () => {
    const d = new Deduplicator(0);
    assert.equal(d.isDuplicate("a"), false);
    assert.equal(d.isDuplicate("a"), false);
  });

  it("expired keys are forgotten: memory follows the window, not the history", () => {
    const { clock, d } = at();
    for (let i = 0; i < 10_000; i++) {
      d.isDuplicate(`k${i}`);
      clock.t += 1;
    }
    // 10 s of keys, 1 a millisecond: only the last 5 s remain
    assert.equal(d.isDuplicate("late"), false);
    assert.ok(d.size <= 5_001, `remembered ${d.size}`);
    clock.t += 5_000;
    d.isDuplicate("later");
    assert.equal(d.size, 1);
  });

  it("forget lets the same key in again; its old expiry does not drop the new record", () => {
    const { clock, d } = at();
    assert.equal(d.isDuplicate("a"), false);
    d.forget("a");
    clock.t += 2_000;
    assert.equal(d.isDuplicate("a"), false);
    clock.t += 3_500; // past the first record's expiry, inside the second's
    assert.equal(d.isDuplicate("b"), false);
    assert.equal(d.isDuplicate("a"), true);
  });
});
